"""The one seam between the client and the network: `Transport`.

The client hands a transport a finished request — method, URL, headers, body bytes, timeouts —
and gets back status, headers and body. Everything above the seam (tokens, retries, Baidu's
error shapes) is the client's; everything below (sockets, TLS, proxies, pools) the
transport's. Two implementations: `transport_aiohttp.AiohttpTransport` (the default, for
speed) and `transport_httpx.HttpxTransport` (any `httpx.AsyncBaseTransport`: MockTransport,
ASGITransport, the embedded sandbox).

A transport that gets no answer raises `NotSent` (the request certainly never reached the
server: nothing can have happened, any call may be repeated) or `MaybeSent` (it may have
arrived and been acted on: a write must not be repeated blindly). That one distinction is all
the retry rules need, so it is made here, where the failure is understood, and not guessed
later from exception types. Messages say plainly what failed and where (scheme, host and
port only: a URL's query carries the access token).
"""

from __future__ import annotations

import errno
import re
import socket
import ssl
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable
from urllib.parse import urlsplit

from smartpay_apply.sensitive import mask_query

#: The C source position OpenSSL errors end with: noise to a reader.
_SSL_SOURCE = re.compile(r" \(_ssl\.c:\d+\)$")

#: Said after a failure that usually means a wrong `endpoint:` (or the server is down).
CHECK_ENDPOINT = "is the endpoint right?"


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Bounds of one attempt, in seconds: opening a connection, waiting for the answer, and
    waiting for a free connection of the pool."""

    connect: float
    read: float
    pool: float


@dataclass(frozen=True, slots=True)
class Answer:
    """What came back: status, headers (case-insensitive mapping) and the whole body."""

    status: int
    headers: Mapping[str, str]
    body: bytes


class TransportFailure(Exception):
    """No answer. `what` names the failure plainly, `url` is where (origin only), `detail`
    adds the cause or what to check."""

    def __init__(self, what: str, url: str, detail: str = "") -> None:
        self.what = what
        self.url = origin(url)
        self.detail = mask_query(detail)
        text = f"{what} ({self.url})"
        super().__init__(f"{text}: {self.detail}" if self.detail else text)


class NotSent(TransportFailure):
    """The request never left (refused, DNS, TLS, connect timeout): safe to repeat."""


class MaybeSent(TransportFailure):
    """The request may have reached the server (read timeout, dropped connection)."""


@runtime_checkable
class Transport(Protocol):
    """Sends one finished request and returns the whole answer, or raises NotSent/MaybeSent."""

    async def send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes | None,
        timeouts: Timeouts,
    ) -> Answer:
        """`url` is fully encoded (it is not quoted again); `body` goes out as given."""
        ...

    async def aclose(self) -> None:
        """Release connections (and whatever the transport owns)."""
        ...


def origin(url: str) -> str:
    """`scheme://host[:port]` of `url`: no user info, path or query (the token lives there)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "(unparsable URL)"
    if not parts.scheme or not host:  # not a URL a transport can use: show it, minus query
        return url.split("?", 1)[0].rsplit("@", 1)[-1]
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{port}" if port is not None else host
    return f"{parts.scheme}://{netloc}"


def seconds(value: float) -> str:
    """`3 s`, `0.2 s`: a timeout as a person writes it."""
    return f"{value:g} s"


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and its causes: transports wrap the OS error in one or two layers (as the cause,
    or as aiohttp's `os_error`)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        wrapped = getattr(current, "os_error", None)
        if isinstance(wrapped, BaseException) and wrapped is not current.__cause__:
            yield wrapped
        current = current.__cause__ or current.__context__


def connect_failure(exc: BaseException, url: str) -> NotSent:
    """A failure to open the connection, named by its cause: TLS, DNS, refused, or other."""
    causes = list(_chain(exc))
    tls = [cause for cause in causes if isinstance(cause, ssl.SSLError)]
    if tls:  # the innermost is ssl's own (aiohttp's wrappers are SSLErrors too)
        return NotSent("TLS handshake failed", url, _tls_reason(tls[-1]))
    for cause in causes:
        if isinstance(cause, socket.gaierror):
            return NotSent("DNS lookup failed", url, f"{cause.strerror}; {CHECK_ENDPOINT}")
        if isinstance(cause, OSError) and cause.errno == errno.ECONNREFUSED:
            return NotSent("connection refused", url, CHECK_ENDPOINT)
    for cause in causes:
        if isinstance(cause, OSError) and cause.strerror:
            return NotSent("cannot connect", url, cause.strerror)
    return NotSent("cannot connect", url, str(exc))


def _tls_reason(error: ssl.SSLError) -> str:
    """`certificate verify failed: self-signed certificate`, or OpenSSL's reason."""
    verify = getattr(error, "verify_message", None)
    if verify:
        return f"certificate verify failed: {verify}"
    text = error.strerror if isinstance(error.strerror, str) else str(error)
    return _SSL_SOURCE.sub("", text)
