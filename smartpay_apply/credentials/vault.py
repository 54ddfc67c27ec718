"""Where credentials live in the state store: key names and the shape of stored values.

Everything here goes through the store's encrypted secrets (key from SMARTPAY_STATE_KEY), so a
token, refresh token, ticket or authorization code is never on disk in clear. The event
receiver writes tickets and authorization codes with these same keys; the TP token source
reads them. Values that expire are stored as JSON `{"value": ..., "expires_at": unix seconds}`
so `auth status` can show the expiry without decrypting more than it needs to show.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from smartpay_apply.state.base import StateStore

TICKET_KEY = "tp/ticket"
TP_TOKEN_KEY = "tp/token"
#: The lock under which a TP token is fetched from the ticket (tp/token calls are limited).
TP_LOCK = "credentials/tp"
APP_PREFIX = "app/"


def refresh_token_key(app_id: int) -> str:
    """The mini-program's current (single-use) refresh token."""
    return f"{APP_PREFIX}{app_id}/refresh_token"


def access_token_key(app_id: int) -> str:
    """The mini-program's cached access token (JSON with its expiry)."""
    return f"{APP_PREFIX}{app_id}/access_token"


def authorization_code_key(app_id: int) -> str:
    """An authorization code pushed with AUTHORIZED / UPDATE_AUTHORIZED, not yet exchanged."""
    return f"{APP_PREFIX}{app_id}/authorization_code"


def credentials_lock_name(app_id: int) -> str:
    """The lock that serialises refreshes of one mini-program (not the apply lock of the app)."""
    return f"credentials/{app_id}"


@dataclass(frozen=True)
class Expiring:
    """A secret value with the unix time after which it must not be used (None: unknown)."""

    value: str
    expires_at: float | None

    def fresh(self, margin: float = 0.0) -> bool:
        return self.expires_at is None or time.time() < self.expires_at - margin

    def dump(self) -> str:
        return json.dumps({"value": self.value, "expires_at": self.expires_at})

    @classmethod
    def load(cls, text: str | None) -> Expiring | None:
        """Parse a stored value; a bare string (e.g. a ticket) has no known expiry."""
        if text is None:
            return None
        try:
            data = json.loads(text)
        except ValueError:
            return cls(text, None)
        if not isinstance(data, dict) or not isinstance(data.get("value"), str):
            return cls(text, None)
        expires_at = data.get("expires_at")
        return cls(
            data["value"], float(expires_at) if isinstance(expires_at, int | float) else None
        )

    @classmethod
    def lasting(cls, value: str, seconds: float | None) -> Expiring:
        return cls(value, None if seconds is None else time.time() + float(seconds))


def read(store: StateStore, key: str) -> Expiring | None:
    """The stored value under `key`, or None."""
    return Expiring.load(store.get_secret(key))


def write(store: StateStore, key: str, value: Expiring) -> None:
    store.put_secret(key, value.dump())


def stored_app_ids(store: StateStore) -> list[int]:
    """Every mini-program with any stored credential, sorted."""
    ids: set[int] = set()
    for key in store.list_secret_keys():
        if key.startswith(APP_PREFIX):
            head = key[len(APP_PREFIX) :].split("/", 1)[0]
            if head.isdigit():
                ids.add(int(head))
    return sorted(ids)
