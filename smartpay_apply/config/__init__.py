"""The project configuration: `smartpay.yaml` at the root of a specs repository.

`models` holds what it may say (`ProjectConfig` and its parts), `load` finds, reads and
validates it (with the `SMARTPAY_*` environment overrides), `sandbox_settings` checks its
`sandbox:` block by the sandbox's own rules. Everything a command needs is importable from
here, each name imported from its module on first use: a process that only receives a loaded
config (`plan`'s, whose child reads the project: forking.Ahead) never imports the YAML
reading behind `load` (~60 ms, issue 16).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from smartpay_apply.config.load import (
        ConfigProblems,
        find_config,
        load_project_config,
        secret_fields,
    )
    from smartpay_apply.config.models import (
        CONFIG_NAME,
        CONFIG_NUMBERS,
        CONTROLLER_ACTIONS,
        MAX_CONCURRENCY,
        RESYNC_RANGE,
        ApplyConfig,
        ControllerConfig,
        CredentialsDefaults,
        EventsConfig,
        ProjectConfig,
        StatusConfig,
        TpToken,
        check_endpoint,
        tp_token_configured,
    )
    from smartpay_apply.config.sandbox_settings import sandbox_problems

#: The module of each name not in `models`.
_HOMES = {
    "ConfigProblems": "load",
    "find_config": "load",
    "load_project_config": "load",
    "secret_fields": "load",
    "sandbox_problems": "sandbox_settings",
}


def __getattr__(name: str) -> Any:
    """The names of `__all__`, from their modules (see the module docstring)."""
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(f"{__name__}.{_HOMES.get(name, 'models')}")
    return getattr(module, name)


__all__ = [
    "CONFIG_NAME",
    "CONFIG_NUMBERS",
    "CONTROLLER_ACTIONS",
    "MAX_CONCURRENCY",
    "RESYNC_RANGE",
    "ApplyConfig",
    "ConfigProblems",
    "ControllerConfig",
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
