"""The default transport (httpx-aiohttp) over real HTTP on 127.0.0.1: forms, multipart,
query tokens, and "connection refused" classified as not delivered (so a POST is retried)."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from smartpay_apply.api.client import OpenApi
from smartpay_apply.api.errors import TransportError
from smartpay_apply.api.models import DeveloperConfigRequest


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


CONFIG = DeveloperConfigRequest(
    tp_public_key="MIIB+/=",
    pay_notify_url="https://a/n?x=1&y=2",
    refund_audit_url="https://b",
    refund_succ_url="https://c",
)


async def test_default_transport_is_aiohttp() -> None:
    from httpx_aiohttp import AiohttpTransport

    async with OpenApi() as api:
        assert isinstance(api._http._transport, AiohttpTransport)


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


async def test_connection_refused_post_is_retried_then_transport_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="smartpay_apply.api")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with OpenApi(f"http://127.0.0.1:{port}", retries=2, backoff_base=0.0) as api:
        with pytest.raises(
            TransportError, match=r"developconfig/submit: connection refused by http://127"
        ):
            await api.app("tok").submit_developer_config(CONFIG)
    attempts = [r.getMessage() for r in caplog.records if "developconfig/submit" in r.getMessage()]
    assert len(attempts) == 3  # never delivered, so the POST was safe to repeat


async def test_read_timeout_on_a_get_is_retried_then_transport_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
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
            with pytest.raises(TransportError, match=r"account/auditstatus: ReadTimeout"):
                await api.app("tok").get_account_audit_status()
    finally:
        await runner.cleanup()
    assert calls == ["tok", "tok"]  # a read is safe to repeat
