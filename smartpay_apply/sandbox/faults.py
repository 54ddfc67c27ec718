"""Faults on demand for reliability tests and benchmarks: latency, errors, drops, slow bodies.

Settings come from the config, overridden field by field by the admin API (`PUT
/_sandbox/faults`, kept in the world so every process sharing it agrees). Draws come from a
generator seeded with `config.seed`, so a run is repeatable. Admin routes are never faulted.
"""

from __future__ import annotations

import asyncio
import json
import random
from typing import TYPE_CHECKING, Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from smartpay_apply.sandbox.errors import GATEWAY_MESSAGES

if TYPE_CHECKING:
    from smartpay_apply.sandbox.app import Sandbox

FAULT_FIELDS = ("latency_ms", "error_rate", "drop_rate", "slow_body_ms")
#: What an injected error looks like: (HTTP status, body). The gateway ones answer HTTP 200.
ERRORS: tuple[tuple[int, dict[str, Any] | None], ...] = (
    (500, None),
    (502, None),
    (503, None),
    (200, {"error_code": 4, "error_msg": GATEWAY_MESSAGES[4]}),
    (200, {"error_code": 50029, "error_msg": GATEWAY_MESSAGES[50029]}),
)
SLOW_CHUNKS = 8


class ConnectionDropped(Exception):
    """Raised mid-response so the server closes the connection (a dropped connection)."""


def current_faults(sandbox: Sandbox) -> dict[str, float]:
    """The effective fault settings: config, overridden by the admin API."""
    config = sandbox.config
    settings = {name: float(getattr(config, name)) for name in FAULT_FIELDS}
    with sandbox.store.transaction(write=False) as state:
        settings.update(
            {k: float(v) for k, v in state.get("faults", {}).items() if k in FAULT_FIELDS}
        )
    return settings


class FaultMiddleware:
    """Wraps the API (not /_sandbox/) with the configured faults."""

    def __init__(self, app: ASGIApp, sandbox: Sandbox) -> None:
        self.app = app
        self.sandbox = sandbox
        self.rng = random.Random(sandbox.config.seed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_sandbox"):
            await self.app(scope, receive, send)
            return
        faults = current_faults(self.sandbox)
        if faults["latency_ms"] > 0:
            await asyncio.sleep(faults["latency_ms"] / 1000)
        if faults["error_rate"] > 0 and self.rng.random() < faults["error_rate"]:
            status, body = self.rng.choice(ERRORS)
            await _respond(send, status, body)
            return
        if faults["drop_rate"] > 0 and self.rng.random() < faults["drop_rate"]:
            try:
                await self.app(scope, receive, _dropping(send))
            except ConnectionDropped:
                # A real server closes the connection when the app returns mid-body (one log
                # line, no traceback); in process the exception itself is the drop.
                if not self.sandbox.served:
                    raise
            return
        if faults["slow_body_ms"] > 0:
            await self.app(scope, receive, _slow(send, faults["slow_body_ms"] / 1000))
            return
        await self.app(scope, receive, send)


async def _respond(send: Send, status: int, body: dict[str, Any] | None) -> None:
    content = (
        json.dumps(body).encode()
        if body is not None
        else b"<html><body>sandbox: injected error</body></html>"
    )
    kind = b"application/json" if body is not None else b"text/html"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", kind), (b"content-length", str(len(content)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": content})


def _dropping(send: Send) -> Send:
    """Send the headers and half the body, then break the connection."""

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.body":
            body: bytes = message.get("body", b"")
            await send(
                {"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True}
            )
            raise ConnectionDropped("sandbox fault: connection dropped")
        await send(message)

    return wrapped


def _slow(send: Send, seconds: float) -> Send:
    """Dribble the body out in chunks over `seconds`."""

    async def wrapped(message: Message) -> None:
        if message["type"] != "http.response.body":
            await send(message)
            return
        body: bytes = message.get("body", b"")
        more = message.get("more_body", False)
        size = max(1, -(-len(body) // SLOW_CHUNKS))
        chunks = [body[i : i + size] for i in range(0, len(body), size)] or [b""]
        for index, chunk in enumerate(chunks):
            await asyncio.sleep(seconds / len(chunks))
            last = index == len(chunks) - 1
            await send({"type": "http.response.body", "body": chunk, "more_body": more or not last})

    return wrapped
