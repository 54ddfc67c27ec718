"""What `auth status` reports: which mini-programs have working credentials, never the tokens.

Pure reading of the store (only expiry times are shown; values are decrypted to read their
expiry and dropped at once) plus the specs' configured source kinds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from smartpay_apply.credentials import vault
from smartpay_apply.credentials.tp import ACCESS_MARGIN
from smartpay_apply.errors import StateError
from smartpay_apply.timeutil import json_time

if TYPE_CHECKING:
    from smartpay_apply.state.base import StateStore


@dataclass(frozen=True)
class AppCredentialStatus:
    """One mini-program's credentials as `auth status` shows them."""

    app: str | None
    app_id: int
    source: str | None  # access_token | token_command | tp | None (none configured)
    refresh_token: bool
    expires_at: float | None  # of the cached access token (unix seconds)
    state: str  # ok | refreshable | authorized | missing | static | command | none
    authorization_code: bool = False  # pushed by Baidu, exchanged on first use

    @property
    def access_token_expires_at(self) -> str | None:
        return json_time(self.expires_at)

    def to_json(self) -> dict[str, Any]:
        return {
            "app": self.app,
            "app_id": self.app_id,
            "source": self.source,
            "refresh_token": self.refresh_token,
            "access_token_expires_at": self.access_token_expires_at,
            "state": self.state,
            "authorization_code": self.authorization_code,
        }

    @property
    def working(self) -> bool:
        return self.state in ("ok", "refreshable", "authorized", "static", "command")


@dataclass(frozen=True)
class PlatformStatus:
    """The TP side: is there a ticket, and until when does the cached TP token last."""

    ticket: bool
    expires_at: float | None = None  # of the cached TP token (unix seconds)

    @property
    def tp_token_expires_at(self) -> str | None:
        return json_time(self.expires_at)

    def to_json(self) -> dict[str, Any]:
        return {"ticket": self.ticket, "tp_token_expires_at": self.tp_token_expires_at}


def _readable(store: StateStore, key: str) -> vault.Expiring | None:
    """The stored value, or None if absent or unreadable (no SMARTPAY_STATE_KEY: expiry unknown)."""
    if not store.list_secret_keys(key):
        return None
    try:
        return vault.read(store, key)
    except StateError:
        return None


def _code_pushed(store: StateStore, app_id: int) -> bool:
    """A pushed authorization code is waiting (fresh, or of unknown age without the key).

    The TP token source exchanges it on first use, so such a mini-program has working
    credentials although nothing was exchanged yet.
    """
    key = vault.authorization_code_key(app_id)
    if not store.list_secret_keys(key):
        return False
    code = _readable(store, key)
    return code is None or code.fresh()


def app_status(
    store: StateStore | None, app: str | None, app_id: int, source: str | None
) -> AppCredentialStatus:
    """The status of one mini-program's credentials (reads the store; None: no store yet)."""
    has_refresh = bool(store and store.list_secret_keys(vault.refresh_token_key(app_id)))
    access = _readable(store, vault.access_token_key(app_id)) if store else None
    code = bool(store and _code_pushed(store, app_id))
    expires = access.expires_at if access else None
    if source == "access_token":
        state = "static"
    elif source == "token_command":
        state = "command"
    elif access is not None and expires is not None and expires - ACCESS_MARGIN > time.time():
        state = "ok"
    elif has_refresh:
        state = "refreshable"
    elif code:
        state = "authorized"
    elif source is None:
        state = "none"
    else:
        state = "missing"
    return AppCredentialStatus(app, app_id, source, has_refresh, expires, state, code)


def platform_status(store: StateStore | None) -> PlatformStatus:
    if store is None:
        return PlatformStatus(ticket=False)
    tp_token = _readable(store, vault.TP_TOKEN_KEY)
    return PlatformStatus(
        ticket=bool(store.list_secret_keys(vault.TICKET_KEY)),
        expires_at=tp_token.expires_at if tp_token else None,
    )
