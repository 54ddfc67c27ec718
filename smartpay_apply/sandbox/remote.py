"""How the `sandbox` admin commands reach a sandbox's admin API, and never anything else.

A URL on Baidu's own hosts is refused before any request; any other URL must answer
`GET /_sandbox/health` with the sandbox's mark before a single admin request (POST, PUT,
DELETE or GET) is sent to it. A world file is acted on in process, and only if it exists
(`reset` may make one). Refusals are one-line UsageErrors (exit 1).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from smartpay_apply.errors import UsageError
from smartpay_apply.sandbox.admin import HEALTH_MARK

#: Hosts that are Baidu's, never a sandbox: refused without sending anything.
PRODUCTION_SUFFIXES = ("baidu.com", "bdstatic.com", "baidubce.com")
IN_PROCESS_URL = "http://sandbox.invalid"


def refuse_production(url: str) -> None:
    """Baidu's own hosts are never a sandbox: refuse before any request goes out."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    if any(host == suffix or host.endswith("." + suffix) for suffix in PRODUCTION_SUFFIXES):
        raise UsageError(
            f"{url} is Baidu's openapi, not a sandbox: sandbox commands only talk to a sandbox "
            "(use --url, --state, or `endpoint: sandbox`)"
        )


def world_transport(state_file: Path | None) -> httpx.AsyncBaseTransport:
    """An in-process sandbox over `state_file` (None: an empty world in memory)."""
    from smartpay_apply.sandbox.app import create_app
    from smartpay_apply.sandbox.config import SandboxConfig

    return httpx.ASGITransport(app=create_app(SandboxConfig(state_file=state_file)))


def file_transport(state_file: Path, create: bool) -> httpx.AsyncBaseTransport:
    """The world in `state_file`; UsageError if it does not exist (unless `create`)."""
    if not create and not state_file.is_file():
        raise UsageError(f"no such world file: {state_file}")
    return world_transport(state_file)


def call(
    url: str,
    transport: httpx.AsyncBaseTransport | None,
    method: str,
    path: str,
    body: Any = None,
    params: dict[str, Any] | None = None,
) -> Any:
    """One admin request (`/_sandbox/<path>`) and its JSON answer.

    `transport` None means real HTTP to `url`: refused for Baidu's hosts, and sent only after
    the health probe recognised a sandbox.
    """
    if transport is None:
        refuse_production(url)

    async def send() -> httpx.Response:
        async with httpx.AsyncClient(base_url=url, transport=transport, timeout=30) as http:
            if transport is None:
                await check_is_sandbox(http, url)
            return await http.request(method, f"/_sandbox/{path}", json=body, params=params)

    try:
        response = asyncio.run(send())
    except httpx.HTTPError as error:
        raise UsageError(f"cannot reach the sandbox: {error or type(error).__name__}") from None
    return answer(url, response)


async def check_is_sandbox(http: httpx.AsyncClient, url: str) -> None:
    """Refuse `url` unless its health route answers as this project's sandbox (a GET)."""
    response = await http.get("/_sandbox/health")
    try:
        health = response.json()
    except ValueError:
        health = None
    if (
        response.status_code != 200
        or not isinstance(health, dict)
        or health.get("sandbox") != HEALTH_MARK
    ):
        raise UsageError(
            f"{url} is not a sandbox (no sandbox answer at /_sandbox/health, "
            f"HTTP {response.status_code}); nothing was sent to it"
        )


def answer(url: str, response: httpx.Response) -> Any:
    """The JSON of an admin answer; its `error` (or a non-sandbox answer) as a UsageError."""
    try:
        data = response.json()
    except ValueError:
        raise UsageError(
            f"{url}: not a sandbox admin answer (HTTP {response.status_code})"
        ) from None
    if response.status_code >= 400:
        if isinstance(data, dict) and "error" in data:
            raise UsageError(str(data["error"]))
        raise UsageError(f"{url} does not answer the sandbox admin API (is it a sandbox?)")
    return data
