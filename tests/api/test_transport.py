"""The default (aiohttp) transport over real sockets on 127.0.0.1: forms and uploads arrive,
and every way of getting no answer is named plainly and classified right — refused, DNS and
TLS failures were never sent (a POST is repeated), a dropped connection may have been (a write
is not). Also the proxy environment, honoured when set."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import logging
import socket
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from smartpay_apply.api.client import OpenApi
from smartpay_apply.api.errors import OutcomeUnknownError, TransportError
from smartpay_apply.api.models import DeveloperConfigRequest
from smartpay_apply.api.transport_aiohttp import AiohttpTransport
from smartpay_apply.api.transport_httpx import HttpxTransport
from tests.api.raw_server import raw_server


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, list[dict[str, object]]]]:
    seen: list[dict[str, object]] = []

    async def submit(request: web.Request) -> web.Response:
        form = await request.post()
        seen.append(
            {"query": dict(request.query), "form": dict(form), "ua": request.headers["User-Agent"]}
        )
        return web.json_response({"errno": 0, "msg": "success"})

    async def upload(request: web.Request) -> web.Response:
        form = await request.post()
        field = form["multipartFile"]
        assert isinstance(field, web.FileField)
        seen.append(
            {
                "query": dict(request.query),
                "file": field.file.read(),
                "name": field.filename,
                "type": form["type"],
            }
        )
        return web.json_response({"errno": 0, "msg": "success", "data": "https://img/1.png"})

    app = web.Application()
    app.router.add_post("/rest/2.0/smartapp/pay/developconfig/submit", submit)
    app.router.add_post("/file/2.0/smartapp/upload/image", upload)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}", seen
    finally:
        await runner.cleanup()


@pytest.fixture
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


CONFIG = DeveloperConfigRequest(
    tp_public_key="MIIB+/=",
    pay_notify_url="https://a/n?x=1&y=2",
    refund_audit_url="https://b",
    refund_succ_url="https://c",
)


async def test_default_transport_is_aiohttp_and_httpx_ones_are_wrapped() -> None:
    async with OpenApi() as api:
        assert isinstance(api.transport, AiohttpTransport)
    mock = httpx.MockTransport(lambda request: httpx.Response(200))
    async with OpenApi(transport=mock) as api:
        assert isinstance(api.transport, HttpxTransport) and api.transport.wrapped is mock


async def test_form_and_multipart_over_real_http(
    server: tuple[str, list[dict[str, object]]],
) -> None:
    base, seen = server
    async with OpenApi(base) as api:
        app = api.app("tok+/=")
        await app.submit_developer_config(CONFIG)
        url = await api.tp("tok+/=").upload_image(b"\x89PNG\r\n\x1a\n data", "front.png")
    assert url == "https://img/1.png"
    form_call, upload_call = seen
    assert form_call["query"] == {"access_token": "tok+/="}
    assert form_call["form"] == CONFIG.to_form()
    assert str(form_call["ua"]).startswith("smartpay-apply/")
    assert upload_call["file"] == b"\x89PNG\r\n\x1a\n data"
    assert (upload_call["name"], upload_call["type"]) == ("front.png", "2")


async def test_connection_refused_is_named_with_the_url_and_a_post_is_retried(
    caplog: pytest.LogCaptureFixture, no_proxy_env: None
) -> None:
    caplog.set_level(logging.DEBUG, logger="smartpay_apply.api")
    port = closed_port()
    async with OpenApi(f"http://127.0.0.1:{port}", retries=2, backoff_base=0.0) as api:
        with pytest.raises(TransportError) as caught:
            await api.app("secret-tok").submit_developer_config(CONFIG)
    assert str(caught.value) == (
        f"developconfig/submit: transport connection refused (http://127.0.0.1:{port}): "
        "is the endpoint right?"
    )
    attempts = [r.getMessage() for r in caplog.records if "developconfig/submit" in r.getMessage()]
    assert len(attempts) == 3  # never delivered, so the POST was safe to repeat
    assert all("-> not sent: connection refused" in line for line in attempts)


async def test_connection_refused_on_a_read(no_proxy_env: None) -> None:
    port = closed_port()
    async with OpenApi(f"http://127.0.0.1:{port}/", retries=0) as api:
        with pytest.raises(TransportError) as caught:
            await api.app("secret-tok").get_bind_service()
    assert str(caught.value) == (
        f"paymentservice/getbindservice: transport connection refused (http://127.0.0.1:{port}): "
        "is the endpoint right?"
    )


async def test_dns_failure_is_named(no_proxy_env: None) -> None:
    """`.invalid` never resolves (RFC 6761). The generous timeout lets a slow resolver answer
    before the connect bound does (that would be a connect timeout, not this)."""
    async with OpenApi("https://openapi.smartpay-test.invalid", retries=0, timeout=60) as api:
        with pytest.raises(TransportError) as caught:
            await api.app("secret-tok").get_account_audit_status()
    message = str(caught.value)
    assert message.startswith(
        "account/auditstatus: transport DNS lookup failed (https://openapi.smartpay-test.invalid): "
    )
    assert message.endswith("; is the endpoint right?")
    assert "secret-tok" not in message


def self_signed(directory: Path) -> ssl.SSLContext:
    """A server TLS context with a certificate no client trusts."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    (directory / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(directory / "cert.pem", directory / "key.pem")
    return context


