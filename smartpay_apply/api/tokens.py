"""Where a mini-program's access token comes from.

The client asks `token()` before a call and, exactly once per call, `refresh(rejected)` when
Baidu answers 110/111 (token invalid/expired); the call is then retried once with the new
token. The credentials area provides sources that really refresh (the TP flow).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from smartpay_apply.api.errors import TokenError


@runtime_checkable
class TokenSource(Protocol):
    """A mini-program's access token, and a way to replace it when Baidu rejects it."""

    async def token(self) -> str:
        """The access token to use now."""
        ...

    async def refresh(self, rejected: str) -> str:
        """A new token after Baidu rejected `rejected` (the one `token()` gave)."""
        ...


class StaticToken:
    """A fixed access token (from a spec or the environment): it cannot be refreshed."""

    def __init__(self, value: str) -> None:
        if not value:
            raise TokenError("", None, "empty access token")
        self._value = value

    def __repr__(self) -> str:
        return "StaticToken(****)"

    async def token(self) -> str:
        """The token as given."""
        return self._value

    async def refresh(self, rejected: str) -> str:
        """A static token has no refresh: tell the user to supply a fresh one."""
        raise TokenError(
            "",
            None,
            "access token rejected; it cannot be refreshed (a static token): supply a new "
            "access token or configure a TP credential source",
        )
