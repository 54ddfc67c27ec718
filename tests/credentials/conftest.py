"""A TP world for credential tests: a running sandbox, a real SQLite store, a pushed ticket."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from smartpay_apply.credentials import vault
from smartpay_apply.state import open_store
from smartpay_apply.state.base import StateStore

CLIENT_ID = "cred-test-client"
STATE_KEY = "credentials-test-state-key"


@dataclass
class TpWorld:
    sandbox: Any
    store: StateStore
    db_path: Path

    def oauth_calls(self) -> list[dict[str, Any]]:
        return self.sandbox.calls(path="/oauth/token")

    def retrieve_calls(self) -> list[dict[str, Any]]:
        return self.sandbox.calls(path="/retrieve/authorizationcode")

    def stored_bytes(self) -> bytes:
        """Every byte SQLite has on disk for the store (main file, WAL and journal)."""
        data = b""
        for suffix in ("", "-wal", "-journal", "-shm"):
            path = Path(str(self.db_path) + suffix)
            if path.exists():
                data += path.read_bytes()
        return data


@pytest.fixture
def tp_world(
    sandbox_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TpWorld]:
    """The sandbox issued a ticket and the receiver stored it (written here through the vault)."""
    monkeypatch.setenv("SMARTPAY_STATE_KEY", STATE_KEY)
    sandbox = sandbox_factory(tp_client_id=CLIENT_ID, audit_delay=0.5)
    db_path = tmp_path / "state.db"
    store = open_store(str(db_path), base_dir=tmp_path)
    vault.write(store, vault.TICKET_KEY, vault.Expiring(sandbox.tp_ticket(), None))
    try:
        yield TpWorld(sandbox, store, db_path)
    finally:
        store.close()
