"""`Transport` over any `httpx.AsyncBaseTransport`: the in-process path.

Tests hand `OpenApi` an `httpx.MockTransport` or `httpx.ASGITransport`, and `endpoint:
sandbox` runs the sandbox app in-process through one; this adapter puts them behind the same
seam as the network transport. The request it builds carries the client's bytes unchanged
plus the headers httpx's client would add (Host, Content-Length, Accept-Encoding), so an
in-process test sees what the wire sees. httpx's errors become `NotSent` / `MaybeSent`.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping

import httpx

from smartpay_apply.api.transport import (
    Answer,
    MaybeSent,
    NotSent,
    Timeouts,
    TransportFailure,
    connect_failure,
    seconds,
)

#: What httpx's client offers to decode (its own default header; it depends on which
#: decoders are installed, so it is read from httpx rather than copied).
ACCEPT_ENCODING: str = getattr(
    importlib.import_module("httpx._client"), "ACCEPT_ENCODING", "gzip, deflate"
)


def failure(exc: httpx.HTTPError, url: str, timeouts: Timeouts) -> TransportFailure:
    """What an httpx error means for the request: never sent, or maybe sent.

    httpx-aiohttp reports every aiohttp connection error (even "server disconnected" after the
    request went out) as httpx.ConnectTimeout, so when the cause is aiohttp's, it decides.
    """
    cause = exc.__cause__
    if cause is not None and type(cause).__module__.startswith("aiohttp"):
        from smartpay_apply.api.transport_aiohttp import failure as aiohttp_failure

        return aiohttp_failure(cause, url, timeouts)
    if isinstance(exc, httpx.ConnectError):
        return connect_failure(exc, url)
    if isinstance(exc, httpx.ConnectTimeout):
        return NotSent(f"connect timeout after {seconds(timeouts.connect)}", url)
    if isinstance(exc, httpx.PoolTimeout):
        return NotSent(f"no free connection within {seconds(timeouts.pool)}", url)
    if isinstance(exc, httpx.UnsupportedProtocol):
        return NotSent("invalid URL", url, "check the endpoint")
    if isinstance(exc, (httpx.ReadTimeout, httpx.WriteTimeout)):
        return MaybeSent(f"read timeout: no answer within {seconds(timeouts.read)}", url)
    if isinstance(exc, httpx.RemoteProtocolError):
        return MaybeSent("connection closed before the answer", url, str(exc))
    return MaybeSent(type(exc).__name__, url, str(exc))


class HttpxTransport:
    """`Transport` that sends through `transport` (and closes it with itself)."""

    def __init__(self, transport: httpx.AsyncBaseTransport) -> None:
        self.wrapped = transport

    async def send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes | None,
        timeouts: Timeouts,
    ) -> Answer:
        """One request through the wrapped transport, its body read and decoded."""
        request = httpx.Request(method, url, headers=self._headers(headers), content=body)
        request.extensions = {
            "timeout": {
                "connect": timeouts.connect,
                "read": timeouts.read,
                "write": timeouts.read,
                "pool": timeouts.pool,
            }
        }
        try:
            response = await self.wrapped.handle_async_request(request)
            try:
                content = await response.aread()
            finally:
                await response.aclose()
        except httpx.HTTPError as exc:
            raise failure(exc, url, timeouts) from exc
        return Answer(response.status_code, response.headers, content)

    @staticmethod
    def _headers(headers: Mapping[str, str]) -> dict[str, str]:
        # httpx's client would offer its decoders; Host and Content-Length httpx.Request adds.
        if any(name.lower() == "accept-encoding" for name in headers):
            return dict(headers)
        return {**headers, "accept-encoding": ACCEPT_ENCODING}

    async def aclose(self) -> None:
        """Close the wrapped transport (the embedded sandbox drains its pushes here)."""
        await self.wrapped.aclose()
