"""The exact bytes of a request, on a real socket and in-process.

Query, form and multipart encodings are written out literally (as the client sent them before
the transport seam: spaces as +, everything else percent-encoded, httpx's multipart layout),
so a change in any encoder fails here. The in-process transport must carry the same URL and
body, and a repeated attempt must repeat the first one's bytes.
"""

from __future__ import annotations

import re

import httpx

from smartpay_apply import __version__
from smartpay_apply.api.client import OpenApi
from smartpay_apply.api.models import DeveloperConfigRequest, PaymentServiceUpdateRequest
from tests.api.raw_server import Seen, raw_server

CONFIG = DeveloperConfigRequest(
    tp_public_key="MIIB+/= 中文 x",
    pay_notify_url="https://a/n?x=1&y=2 z",
    refund_audit_url="https://b",
    refund_succ_url="https://c",
)
TOKEN = "tok+/= sp"
CONFIG_LINE = (
    b"POST /rest/2.0/smartapp/pay/developconfig/submit?access_token=tok%2B%2F%3D+sp HTTP/1.1"
)
CONFIG_BODY = (
    b"tp_public_key=MIIB%2B%2F%3D+%E4%B8%AD%E6%96%87+x"
    b"&pay_notify_url=https%3A%2F%2Fa%2Fn%3Fx%3D1%26y%3D2+z"
    b"&refund_audit_url=https%3A%2F%2Fb&refund_succ_url=https%3A%2F%2Fc"
)
UPDATE_BODY = b"app_name=%E5%90%8D+a%2Bb&service_phone=1+2&pool_cash_pledge=1"
ORDERS_QUERY = (
    b"status=all&start_time=1&end_time=2&current_page=1&page_size=10&access_token=tok%2B%2F%3D+sp"
)
IMAGE = b"\x89PNG\r\n\x1a\n data\r\n--x"


def multipart(boundary: bytes) -> bytes:
    part = b"--" + boundary + b"\r\n"
    return (
        part + b'Content-Disposition: form-data; name="type"\r\n\r\n2\r\n'
        b"" + part + b'Content-Disposition: form-data; name="multipartFile"; '
        b'filename="fr%22o nt.png"\r\nContent-Type: image/png\r\n\r\n'
        b"" + IMAGE + b"\r\n--" + boundary + b"--\r\n"
    )


def boundary_of(content_type: str | None) -> bytes:
    match = re.fullmatch(r"multipart/form-data; boundary=([0-9a-f]{32})", content_type or "")
    assert match, content_type
    return match.group(1).encode()


async def calls(api: OpenApi) -> None:
    app = api.app(TOKEN)
    await app.submit_developer_config(CONFIG)
    await app.update_payment_service(
        PaymentServiceUpdateRequest(app_name="名 a+b", service_phone="1 2", pool_cash_pledge=1)
    )
    await api.tp("tp tok").upload_image(IMAGE, 'fr"o nt.png')


async def test_bytes_on_a_real_socket() -> None:
    def answer(request: Seen) -> object:
        page = {"data": [], "total_count": 0}
        data = page if b"orderlist" in request.line else "https://i/1"
        return {"errno": 0, "msg": "success", "data": data}

    async with raw_server(answer=answer) as server, OpenApi(server.base, retries=0) as api:
        await calls(api)
        await api.app(TOKEN).order_list(start_time=1, end_time=2, page_size=10)
    config, update, upload, orders = server.seen
    assert (config.line, config.body) == (CONFIG_LINE, CONFIG_BODY)
    assert config.headers() == {
        "host": f"127.0.0.1:{server.port}",
        "accept": "*/*",
        "connection": "keep-alive",
        "user-agent": f"smartpay-apply/{__version__}",
        "content-type": "application/x-www-form-urlencoded",
        "accept-encoding": "gzip, deflate",
        "content-length": str(len(CONFIG_BODY)),
    }
    assert update.body == UPDATE_BODY
    assert upload.line == b"POST /file/2.0/smartapp/upload/image?access_token=tp+tok HTTP/1.1"
    assert upload.body == multipart(boundary_of(upload.header("content-type")))
    assert orders.line == (
        b"GET /rest/2.0/smartapp/pay/paymentservice/orderlist?" + ORDERS_QUERY + b" HTTP/1.1"
    )
    assert orders.body == b"" and orders.header("content-length") is None


async def test_in_process_transport_gets_the_same_url_and_body() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"errno": 0, "msg": "success", "data": "https://i/1"})

    async with OpenApi("http://mock.test/", transport=httpx.MockTransport(handle)) as api:
        await calls(api)
    config, update, upload = seen
    assert config.url.raw_path == CONFIG_LINE.split(b" ")[1]
    assert (config.content, update.content) == (CONFIG_BODY, UPDATE_BODY)
    assert config.headers["content-type"] == "application/x-www-form-urlencoded"
    assert config.headers["content-length"] == str(len(CONFIG_BODY))
    assert upload.content == multipart(boundary_of(upload.headers["content-type"]))


async def test_a_repeated_attempt_sends_the_same_bytes() -> None:
    """The body is encoded once per call: a retried upload repeats even its boundary."""
    attempts: list[httpx.Request] = []

    def flaky(request: httpx.Request) -> httpx.Response:
        attempts.append(request)
        if len(attempts) == 1:
            raise httpx.ReadTimeout("lost", request=request)
        return httpx.Response(200, json={"errno": 0, "msg": "success", "data": "https://i/1"})

    transport = httpx.MockTransport(flaky)
    async with OpenApi("http://mock.test", transport=transport, backoff_base=0.0) as api:
        assert await api.tp("tp").upload_image(IMAGE, "a.png") == "https://i/1"
    first, second = attempts
    assert first.content == second.content
    assert first.headers["content-type"] == second.headers["content-type"]
