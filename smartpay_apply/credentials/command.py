"""`token_command`: a command that prints an access token, like kubectl's exec plugins.

Why: a CI system often has its own way to mint a token (a vault, a company TP service). The
tool runs the command (never through a shell), caches its answer until it expires, and runs it
again when the openapi rejects the token (110/111).

The command prints either a bare token on one line, or JSON:

    {"access_token": "...", "expires_in": 3600}

`expires_at` (unix seconds or ISO-8601) is accepted instead of `expires_in`, and kubectl's
ExecCredential shape (`{"status": {"token": ..., "expirationTimestamp": ...}}`) works too. A
bare token is cached for `BARE_TOKEN_TTL` seconds (a mini-program token lives one hour).
Stderr is captured; it is shown (tail only) when the command fails, never next to a token.
The command learns which mini-program it is asked for from SMARTPAY_APP and SMARTPAY_APP_ID in
its environment, so one project-wide `token_command` can serve every spec.
"""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from smartpay_apply.credentials.errors import CredentialsError
from smartpay_apply.sensitive import mask_query

#: How long a bare token (no expiry given) is trusted before the command runs again.
BARE_TOKEN_TTL = 50 * 60
#: A token this close to its expiry is treated as expired (clock skew, slow requests).
EXPIRY_MARGIN = 60.0
DEFAULT_TIMEOUT = 30.0
_MAX_OUTPUT = 64 * 1024


@dataclass(frozen=True)
class CachedToken:
    """A token and the moment (time.time()) after which it must not be used."""

    value: str
    expires_at: float

    def fresh(self, margin: float = EXPIRY_MARGIN) -> bool:
        return time.time() < self.expires_at - margin


class CommandToken:
    """A TokenSource that runs `command` and caches what it prints until it expires."""

    def __init__(
        self,
        command: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        cwd: str | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        try:
            self._argv = shlex.split(command)
        except ValueError as error:
            raise CredentialsError(
                f"token_command cannot be parsed ({error}): {command!r}"
            ) from None
        if not self._argv:
            raise CredentialsError("token_command is empty")
        self._timeout = timeout
        self._cwd = cwd
        self._env = {**os.environ, **env} if env else None
        self._cached: CachedToken | None = None
        self._lock = asyncio.Lock()
        self.runs = 0  # how many times the command ran (shown by `auth status -v`, used in tests)

    @property
    def program(self) -> str:
        """The command's program name, safe to print (its arguments may hold secrets)."""
        return os.path.basename(self._argv[0])

    async def token(self) -> str:
        async with self._lock:
            if self._cached is None or not self._cached.fresh():
                self._cached = await self._run()
            return self._cached.value

    async def refresh(self, rejected: str) -> str:
        """Run the command again, unless another caller already replaced the rejected token."""
        async with self._lock:
            if self._cached is not None and self._cached.value != rejected and self._cached.fresh():
                return self._cached.value
            self._cached = await self._run()
            return self._cached.value

    async def _run(self) -> CachedToken:
        self.runs += 1
        try:
            process = await asyncio.create_subprocess_exec(
                *self._argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                cwd=self._cwd,
                env=self._env,
            )
        except OSError as error:
            raise CredentialsError(
                f"token_command {self.program!r} cannot start: {error.strerror}"
            ) from None
        try:
            stdout, stderr = await asyncio.wait_for(process.communicate(), self._timeout)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise CredentialsError(
                f"token_command {self.program!r} did not finish within {self._timeout:g} s"
            ) from None
        if process.returncode != 0:
            raise CredentialsError(
                f"token_command {self.program!r} exited with status {process.returncode}"
                + _stderr_tail(stderr)
            )
        return parse_token_output(stdout[:_MAX_OUTPUT], self.program)


def _stderr_tail(stderr: bytes, limit: int = 400) -> str:
    text = stderr.decode("utf-8", "replace").strip()
    if not text:
        return ""
    return ": " + mask_query(text[-limit:])


def parse_token_output(output: bytes, program: str = "token_command") -> CachedToken:
    """A bare token or a JSON document -> CachedToken. Errors never quote the output."""
    text = output.decode("utf-8", "replace").strip()
    if not text:
        raise CredentialsError(f"token_command {program!r} printed nothing")
    if text.startswith("{"):
        try:
            document = json.loads(text)
        except ValueError:
            raise CredentialsError(f"token_command {program!r} printed invalid JSON") from None
        return _from_json(document, program)
    if any(ch.isspace() for ch in text):
        raise CredentialsError(
            f"token_command {program!r} must print one token on one line, or JSON with access_token"
        )
    return CachedToken(text, time.time() + BARE_TOKEN_TTL)


def _from_json(document: Any, program: str) -> CachedToken:
    if not isinstance(document, dict):
        raise CredentialsError(f"token_command {program!r}: JSON must be an object")
    status = document.get("status") if isinstance(document.get("status"), dict) else None
    if status is not None and "token" in status:  # kubectl ExecCredential
        token, expiry = status.get("token"), {"expires_at": status.get("expirationTimestamp")}
    else:
        token, expiry = document.get("access_token"), document
    if not isinstance(token, str) or not token.strip():
        raise CredentialsError(f"token_command {program!r}: JSON has no string access_token")
    return CachedToken(token.strip(), _expiry(expiry, program))


def _expiry(fields: dict[str, Any], program: str) -> float:
    expires_in, expires_at = fields.get("expires_in"), fields.get("expires_at")
    try:
        if expires_in is not None:
            return time.time() + float(expires_in)
        if isinstance(expires_at, int | float) and not isinstance(expires_at, bool):
            return float(expires_at)
        if isinstance(expires_at, str) and expires_at:
            moment = datetime.fromisoformat(expires_at.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                raise ValueError("no time zone")
            return moment.timestamp()
    except (TypeError, ValueError):
        raise CredentialsError(
            f"token_command {program!r}: expires_in must be seconds, expires_at unix seconds "
            "or ISO-8601 with a zone"
        ) from None
    return time.time() + BARE_TOKEN_TTL
