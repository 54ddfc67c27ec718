"""Which failures are retried: GETs freely; POSTs only when not delivered or recognisable."""

from __future__ import annotations

import httpx
import pytest

from smartpay_apply.api.client import certainly_not_sent
from smartpay_apply.api.errors import (
    AlreadyExistsError,
    BusinessError,
    OutcomeUnknownError,
    TransportError,
)
from smartpay_apply.api.models import DeveloperConfigRequest, PaymentServiceUpdateRequest
from tests.api import doc_examples as doc
from tests.api.fake import PAY, FakeBaidu, make_api
from tests.api.test_endpoints import ACCOUNT, SERVICE

AUDIT = f"{PAY}/account/auditstatus"
CONFIG = DeveloperConfigRequest(
    tp_public_key="k",
    pay_notify_url="https://a",
    refund_audit_url="https://b",
    refund_succ_url="https://c",
)


def read_timeout(request: httpx.Request) -> None:
    raise httpx.ReadTimeout("timed out", request=request)


def connect_error(request: httpx.Request) -> None:
    raise httpx.ConnectError("connection refused", request=request)


async def test_get_retried_on_5xx_and_timeouts(fake: FakeBaidu) -> None:
    fake.queue(
        AUDIT,
        httpx.Response(502, text="bad gateway"),
        read_timeout,
        connect_error,
        doc.ACCOUNT_AUDIT,
    )
    async with make_api(fake, retries=3) as api:
        status = await api.app("tok").get_account_audit_status()
    assert status.status == 4
    assert len(fake.requests) == 4


async def test_get_gives_up_after_retries_with_transport_error(fake: FakeBaidu) -> None:
    fake.always(AUDIT, httpx.Response(503, text="unavailable"))
    async with make_api(fake, retries=2) as api:
        with pytest.raises(TransportError) as caught:
            await api.app("tok").get_account_audit_status()
    assert str(caught.value) == "account/auditstatus: transport 503 HTTP 503"
    assert len(fake.requests) == 3


async def test_retries_zero_means_one_attempt(fake: FakeBaidu) -> None:
    fake.always(AUDIT, read_timeout)
    async with make_api(fake, retries=0) as api:
        with pytest.raises(TransportError, match="transport read timeout: no answer within 10 s"):
            await api.app("tok").get_account_audit_status()
    assert len(fake.requests) == 1


@pytest.mark.parametrize("failure", [read_timeout, httpx.Response(500, text="oops")])
async def test_write_that_may_have_arrived_is_not_repeated(
    fake: FakeBaidu, failure: object
) -> None:
    path = f"{PAY}/developconfig/submit"
    fake.queue(path, failure, doc.SUCCESS)
    async with make_api(fake, retries=3) as api:
        with pytest.raises(OutcomeUnknownError) as caught:
            await api.app("tok").submit_developer_config(CONFIG)
    assert len(fake.calls(path)) == 1
    assert str(caught.value).startswith("developconfig/submit: outcome unknown")
    assert "not repeated blindly" in str(caught.value)


async def test_update_timed_out_is_outcome_unknown(fake: FakeBaidu) -> None:
    path = f"{PAY}/paymentservice/update"
    fake.queue(path, read_timeout)
    async with make_api(fake) as api:
        with pytest.raises(OutcomeUnknownError):
            await api.app("tok").update_payment_service(
                PaymentServiceUpdateRequest(app_name="a", service_phone="1", pool_cash_pledge=1)
            )
    assert len(fake.calls(path)) == 1


async def test_write_not_delivered_is_retried(fake: FakeBaidu) -> None:
    path = f"{PAY}/paymentservice/updatebindservice"
    fake.queue(path, connect_error, connect_error, doc.SUCCESS)
    async with make_api(fake, retries=3) as api:
        await api.app("tok").update_bind_service(SERVICE)
    assert len(fake.calls(path)) == 3


async def test_write_never_delivered_is_a_transport_error(fake: FakeBaidu) -> None:
    path = f"{PAY}/developconfig/submit"
    fake.always(path, connect_error)
    async with make_api(fake, retries=1) as api:
        with pytest.raises(
            TransportError, match=r"transport cannot connect .*: connection refused"
        ):
            await api.app("tok").submit_developer_config(CONFIG)
    assert len(fake.calls(path)) == 2


async def test_create_timed_out_then_already_exists(fake: FakeBaidu) -> None:
    """The first attempt arrived (answer lost); the repeat says 60012: the caller must confirm."""
    path = f"{PAY}/account/create"
    fake.queue(path, read_timeout, {"errno": 60012, "msg": "支付账号已经存在,请勿重复创建"})
    async with make_api(fake) as api:
        with pytest.raises(AlreadyExistsError) as caught:
            await api.app("tok").create_account(ACCOUNT)
    assert caught.value.after_retry is True
    assert caught.value.errno == 60012
    assert "confirm with a read" in str(caught.value)
    assert len(fake.calls(path)) == 2


async def test_payment_service_create_5xx_then_60009(fake: FakeBaidu) -> None:
    path = f"{PAY}/paymentservice/create"
    fake.queue(
        path,
        httpx.Response(504, text="timeout"),
        {"errno": 60009, "msg": "支付服务已经存在,请勿重复创建"},
    )
    async with make_api(fake) as api:
        with pytest.raises(AlreadyExistsError) as caught:
            await api.app("tok").create_payment_service(SERVICE)
    assert (caught.value.errno, caught.value.after_retry) == (60009, True)


