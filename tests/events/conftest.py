"""The event receiver served for real: uvicorn in a thread on a free 127.0.0.1 port."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from smartpay_apply.events import crypto
from smartpay_apply.events.app import ReceiverSettings, create_receiver
from smartpay_apply.state import open_store
from smartpay_apply.state.base import StateStore
from tests.conftest import free_port

TOKEN = "receiver-test-token"
AES_KEY_TEXT = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut"
CLIENT_ID = "receiver-test-client"
STATE_KEY = "test-state-key-0123456789"


@contextlib.contextmanager
def serve_in_thread(app: Any) -> Iterator[str]:
    """Run an ASGI app under uvicorn in a daemon thread; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("receiver did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@dataclass
class Receiver:
    """A running receiver, its store and what it was configured with."""

    url: str
    store: StateStore
    settings: ReceiverSettings
    db_path: Path

    def envelope(
        self,
        message: bytes,
        *,
        client_id: str = CLIENT_ID,
        timestamp: str = "1700000000",
        nonce: str = "n0nce",
    ) -> dict[str, str]:
        """A correctly signed, encrypted push, as Baidu sends it."""
        assert self.settings.key is not None
        encrypted = crypto.encrypt(self.settings.key, message, client_id)
        return {
            "Nonce": nonce,
            "TimeStamp": timestamp,
            "Encrypt": encrypted,
            "MsgSignature": crypto.signature(TOKEN, timestamp, nonce, encrypted),
        }

    def push_settings(self) -> dict[str, Any]:
        """Sandbox overrides that make it push here as Baidu does: audit events to `/`, ticket
        and authorization pushes to `/tp/auth`, encrypted and signed with this receiver's keys."""
        return {
            "webhook": f"{self.url}/",
            "auth_webhook": f"{self.url}/tp/auth",
            "push_token": TOKEN,
            "encoding_aes_key": AES_KEY_TEXT,
            "tp_client_id": CLIENT_ID,
        }


ReceiverFactory = Callable[..., Receiver]


@pytest.fixture
def state_key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SMARTPAY_STATE_KEY", STATE_KEY)
    return STATE_KEY


@pytest.fixture
def receiver_factory(tmp_path: Path, state_key: str) -> Iterator[ReceiverFactory]:
    """start(allow_plaintext=False, on_event=None, client_id=CLIENT_ID) -> Receiver."""
    with contextlib.ExitStack() as stack:

        def start(
            *,
            allow_plaintext: bool = False,
            on_event: Any = None,
            client_id: str | None = CLIENT_ID,
            name: str = "state.db",
        ) -> Receiver:
            db_path = tmp_path / name
            store = open_store(str(db_path), base_dir=tmp_path)
            stack.callback(store.close)
            settings = ReceiverSettings(
                TOKEN, crypto.aes_key(AES_KEY_TEXT), client_id, allow_plaintext
            )
            url = stack.enter_context(
                serve_in_thread(create_receiver(settings, store, on_event=on_event))
            )
            return Receiver(url, store, settings, db_path)

        yield start


@pytest.fixture
def receiver(receiver_factory: ReceiverFactory) -> Receiver:
    return receiver_factory()
