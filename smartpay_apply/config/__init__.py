"""The project configuration: `smartpay.yaml` at the root of a specs repository.

`models` holds what it may say (`ProjectConfig` and its parts), `load` finds, reads and
validates it (with the `SMARTPAY_*` environment overrides), `sandbox_settings` checks its
`sandbox:` block by the sandbox's own rules. Everything a command needs is importable from
here.
"""

from __future__ import annotations

from smartpay_apply.config.load import (
    ConfigProblems,
    find_config,
    load_project_config,
    secret_fields,
)
from smartpay_apply.config.models import (
    CONFIG_NAME,
    CONFIG_NUMBERS,
    MAX_CONCURRENCY,
    ApplyConfig,
    CredentialsDefaults,
    EventsConfig,
    ProjectConfig,
    StatusConfig,
    TpToken,
    check_endpoint,
    tp_token_configured,
)
from smartpay_apply.config.sandbox_settings import sandbox_problems

__all__ = [
    "CONFIG_NAME",
    "CONFIG_NUMBERS",
    "MAX_CONCURRENCY",
    "ApplyConfig",
    "ConfigProblems",
    "CredentialsDefaults",
    "EventsConfig",
    "ProjectConfig",
    "StatusConfig",
    "TpToken",
    "check_endpoint",
    "find_config",
    "load_project_config",
    "sandbox_problems",
    "secret_fields",
    "tp_token_configured",
]
