"""The default transport: httpx-aiohttp, plus a direct lane for the client's hot path.

`OpenApi` keeps the httpx API (tests hand it httpx.MockTransport / ASGITransport, the embedded
sandbox an ASGI transport), but for the default transport each request used to pay for httpx's
own machinery on top of aiohttp's: URL parsing and re-quoting three times (base merge, params,
the request), a cookie jar update per response, httpx.Response streaming. At concurrency 32 on
2 cores that CPU decides the wall time (bench/README.md), so `AiohttpLane.fetch` sends a
request straight through the same aiohttp session, with the same headers, timeouts and
exception mapping (aiohttp errors become the same httpx exceptions, with the aiohttp error as
`__cause__`), and returns status, headers and body. Multipart uploads still go through httpx.
Imported only when the default transport is made (aiohttp takes ~0.2 s to import).
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.request import getproxies

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport
from httpx_aiohttp.transport import map_aiohttp_exceptions
from yarl import URL

from smartpay_apply.api.transport import Answer


def proxies_in_env() -> bool:
    """Whether HTTP(S)_PROXY is set: only then does the aiohttp session consult the environment.

    With `trust_env` aiohttp looks the proxy settings (and ~/.netrc) up again in a worker
    thread on *every* request: two thread hops and file reads, ~0.5 ms of CPU per request
    (bench/README.md). Without a proxy variable there is nothing to find, so it is skipped;
    httpx does not read ~/.netrc by default either.
    """
    return bool({"http", "https"} & getproxies().keys())


class AiohttpLane(AiohttpTransport):
    """httpx-aiohttp's transport (used as-is by httpx) with `fetch`, the direct lane."""

    def __init__(self, max_connections: int) -> None:
        # certifi's CA bundle, as httpx would use. Made once and handed to the base class, which
        # would otherwise build its own unused one: ~50 ms of CPU each at start-up.
        super().__init__(verify=httpx.create_ssl_context(), client=self._session)
        self._max_connections = max_connections

    def _session(self) -> aiohttp.ClientSession:
        # made on first use (inside the running loop)
        connector = aiohttp.TCPConnector(limit=self._max_connections, ssl=self.ssl_context)
        return aiohttp.ClientSession(connector=connector, trust_env=proxies_in_env())

    async def fetch(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes | None,
        timeout: httpx.Timeout,
    ) -> Answer:
        """One request, body read; raises the httpx exception httpx-aiohttp would raise.

        `url` must be fully encoded (as `query_string` makes it): it is not quoted again.
        """
        if not isinstance(self.client, aiohttp.ClientSession):
            self.client = self.get_client()
        limits = aiohttp.ClientTimeout(
            sock_connect=timeout.connect, sock_read=timeout.read, connect=timeout.pool
        )
        with map_aiohttp_exceptions():
            async with self.client.request(
                method,
                URL(url, encoded=True),
                headers=headers,
                data=body,
                allow_redirects=False,
                timeout=limits,
            ) as response:
                content = await response.read()
        return Answer(response.status, response.headers, content)
