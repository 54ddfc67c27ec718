"""The status app in this process, over a real store: an httpx client on its ASGI interface."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette

from smartpay_apply.config import load_project_config
from smartpay_apply.state import StateStore, open_existing_store
from smartpay_apply.status.web import StatusAuth, create_status_app


def opener_for(root: Path) -> Any:
    """A StoreOpener over the project's store, opened per request (None when there is none)."""
    config = load_project_config(root, None)

    @contextlib.contextmanager
    def opener() -> Iterator[StateStore | None]:
        store = open_existing_store(config.state, base_dir=config.root)
        try:
            yield store
        finally:
            if store is not None:
                store.close()

    return opener


def status_app(root: Path, auth: StatusAuth | None = None) -> Starlette:
    return create_status_app(load_project_config(root, None), opener_for(root), auth=auth)


def client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://status")
