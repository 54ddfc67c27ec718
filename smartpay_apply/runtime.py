"""The one wiring point: the parts of a run, built from the project config.

A command asks here for its API client, its state store and its credentials, and gets them
wired together once: `Runtime` holds one `OpenApi` (connection pool, concurrency cap, rate
limit), one `StateStore` and one `Credentials` registry (token sources shared by planning and
applying). The engine's planner and executor receive factories from it (`app_api`, `tp_api`)
instead of reaching into credentials and config themselves.

It also decides what `endpoint: sandbox` means (an in-process sandbox persisted under
`.smartpay/sandbox/`, so separate CLI invocations see one world) and how `state:` is opened.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from smartpay_apply.api.app import AppApi, TpApi
    from smartpay_apply.api.client import OpenApi
    from smartpay_apply.config import ProjectConfig
    from smartpay_apply.credentials.registry import Credentials
    from smartpay_apply.engine.decide import DecideOptions
    from smartpay_apply.engine.observe import ObservedContext
    from smartpay_apply.engine.planner import Planner
    from smartpay_apply.engine.steps import Plan
    from smartpay_apply.spec.models import AppSpec
    from smartpay_apply.state.base import StateStore

SANDBOX_ENDPOINT = "sandbox"


class Runtime:
    """The API client, state store and credentials of one run, and the factories over them."""

    def __init__(
        self,
        config: ProjectConfig,
        api: OpenApi,
        store: StateStore,
        *,
        receiver: bool | None = None,
    ) -> None:
        from smartpay_apply.credentials.registry import Credentials

        self.config = config
        self.api = api
        self.store = store
        #: Whether audit outcomes arrive as pushes: None asks the project's events settings
        #: (plan, apply); the controller says True, it serves the receiver itself.
        self.receiver = receiver
        self.credentials: Credentials = Credentials(config, store, api)

    def app_api(self, spec: AppSpec) -> AppApi:
        """The mini-program's endpoints, with its token source."""
        return self.api.app(self.credentials.for_app(spec))

    def tp_api(self, spec: AppSpec) -> TpApi | None:
        """TP-level calls (image upload) with the TP's own token; None when none is set."""
        source = self.credentials.for_tp(spec)
        return None if source is None else self.api.tp(source)

    def planner(self, *, concurrency: int | None = None, source: str = "plan") -> Planner:
        """The planner of this run: the project's decide options, these credentials.

        `source` (plan, apply, controller, status) is kept with each observation it records.
        """
        from smartpay_apply.config import tp_token_configured
        from smartpay_apply.engine.planner import Planner

        return Planner(
            app_api=self.app_api,
            store=self.store,
            options=decide_options(self.config, receiver=self.receiver),
            concurrency=concurrency or self.config.concurrency,
            uploads_possible=lambda spec: tp_token_configured(self.config, spec),
            source=source,
        )


def decide_options(config: ProjectConfig, *, receiver: bool | None = None) -> DecideOptions:
    """How decide learns outcomes in this project: is the event receiver configured, and when.

    `receiver` overrides the project's events settings: the controller serves the receiver
    itself, so for it outcomes always arrive as pushes.
    """
    from smartpay_apply.engine.decide import DecideOptions
    from smartpay_apply.events.settings import receiver_configured
    from smartpay_apply.timeutil import now

    if receiver is None:
        receiver = receiver_configured(config)
    return DecideOptions(receiver=receiver, now=now())


async def build_plan(
    config: ProjectConfig,
    specs: Sequence[AppSpec],
    api: OpenApi,
    store: StateStore,
    *,
    concurrency: int | None = None,
) -> tuple[Plan, dict[str, ObservedContext]]:
    """Plan `specs` with the project's credentials (one `Runtime` made for the call)."""
    return await Runtime(config, api, store).planner(concurrency=concurrency).plan_all(specs)


@contextlib.asynccontextmanager
async def open_runtime(
    config: ProjectConfig, *, receiver: bool | None = None, **api_overrides: Any
) -> AsyncIterator[Runtime]:
    """The parts of one run, closed in reverse order when the block ends (`receiver`: see
    `Runtime.receiver`)."""
    with open_state(config) as store:
        async with open_api(config, **api_overrides) as api:
            yield Runtime(config, api, store, receiver=receiver)


def sandbox_state_dir(config: ProjectConfig) -> Path:
    """Where the embedded sandbox keeps its world for this project."""
    return config.root / ".smartpay" / "sandbox"


def preload_network() -> None:
    """Import what `open_api`, `open_state` and `Runtime.planner` import on first use.

    Why: `plan`'s child loads smartpay.yaml while this process starts (forking.Ahead); these
    imports (aiohttp, the client, the store, the engine: ~0.2 s) are this process's share of
    the start, done before it waits for the config rather than after (issue 16).
    """
    from smartpay_apply.api import client, transport_aiohttp  # noqa: F401
    from smartpay_apply.engine import planner  # noqa: F401
    from smartpay_apply.state import sql  # noqa: F401


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


@contextlib.contextmanager
def open_token_store(
    config: ProjectConfig, specs: Sequence[AppSpec]
) -> Iterator[StateStore | None]:
    """The state store when one of `specs` takes its token through the `tp:` flow (its
    refresh tokens live there), closed when the block ends; else None.

    Why: commands that only read Baidu (`dict --refresh`, `export`) open no store unless a
    token needs one, and then exactly one, which they pass to the credentials.
    """
    from smartpay_apply.credentials import source_kind

    if not any(source_kind(spec, config) == "tp" for spec in specs):
        yield None
        return
    with open_state(config) as store:
        yield store
