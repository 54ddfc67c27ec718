"""Builds the run-time parts from the project config: the openapi client and the state store.

One place decides what `endpoint: sandbox` means (an in-process sandbox persisted under
`.smartpay/sandbox/`, so separate CLI invocations see one world) and how `state:` is opened;
every command asks here instead of repeating it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from smartpay_apply.api.client import OpenApi
    from smartpay_apply.config import ProjectConfig
    from smartpay_apply.state.base import StateStore

SANDBOX_ENDPOINT = "sandbox"


def sandbox_state_dir(config: ProjectConfig) -> Path:
    """Where the embedded sandbox keeps its world for this project."""
    return config.root / ".smartpay" / "sandbox"


def open_api(config: ProjectConfig, **overrides: Any) -> OpenApi:
    """The shared openapi client for one run (use as `async with open_api(config) as api`).

    `overrides` go to the `OpenApi` constructor (e.g. `max_concurrency`, `transport`).
    """
    from smartpay_apply.api.client import OpenApi

    options: dict[str, Any] = {
        "max_concurrency": config.concurrency,
        "rps": config.rate_limit,
        "timeout": config.timeout,
    }
    if config.endpoint == SANDBOX_ENDPOINT and "transport" not in overrides:
        from smartpay_apply.sandbox.embedded import EMBEDDED_BASE_URL, embedded_transport

        options["transport"] = embedded_transport(sandbox_state_dir(config), **dict(config.sandbox))
        base_url = EMBEDDED_BASE_URL
    else:
        base_url = config.endpoint
    options.update(overrides)
    return OpenApi(base_url, **options)


def open_state(config: ProjectConfig) -> StateStore:
    """The state store named by `state:` (a SQLite path relative to the project, or a URL)."""
    from smartpay_apply.state import open_store

    return open_store(config.state, base_dir=config.root)
