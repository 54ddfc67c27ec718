"""The controller's HTTP app: the event receiver's routes, plus /readyz, /metrics and /ui/.

The receiver is `events.app.create_receiver` itself — the same routes and guarantees as `events
serve` (`/`, `/events`, `/tp/auth`, `/healthz`: answered `success` only once an event is in the
store) — with the controller's on-event hook, which makes the mini-program due at once.

- `GET /readyz`: 200 `ready` once the controller runs and the state store answers; 503 with the
  reason while starting, while stopping (SIGTERM: a load balancer stops sending pushes, which
  Baidu then redelivers to another replica), or when the store is unreachable. `/healthz` stays
  the receiver's liveness check.
- `GET /metrics`: Prometheus text (metrics.py).
- `/ui/`: the status page (`smartpay_apply.status.web.create_status_app`), read-only, over the
  controller's own store, with the rules of `status serve`: open on a loopback address; on any
  other address only with `status.token` or `status.username`/`status.password` (then asked
  of every request). Without them there the page is switched off — `/ui/` answers 403 saying
  what to set — rather than the controller refusing to start: the receiver and the
  reconciles matter more than the page (docs/controller.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp

from smartpay_apply.events.app import ReceiverSettings, create_receiver

if TYPE_CHECKING:
    from smartpay_apply.config import ProjectConfig
    from smartpay_apply.controller.metrics import Metrics
    from smartpay_apply.state.base import StateStore

log = logging.getLogger("smartpay_apply.controller")

#: Where the status page is mounted (the path `status serve` answers at too).
UI_PREFIX = "/ui"

Readiness = Callable[[], str | None]  # None when ready, else why not


def create_controller_app(
    settings: ReceiverSettings,
    store: StateStore,
    *,
    on_event: Callable[[dict[str, Any]], Awaitable[None]],
    readiness: Readiness,
    metrics: Metrics,
    status_app: ASGIApp | None = None,
) -> Starlette:
    """The receiver's app with the controller's routes in front of its own."""
    receiver = create_receiver(settings, store, on_event=on_event)

    async def ready(request: Request) -> Response:
        why = readiness()
        if why is None:
            try:
                await asyncio.to_thread(store.list_suspensions)
            except Exception as error:
                why = f"state store unavailable ({type(error).__name__})"
        if why is not None:
            return PlainTextResponse(f"not ready: {why}", status_code=503)
        return PlainTextResponse("ready")

    async def scrape(request: Request) -> Response:
        body = await asyncio.to_thread(metrics.render)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    async def to_ui(request: Request) -> Response:
        return RedirectResponse(UI_PREFIX + "/", status_code=308)

    routes: list[BaseRoute] = [
        Route("/readyz", ready, methods=["GET"]),
        Route("/metrics", scrape, methods=["GET"]),
        Route(UI_PREFIX, to_ui, methods=["GET", "HEAD"]),
        Mount(UI_PREFIX, app=status_app or status_off("the status page is not served here")),
        *receiver.routes,
    ]
    return Starlette(routes=routes, lifespan=receiver.router.lifespan_context)


def status_page(config: ProjectConfig, store: StateStore, host: str) -> ASGIApp:
    """The status page for a controller listening on `host`, over its open store.

    ConfigError when configured credentials cannot be resolved (an unset `${env:}`): said at
    start, as `status serve` says it. No credentials on a non-loopback address: the page is
    off (403 naming the settings), and a warning is logged once.
    """
    from smartpay_apply.status.web.app import create_status_app
    from smartpay_apply.status.web.auth import status_auth

    settings = config.status
    if not status_page_open(config, host):
        log.warning(
            "controller: the status page (/ui/) is off: listening on %s needs status.token or "
            "status.username/status.password in smartpay.yaml",
            host,
        )
        return status_off(
            f"the status page is off: the controller listens on {host}, and a page reachable "
            "from other machines needs credentials: set status.token (a bearer token) or "
            "status.username and status.password (basic auth) in smartpay.yaml"
        )

    # The controller's own store: open for its whole life, and thread-safe.
    return create_status_app(
        config, lambda: contextlib.nullcontext(store), auth=status_auth(settings, host)
    )


def status_page_open(config: ProjectConfig, host: str) -> bool:
    """Whether the page is served on `host`: on a loopback address, or with credentials —
    resolved here, so that an unset `${env:}` stops the controller before it binds."""
    from smartpay_apply.status.web.auth import is_loopback, status_auth

    settings = config.status
    if settings.token is None and settings.password is None:
        return is_loopback(host)
    status_auth(settings, host)
    return True


def status_off(why: str) -> ASGIApp:
    """A mount answering 403 with `why` to every request (the page is not served)."""

    async def refused(scope: Any, receive: Any, send: Any) -> None:
        response = PlainTextResponse(why + "\n", status_code=403)
        await response(scope, receive, send)

    return refused
