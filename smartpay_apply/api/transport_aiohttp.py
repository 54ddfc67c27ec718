"""The default transport: one aiohttp session, requests sent as the client finished them.

Why aiohttp and not httpx's own transport: at concurrency 32 on 2 cores the client's CPU per
request decides the wall time, and httpx's transport costs several times aiohttp's
(bench/bench_client.py, bench/README.md). The session is made on first use, inside the
running loop, and belongs to that loop. It trusts the proxy environment (HTTP(S)_PROXY,
NO_PROXY) only when a proxy variable is set: with `trust_env` aiohttp looks the settings and
~/.netrc up again in a worker thread on every request (~0.5 ms of CPU each).

aiohttp's errors become `NotSent` / `MaybeSent` here, where their meaning is known: a failure
to open the connection (refused, DNS, TLS, connect timeout) happened before any byte of the
request left; a read timeout or a dropped connection may have come after Baidu acted on it.
Imported only when the default transport is made (aiohttp takes ~0.2 s to import), without
the system's CA bundle for its default contexts, which are never used (`tls.py`). The TLS
context is made on the first https request (`tls.verified_context`), never for http://.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from urllib.request import getproxies

from smartpay_apply.api.tls import aiohttp_without_default_trust, verified_context

with aiohttp_without_default_trust():  # its unused default TLS contexts: see tls.py
    import aiohttp

from yarl import URL

from smartpay_apply.api.transport import (
    Answer,
    MaybeSent,
    NotSent,
    Timeouts,
    TransportFailure,
    connect_failure,
    seconds,
)


def proxies_in_env() -> bool:
    """Whether HTTP(S)_PROXY is set: only then does the session consult the environment.

    Without a proxy variable there is nothing to find, so the per-request lookup is skipped;
    httpx does not read ~/.netrc by default either.
    """
    return bool({"http", "https"} & getproxies().keys())


@lru_cache(maxsize=8)
def _client_timeout(timeouts: Timeouts) -> aiohttp.ClientTimeout:
    # aiohttp's `connect` covers waiting for a pooled connection plus opening it, so it takes
    # the pool bound (as httpx-aiohttp mapped httpx's timeouts); `sock_connect` the connect.
    return aiohttp.ClientTimeout(
        sock_connect=timeouts.connect, sock_read=timeouts.read, connect=timeouts.pool
    )


def failure(exc: BaseException, url: str, timeouts: Timeouts) -> TransportFailure:
    """What an aiohttp error means for the request: never sent, or maybe sent."""
    if isinstance(exc, aiohttp.ClientProxyConnectionError):
        return NotSent("cannot connect to the proxy", url, f"{exc.host}:{exc.port}: {exc.strerror}")
    if isinstance(exc, aiohttp.ClientHttpProxyError):
        return NotSent("the proxy refused the connection", url, f"HTTP {exc.status}")
    if isinstance(exc, aiohttp.ClientConnectorError):  # refused, DNS, TLS, unreachable
        return connect_failure(exc, url)
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return NotSent(f"connect timeout after {seconds(timeouts.connect)}", url)
    if isinstance(exc, (aiohttp.InvalidURL, aiohttp.NonHttpUrlClientError)):
        return NotSent("invalid URL", url, "check the endpoint")
    if isinstance(exc, aiohttp.SocketTimeoutError):
        return MaybeSent(f"read timeout: no answer within {seconds(timeouts.read)}", url)
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return MaybeSent("connection closed before the answer", url)
    if isinstance(exc, aiohttp.ClientPayloadError):
        return MaybeSent("answer cut off", url, str(exc))
    if isinstance(exc, TimeoutError):
        return MaybeSent("timeout", url, str(exc))
    return MaybeSent(type(exc).__name__, url, str(exc))


class AiohttpTransport:
    """`Transport` over an aiohttp session with at most `max_connections` connections."""

    def __init__(self, max_connections: int) -> None:
        self.max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(limit=self.max_connections)
        self._session = aiohttp.ClientSession(connector=connector, trust_env=proxies_in_env())
        return self._session

    async def send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes | None,
        timeouts: Timeouts,
    ) -> Answer:
        """One request, body read; `url` must be fully encoded (it is not quoted again)."""
        session = self._session or self._open()
        try:
            async with session.request(
                method,
                URL(url, encoded=True),
                headers=headers,
                data=body,
                allow_redirects=False,
                timeout=_client_timeout(timeouts),
                # certifi's bundle (or SSL_CERT_FILE/DIR), as httpx would trust; http:// needs none
                ssl=verified_context() if url.startswith("https:") else True,
            ) as response:
                content = await response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise failure(exc, url, timeouts) from exc
        return Answer(response.status, response.headers, content)

    async def aclose(self) -> None:
        """Close the session and its connections."""
        if self._session is not None:
            await self._session.close()
