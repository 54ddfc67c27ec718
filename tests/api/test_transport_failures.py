"""How each transport names a failure and whether the request may have been sent (tables).

"Never sent" lets a write be repeated; "maybe sent" makes it OutcomeUnknownError — getting
this wrong either duplicates a write or gives up on a safe retry, so every error type the two
transports can see has a row. The real-socket cases are in test_transport.py.
"""

from __future__ import annotations

import socket
import ssl
from typing import TypeVar

import aiohttp
import httpx
import pytest
from aiohttp.client_reqrep import ConnectionKey

from smartpay_apply.api import transport_aiohttp, transport_httpx
from smartpay_apply.api.client import certainly_not_sent
from smartpay_apply.api.transport import MaybeSent, NotSent, Timeouts, TransportFailure

URL = "https://openapi.example:8443/rest/x?access_token=tok-secret"
TIMEOUTS = Timeouts(connect=3.0, read=10.0, pool=10.0)
KEY = ConnectionKey("openapi.example", 8443, True, True, None, None, None)
HERE = "(https://openapi.example:8443)"
E = TypeVar("E", bound=BaseException)


def cert_error() -> ssl.SSLCertVerificationError:
    error = ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] verify failed")
    error.verify_message = "self-signed certificate"
    return error


def caused(exc: E, cause: BaseException) -> E:
    exc.__cause__ = cause
    return exc


AIOHTTP: list[tuple[BaseException, type[TransportFailure], str]] = [
    (
        aiohttp.ClientConnectorError(KEY, ConnectionRefusedError(111, "Connect call failed")),
        NotSent,
        f"connection refused {HERE}: is the endpoint right?",
    ),
    (
        aiohttp.ClientConnectorError(KEY, OSError(111, "Multiple exceptions: ...")),
        NotSent,
        f"connection refused {HERE}: is the endpoint right?",
    ),
    (
        aiohttp.ClientConnectorDNSError(KEY, socket.gaierror(-2, "Name or service not known")),
        NotSent,
        f"DNS lookup failed {HERE}: Name or service not known; is the endpoint right?",
    ),
    (
        caused(aiohttp.ClientConnectorCertificateError(KEY, cert_error()), cert_error()),
        NotSent,
        f"TLS handshake failed {HERE}: certificate verify failed: self-signed certificate",
    ),
    (
        caused(
            aiohttp.ClientConnectorSSLError(KEY, ssl.SSLError(1, "wrong version (_ssl.c:1006)")),
            ssl.SSLError(1, "wrong version (_ssl.c:1006)"),
        ),
        NotSent,
        f"TLS handshake failed {HERE}: wrong version",
    ),
    (
        aiohttp.ClientConnectorError(KEY, OSError(101, "Network is unreachable")),
        NotSent,
        f"cannot connect {HERE}: Network is unreachable",
    ),
    (
        aiohttp.ClientProxyConnectionError(
            ConnectionKey("proxy", 3128, False, True, None, None, None),
            ConnectionRefusedError(111, "Connect call failed"),
        ),
        NotSent,
        f"cannot connect to the proxy {HERE}: proxy:3128: Connect call failed",
    ),
    (
        aiohttp.ClientHttpProxyError(None, (), status=407),  # type: ignore[arg-type]
        NotSent,
        f"the proxy refused the connection {HERE}: HTTP 407",
    ),
    (
        aiohttp.ConnectionTimeoutError(f"Connection timeout to host {URL}"),
        NotSent,
        f"connect timeout after 3 s {HERE}",
    ),
    (aiohttp.InvalidUrlClientError("x"), NotSent, f"invalid URL {HERE}: check the endpoint"),
    (
        aiohttp.SocketTimeoutError("Timeout on reading data from socket"),
        MaybeSent,
        f"read timeout: no answer within 10 s {HERE}",
    ),
    (aiohttp.ServerDisconnectedError(), MaybeSent, f"connection closed before the answer {HERE}"),
    (
        aiohttp.ClientPayloadError("Response payload is not completed"),
        MaybeSent,
        f"answer cut off {HERE}: Response payload is not completed",
    ),
    (
        aiohttp.ClientOSError(104, "Connection reset by peer"),
        MaybeSent,
        f"ClientOSError {HERE}: [Errno 104] Connection reset by peer",
    ),
    (TimeoutError(), MaybeSent, f"timeout {HERE}"),
]


@pytest.mark.parametrize(("error", "kind", "line"), AIOHTTP, ids=lambda v: type(v).__name__)
def test_aiohttp_failures(error: BaseException, kind: type[TransportFailure], line: str) -> None:
    failure = transport_aiohttp.failure(error, URL, TIMEOUTS)
    assert (type(failure), str(failure)) == (kind, line)


HTTPX: list[tuple[httpx.HTTPError, type[TransportFailure], str]] = [
    (httpx.ConnectError("refused"), NotSent, f"cannot connect {HERE}: refused"),
    (
        caused(httpx.ConnectError("x"), ConnectionRefusedError(111, "Connection refused")),
        NotSent,
        f"connection refused {HERE}: is the endpoint right?",
    ),
    (
        caused(httpx.ConnectError("x"), socket.gaierror(-3, "Temporary failure")),
        NotSent,
        f"DNS lookup failed {HERE}: Temporary failure; is the endpoint right?",
    ),
    (
        caused(httpx.ConnectError("x"), cert_error()),
        NotSent,
        f"TLS handshake failed {HERE}: certificate verify failed: self-signed certificate",
    ),
    (httpx.ConnectTimeout("slow"), NotSent, f"connect timeout after 3 s {HERE}"),
    (httpx.PoolTimeout("busy"), NotSent, f"no free connection within 10 s {HERE}"),
    (httpx.UnsupportedProtocol("ftp"), NotSent, f"invalid URL {HERE}: check the endpoint"),
    (httpx.ReadTimeout("slow"), MaybeSent, f"read timeout: no answer within 10 s {HERE}"),
    (httpx.WriteTimeout("slow"), MaybeSent, f"read timeout: no answer within 10 s {HERE}"),
    (
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        MaybeSent,
        f"connection closed before the answer {HERE}: Server disconnected without sending a "
        "response.",
    ),
    (
        httpx.ReadError(f"failed reading {URL}"),
        MaybeSent,
        f"ReadError {HERE}: failed reading https://openapi.example:8443/rest/x?access_token=****",
    ),
    # httpx-aiohttp says ConnectTimeout for any aiohttp connection error: the cause decides.
    (
        caused(httpx.ConnectTimeout("Server disconnected"), aiohttp.ServerDisconnectedError()),
        MaybeSent,
        f"connection closed before the answer {HERE}",
    ),
]


@pytest.mark.parametrize(("error", "kind", "line"), HTTPX, ids=lambda v: type(v).__name__)
def test_httpx_failures(error: httpx.HTTPError, kind: type[TransportFailure], line: str) -> None:
    failure = transport_httpx.failure(error, URL, TIMEOUTS)
    assert (type(failure), str(failure)) == (kind, line)
    assert certainly_not_sent(error) is (kind is NotSent)


def test_failures_never_show_user_info_or_query() -> None:
    failure = NotSent("connection refused", "https://user:pw@h:1/p?access_token=tok&x=1")
    assert str(failure) == "connection refused (https://h:1)"


def test_certainly_not_sent_for_our_own_types() -> None:
    assert certainly_not_sent(NotSent("connection refused", URL))
    assert not certainly_not_sent(MaybeSent("read timeout", URL))
    assert not certainly_not_sent(ValueError("other"))
