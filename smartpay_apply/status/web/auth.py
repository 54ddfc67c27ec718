"""Who may read the status page: anyone on this machine, or the holders of a token.

Bound to localhost by default. Listening on any other address requires a bearer token
(`status.token`) or HTTP basic-auth credentials (`status.username` / `status.password`) from
smartpay.yaml, usually `${env:...}`; they are resolved here, when `status serve` starts, never
at config load (a `${env:}` left unset is then one error naming the file, line and variable).
Comparisons take constant time.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Receive, Scope, Send

from smartpay_apply.errors import ConfigError

if TYPE_CHECKING:
    from smartpay_apply.config import StatusConfig

REALM = "smartpay-apply status"


@dataclass(frozen=True)
class StatusAuth:
    """Accepted credentials: `Authorization: Bearer <token>` and/or basic auth."""

    token: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    def __repr__(self) -> str:  # never the secrets, even in a traceback
        return f"StatusAuth(token={'set' if self.token else None}, username={self.username!r})"

    def allows(self, header: str | None) -> bool:
        """Whether an Authorization header carries accepted credentials."""
        if not header:
            return False
        scheme, _, value = header.partition(" ")
        value = value.strip()
        if scheme.lower() == "bearer" and self.token is not None:
            return _same(value, self.token)
        if scheme.lower() == "basic" and self.username is not None and self.password is not None:
            try:
                decoded = base64.b64decode(value, validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                return False
            user, _, password = decoded.partition(":")
            # Both compared, always: the time taken says nothing about which one was wrong.
            return _same(user, self.username) & _same(password, self.password)
        return False

    def challenge(self) -> str:
        """The WWW-Authenticate header of a 401 (basic first: a browser can answer it)."""
        if self.username is not None:
            return f'Basic realm="{REALM}", charset="UTF-8"'
        return f'Bearer realm="{REALM}"'


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def is_loopback(host: str) -> bool:
    """localhost, 127.0.0.0/8 or ::1: only this machine can connect."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def status_auth(settings: StatusConfig, host: str) -> StatusAuth | None:
    """The credentials `status serve` on `host` requires (None: open to this machine only).

    ConfigError when `host` is not a loopback address and none are configured, or when a
    configured secret's `${env:}` is unset (the secret's own message names it).
    """
    token = settings.token.get_secret_value() if settings.token is not None else None
    password = settings.password.get_secret_value() if settings.password is not None else None
    if token is None and password is None:
        if is_loopback(host):
            return None
        raise ConfigError(
            f"status serve --host {host}: a page reachable from other machines needs "
            "credentials: set status.token (a bearer token) or status.username and "
            "status.password (basic auth) in smartpay.yaml, e.g. token: "
            "${env:SMARTPAY_STATUS_TOKEN} (or listen on 127.0.0.1)"
        )
    return StatusAuth(token=token, username=settings.username, password=password)


class RequireAuth:
    """ASGI middleware: a request without accepted credentials gets a 401 and nothing else."""

    def __init__(self, app: ASGIApp, auth: StatusAuth) -> None:
        self.app = app
        self.auth = auth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = next(
            (v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"authorization"),
            None,
        )
        if self.auth.allows(header):
            await self.app(scope, receive, send)
            return
        body = b"401 Unauthorized: this status page needs credentials.\n"
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                    (b"www-authenticate", self.auth.challenge().encode()),
                    (b"cache-control", b"no-store"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