async def test_create_timed_out_every_time_is_outcome_unknown(fake: FakeBaidu) -> None:
    path = f"{PAY}/paymentservice/create"
    fake.always(path, read_timeout)
    async with make_api(fake, retries=2) as api:
        with pytest.raises(OutcomeUnknownError):
            await api.app("tok").create_payment_service(SERVICE)
    assert len(fake.calls(path)) == 3


async def test_create_timed_out_then_created(fake: FakeBaidu) -> None:
    path = f"{PAY}/account/create"
    fake.queue(path, read_timeout, doc.SUCCESS)
    async with make_api(fake) as api:
        await api.app("tok").create_account(ACCOUNT)
    first, second = fake.calls(path)
    assert first.content == second.content


async def test_refresh_token_spent_at_most_once(fake: FakeBaidu) -> None:
    """A refresh whose answer was lost may have burnt the single-use refresh token."""
    fake.queue("/rest/2.0/oauth/token", read_timeout, doc.OAUTH_TOKEN)
    async with make_api(fake, retries=3) as api:
        with pytest.raises(OutcomeUnknownError, match="oauth/token"):
            await api.refresh_app_token("tp", "refresh-1")
    assert len(fake.requests) == 1


async def test_refresh_not_delivered_is_retried(fake: FakeBaidu) -> None:
    fake.queue("/rest/2.0/oauth/token", connect_error, doc.OAUTH_TOKEN)
    async with make_api(fake) as api:
        token = await api.refresh_app_token("tp", "refresh-1")
    assert token.expires_in == 3600
    assert len(fake.requests) == 2


async def test_image_upload_may_be_repeated(fake: FakeBaidu) -> None:
    path = "/file/2.0/smartapp/upload/image"
    fake.queue(path, read_timeout, doc.UPLOAD_IMAGE)
    async with make_api(fake) as api:
        assert (
            await api.tp("tok").upload_image(b"img", "a.jpg")
            == "https://img.example.baidu.com/abc.png"
        )
    assert len(fake.calls(path)) == 2


def test_not_sent_classification_native_httpx() -> None:
    assert certainly_not_sent(httpx.ConnectError("refused"))
    assert certainly_not_sent(httpx.ConnectTimeout("slow"))
    assert certainly_not_sent(httpx.PoolTimeout("pool"))
    assert not certainly_not_sent(httpx.ReadTimeout("slow"))
    assert not certainly_not_sent(httpx.RemoteProtocolError("disconnected"))


def test_not_sent_classification_looks_through_httpx_aiohttp_mapping() -> None:
    """httpx-aiohttp maps aiohttp's "server disconnected" to httpx.ConnectTimeout."""
    import aiohttp

    disconnected = httpx.ConnectTimeout("Server disconnected")
    disconnected.__cause__ = aiohttp.ServerDisconnectedError()
    assert not certainly_not_sent(disconnected)
    refused = httpx.ConnectError("refused")
    refused.__cause__ = aiohttp.ClientConnectorError(
        aiohttp.client_reqrep.ConnectionKey("h", 1, False, True, None, None, None),
        OSError(111, "refused"),
    )
    assert certainly_not_sent(refused)


async def test_payment_service_create_retried_into_in_audit_is_already_exists(
    fake: FakeBaidu,
) -> None:
    """After a lost create the service is under audit: a repeat is answered 60019."""
    path = f"{PAY}/paymentservice/create"
    fake.queue(path, read_timeout, {"errno": 60019, "msg": "支付服务审核中,无法再次修改"})
    async with make_api(fake) as api:
        with pytest.raises(AlreadyExistsError) as caught:
            await api.app("tok").create_payment_service(SERVICE)
    assert (caught.value.errno, caught.value.after_retry) == (60019, True)


async def test_in_review_on_a_first_create_is_a_plain_business_error(fake: FakeBaidu) -> None:
    """60017 on a first attempt: someone else's submission is in review, not ours."""
    path = f"{PAY}/account/create"
    fake.queue(path, {"errno": 60017, "msg": "支付账号审核中,无法再次创建"})
    async with make_api(fake) as api:
        with pytest.raises(BusinessError) as caught:
            await api.app("tok").create_account(ACCOUNT)
    assert not isinstance(caught.value, AlreadyExistsError)
    assert caught.value.errno == 60017


async def test_in_review_after_a_lost_create_is_already_exists(fake: FakeBaidu) -> None:
    path = f"{PAY}/account/create"
    fake.queue(
        path, httpx.Response(502, text=""), {"errno": 60017, "msg": "支付账号审核中,无法再次创建"}
    )
    async with make_api(fake) as api:
        with pytest.raises(AlreadyExistsError) as caught:
            await api.app("tok").create_account(ACCOUNT)
    assert (caught.value.errno, caught.value.after_retry) == (60017, True)


async def test_upload_failing_every_time_is_a_transport_error(fake: FakeBaidu) -> None:
    """A lost upload leaves nothing to reconcile: it is a plain transport failure."""
    fake.always("/file/2.0/smartapp/upload/image", read_timeout)
    async with make_api(fake, retries=1) as api:
        with pytest.raises(TransportError, match="upload/image: transport read timeout"):
            await api.tp("tok").upload_image(b"img", "a.png")
    assert len(fake.requests) == 2
