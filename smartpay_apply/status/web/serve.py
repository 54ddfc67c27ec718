"""`status serve`: the status app on its own, at `/` and `/ui/` (the controller's path).

The store is opened on the first request that finds one (a fresh project has none: the page
shows an empty fleet and never creates it), then shared by every request (it is thread-safe).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route

if TYPE_CHECKING:
    from smartpay_apply.config import ProjectConfig
    from smartpay_apply.state.base import StateStore
    from smartpay_apply.status.web.auth import StatusAuth

#: Where the controller mounts the page; `status serve` answers there too.
UI_PREFIX = "/ui"


class SharedStore:
    """A StoreOpener over one store opened lazily and kept until `close()`."""

    def __init__(self, config: ProjectConfig) -> None:
        self.config = config
        self._store: StateStore | None = None
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def __call__(self) -> Iterator[StateStore | None]:
        with self._lock:
            if self._store is None:
                from smartpay_apply.state import open_existing_store

                self._store = open_existing_store(self.config.state, base_dir=self.config.root)
        yield self._store

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None


def standalone_app(
    config: ProjectConfig, opener: SharedStore, auth: StatusAuth | None
) -> Starlette:
    """The status app at `/` and, the same page, at `/ui/`."""
    from smartpay_apply.status.web.app import create_status_app

    app = create_status_app(config, opener, auth=auth)

    async def to_ui(request: Request) -> Response:
        return RedirectResponse(UI_PREFIX + "/", status_code=308)

    return Starlette(
        routes=[
            Route(UI_PREFIX, to_ui, methods=["GET", "HEAD"]),
            Mount(UI_PREFIX, app=app),
            Mount("", app=app),
        ]
    )
