"""What `auth status` reports: which mini-programs have working credentials, never the tokens.

Pure reading of the store (only expiry times are shown; values are decrypted to read their
expiry and dropped at once) plus the specs' configured source kinds.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from smartpay_apply.credentials import vault
from smartpay_apply.credentials.tp import ACCESS_MARGIN
from smartpay_apply.errors import StateError

if TYPE_CHECKING:
    from smartpay_apply.state.base import StateStore


@dataclass(frozen=True)
class AppCredentialStatus:
    """One mini-program's credentials as `auth status` shows them."""

    app: str | None
    app_id: int
    source: str | None  # access_token | token_command | tp | None (none configured)
    refresh_token: bool
    access_token_expires_at: str | None
    state: str  # ok | refreshable | missing | static | command | none

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def working(self) -> bool:
        return self.state in ("ok", "refreshable", "static", "command")


@dataclass(frozen=True)
class PlatformStatus:
    """The TP side: is there a ticket, and until when does the cached TP token last."""

    ticket: bool
    tp_token_expires_at: str | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _iso(moment: float | None) -> str | None:
    if moment is None:
        return None
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="seconds")


def _readable(store: StateStore, key: str) -> vault.Expiring | None:
    """The stored value, or None if absent or unreadable (no SMARTPAY_STATE_KEY: expiry unknown)."""
    if not store.list_secret_keys(key):
        return None
    try:
        return vault.read(store, key)
    except StateError:
        return None


def app_status(
    store: StateStore, app: str | None, app_id: int, source: str | None
) -> AppCredentialStatus:
    """The status of one mini-program's credentials (reads the store)."""
    has_refresh = bool(store.list_secret_keys(vault.refresh_token_key(app_id)))
    access = _readable(store, vault.access_token_key(app_id))
    expires = access.expires_at if access else None
    if source == "access_token":
        state = "static"
    elif source == "token_command":
        state = "command"
    elif access is not None and expires is not None and expires - ACCESS_MARGIN > time.time():
        state = "ok"
    elif has_refresh:
        state = "refreshable"
    elif source is None and not has_refresh:
        state = "none"
    else:
        state = "missing"
    return AppCredentialStatus(app, app_id, source, has_refresh, _iso(expires), state)


def platform_status(store: StateStore) -> PlatformStatus:
    tp_token = _readable(store, vault.TP_TOKEN_KEY)
    return PlatformStatus(
        ticket=bool(store.list_secret_keys(vault.TICKET_KEY)),
        tp_token_expires_at=_iso(tp_token.expires_at) if tp_token else None,
    )
