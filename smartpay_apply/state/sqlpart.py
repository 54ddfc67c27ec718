"""What every part of the SQL store shares: the backend, its name, the secret box."""

from __future__ import annotations

from smartpay_apply.state.backend import Backend
from smartpay_apply.state.crypto import SecretBox


class SqlPart:
    """A mixin of SqlStore: one group of records over the shared backend."""

    _db: Backend
    name: str
    _box: SecretBox | None