async def test_tls_failure_is_named_and_never_sent(tmp_path: Path, no_proxy_env: None) -> None:
    hits: list[str] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        hits.append("request")  # only reached after a completed handshake
        writer.close()

    listening = await asyncio.start_server(
        handle, "127.0.0.1", 0, ssl=self_signed(tmp_path), ssl_handshake_timeout=5
    )
    port = listening.sockets[0].getsockname()[1]
    try:
        async with OpenApi(f"https://127.0.0.1:{port}", retries=1, backoff_base=0.0) as api:
            with pytest.raises(TransportError) as caught:
                await api.app("tok").submit_developer_config(CONFIG)
    finally:
        listening.close()
    assert str(caught.value).startswith(
        f"developconfig/submit: transport TLS handshake failed (https://127.0.0.1:{port}): "
        "certificate verify failed: self"
    )
    assert hits == []  # a write repeated (not OutcomeUnknown): it never went out


async def test_dropped_connection_after_a_write_is_outcome_unknown(no_proxy_env: None) -> None:
    """The server read the whole request, then closed: Baidu may have acted on it."""
    async with (
        raw_server(drop=True) as server,
        OpenApi(server.base, retries=3, backoff_base=0.0) as api,
    ):
        with pytest.raises(OutcomeUnknownError) as caught:
            await api.app("tok").submit_developer_config(CONFIG)
    assert len(server.seen) == 1
    assert "connection closed before the answer" in str(caught.value)


async def test_dropped_connection_on_a_read_is_retried(no_proxy_env: None) -> None:
    async with (
        raw_server(drop=True) as server,
        OpenApi(server.base, retries=2, backoff_base=0.0) as api,
    ):
        with pytest.raises(TransportError) as caught:
            await api.app("tok").get_account_audit_status()
    # 3 attempts; aiohttp itself repeats a GET once on a connection closed under it.
    assert len(server.seen) == 6
    assert str(caught.value) == (
        f"account/auditstatus: transport connection closed before the answer ({server.base})"
    )


async def test_read_timeout_on_a_get_is_retried_then_transport_error(no_proxy_env: None) -> None:
    calls: list[str] = []

    async def slow(request: web.Request) -> web.Response:
        calls.append(request.query["access_token"])
        await asyncio.sleep(1.0)
        return web.json_response({"errno": 0, "msg": "success", "data": {"status": 4}})

    app = web.Application()
    app.router.add_get("/rest/2.0/smartapp/pay/account/auditstatus", slow)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        base = f"http://127.0.0.1:{port}"
        async with OpenApi(base, timeout=0.2, retries=1, backoff_base=0.0) as api:
            with pytest.raises(TransportError) as caught:
                await api.app("tok").get_account_audit_status()
    finally:
        await runner.cleanup()
    assert str(caught.value) == (
        f"account/auditstatus: transport read timeout: no answer within 0.2 s ({base})"
    )
    assert calls == ["tok", "tok"]  # a read is safe to repeat


async def test_http_proxy_from_the_environment_is_used(
    monkeypatch: pytest.MonkeyPatch, no_proxy_env: None
) -> None:
    async with raw_server() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.base)
        async with OpenApi("http://openapi.smartpay-test.invalid", retries=0) as api:
            status = await api.app("tok").get_account_audit_status()
    assert status.status == 4
    (request,) = proxy.seen
    assert request.line == (
        b"GET http://openapi.smartpay-test.invalid/rest/2.0/smartapp/pay/account/auditstatus"
        b"?access_token=tok HTTP/1.1"
    )


async def test_no_proxy_is_honoured(monkeypatch: pytest.MonkeyPatch, no_proxy_env: None) -> None:
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    async with raw_server() as server, OpenApi(server.base, retries=0) as api:
        status = await api.app("tok").get_account_audit_status()
    assert status.status == 4
    assert server.seen[0].line.startswith(b"GET /rest/2.0/smartapp/pay/account/auditstatus?")


async def test_a_server_trusted_through_ssl_cert_file_is_reached(
    tmp_path: Path, no_proxy_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The trust is httpx's default (SSL_CERT_FILE, else SSL_CERT_DIR, else certifi): a
    platform behind its own certificate authority keeps working."""
    from smartpay_apply.api.tls import verified_context

    async def submit(request: web.Request) -> web.Response:
        return web.json_response({"errno": 0, "msg": "success"})

    app = web.Application()
    app.router.add_post("/rest/2.0/smartapp/pay/developconfig/submit", submit)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=self_signed(tmp_path))
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "cert.pem"))
    verified_context.cache_clear()  # made once per process: this test changes the trust
    try:
        async with OpenApi(f"https://127.0.0.1:{port}", retries=0) as api:
            await api.app("tok").submit_developer_config(CONFIG)
    finally:
        verified_context.cache_clear()
        await runner.cleanup()
