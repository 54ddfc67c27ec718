"""The controller's HTTP app: the event receiver's routes, plus /readyz, /metrics and /ui/.

The receiver is `events.app.create_receiver` itself — the same routes and guarantees as `events
serve` (`/`, `/events`, `/tp/auth`, `/healthz`: answered `success` only once an event is in the
store) — with the controller's on-event hook, which makes the mini-program due at once.

- `GET /readyz`: 200 `ready` once the controller runs and the state store answers; 503 with the
  reason while starting, while stopping (SIGTERM: a load balancer stops sending pushes, which
  Baidu then redelivers to another replica), or when the store is unreachable. `/healthz` stays
  the receiver's liveness check.
- `GET /metrics`: Prometheus text (metrics.py).
- `/ui/`: the place of the status page (`smartpay_apply.status.web.create_status_app`, built on
  another branch). Until it is part of this build, `status_ui` answers 404 saying so.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp

from smartpay_apply.events.app import ReceiverSettings, create_receiver

if TYPE_CHECKING:
    from smartpay_apply.controller.metrics import Metrics
    from smartpay_apply.state.base import StateStore

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

    routes: list[BaseRoute] = [
        Route("/readyz", ready, methods=["GET"]),
        Route("/metrics", scrape, methods=["GET"]),
        Mount("/ui", app=status_app or status_ui()),
        *receiver.routes,
    ]
    return Starlette(routes=routes, lifespan=receiver.router.lifespan_context)


def status_ui() -> ASGIApp:
    """The status page's mount point: `smartpay_apply.status.web.create_status_app(...)` goes
    here once that branch is merged (see docs/controller.md); until then a 404 that says so."""

    async def missing(scope: Any, receive: Any, send: Any) -> None:
        response = PlainTextResponse(
            "the status page is not part of this build (smartpay_apply.status.web)",
            status_code=404,
        )
        await response(scope, receive, send)

    return missing
