"""`create_status_app`: the status page as a mountable ASGI app (Starlette).

Routes, relative to wherever it is mounted (links carry the mount's ASGI `root_path`):
`/` the overview, `/app/{app_id}` a mini-program, `/events` the events feed, `/runs` the runs,
`/api/status` the JSON of `status --format json`, `/static/...` the stylesheet and the
optional auto-refresh script. Read-only: GET (and HEAD) only.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from smartpay_apply.errors import SmartpayError
from smartpay_apply.status.web.auth import RequireAuth, StatusAuth
from smartpay_apply.status.web.headers import SecurityHeaders
from smartpay_apply.status.web.views import Views

if TYPE_CHECKING:
    from smartpay_apply.config import ProjectConfig
    from smartpay_apply.state.base import StateStore

#: Opens (or lends) the state store for one request: `with opener() as store:`; None when
#: there is no store yet (the page then shows an empty fleet). The store is used from worker
#: threads (it is thread-safe); the opener decides whether it is shared or opened per request.
StoreOpener = Callable[[], AbstractContextManager["StateStore | None"]]


def create_status_app(
    config: ProjectConfig,
    store_opener: StoreOpener,
    *,
    auth: StatusAuth | None = None,
    auto_refresh: int | None = None,
) -> Starlette:
    """The status page over the store `store_opener` gives.

    `auth`: credentials every request must carry (None: none asked; `status serve` passes
    what status_auth() requires for its address). `auto_refresh`: seconds between reloads
    when a reader turns auto-refresh on (default `status.auto_refresh`; 0 hides the control).
    """
    refresh = config.status.auto_refresh if auto_refresh is None else auto_refresh
    views = Views(store_opener, auto_refresh=refresh)
    middleware = [Middleware(SecurityHeaders)]
    if auth is not None:
        middleware.insert(0, Middleware(RequireAuth, auth=auth))
    get = ["GET", "HEAD"]
    app = Starlette(
        routes=[
            Route("/", views.overview, name="overview", methods=get),
            Route("/app/{app_id:int}", views.app_page, name="app_page", methods=get),
            Route("/events", views.events, name="events", methods=get),
            Route("/runs", views.runs, name="runs", methods=get),
            Route("/api/status", views.api_status, name="api_status", methods=get),
            Route("/favicon.ico", views.favicon, methods=get),
            Mount(
                "/static",
                app=StaticFiles(packages=[("smartpay_apply.status.web", "static")]),
                name="static",
            ),
        ],
        middleware=middleware,
        exception_handlers={404: views.not_found, SmartpayError: views.unavailable},
    )
    views.router = app.router
    return app
