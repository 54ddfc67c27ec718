"""110/111: refresh the token once, repeat the call once with the new token — never a loop."""

from __future__ import annotations

import pytest

from smartpay_apply.api.client import OpenApi
from smartpay_apply.api.errors import GatewayError, TokenError
from smartpay_apply.api.tokens import StaticToken, TokenSource
from tests.api import doc_examples as doc
from tests.api.fake import PAY, FakeBaidu

AUDIT = f"{PAY}/account/auditstatus"
EXPIRED = {"error_code": 111, "error_msg": "Access token expired"}
INVALID = {"error_code": 110, "error_msg": "Access token invalid or no longer valid"}


class CountingSource:
    """A token source that hands out tok-0, then tok-1, tok-2... on each refresh."""

    def __init__(self) -> None:
        self.current = "tok-0"
        self.rejected: list[str] = []

    async def token(self) -> str:
        return self.current

    async def refresh(self, rejected: str) -> str:
        self.rejected.append(rejected)
        self.current = f"tok-{len(self.rejected)}"
        return self.current


def test_counting_source_is_a_token_source() -> None:
    assert isinstance(CountingSource(), TokenSource)
    assert isinstance(StaticToken("x"), TokenSource)


async def test_expired_token_refreshed_once_and_call_repeated(
    fake: FakeBaidu, api: OpenApi
) -> None:
    fake.queue(AUDIT, EXPIRED, doc.ACCOUNT_AUDIT)
    source = CountingSource()
    status = await api.app(source).get_account_audit_status()
    assert status.status == 4
    assert source.rejected == ["tok-0"]
    assert [r.url.params["access_token"] for r in fake.requests] == ["tok-0", "tok-1"]


async def test_a_post_rejected_for_its_token_is_repeated_with_the_new_one(
    fake: FakeBaidu, api: OpenApi
) -> None:
    from tests.api.test_endpoints import ACCOUNT

    path = f"{PAY}/account/create"
    fake.queue(path, INVALID, doc.SUCCESS)
    source = CountingSource()
    await api.app(source).create_account(ACCOUNT)
    first, second = fake.calls(path)
    assert first.content == second.content
    assert second.url.params["access_token"] == "tok-1"


async def test_rejected_again_after_refresh_is_an_error_not_a_loop(
    fake: FakeBaidu, api: OpenApi
) -> None:
    fake.always(AUDIT, INVALID)
    source = CountingSource()
    with pytest.raises(TokenError) as caught:
        await api.app(source).get_account_audit_status()
    assert source.rejected == ["tok-0"]
    assert len(fake.requests) == 2
    assert isinstance(caught.value, GatewayError) and caught.value.error_code == 110
    assert "again after a refresh" in str(caught.value)


async def test_static_token_cannot_refresh(fake: FakeBaidu, api: OpenApi) -> None:
    fake.always(AUDIT, EXPIRED)
    with pytest.raises(TokenError) as caught:
        await api.app("static-secret").get_account_audit_status()
    message = str(caught.value)
    assert message.startswith(
        "account/auditstatus: error_code 111 access token rejected; it cannot be refreshed"
    )
    assert "(access token expired)" in message
    assert "static-secret" not in message
    assert len(fake.requests) == 1


async def test_static_token_refresh_message() -> None:
    with pytest.raises(TokenError, match=r"^access token rejected; it cannot be refreshed"):
        await StaticToken("abc").refresh("abc")
    assert "abc" not in repr(StaticToken("abc"))


async def test_each_call_gets_its_own_single_refresh(fake: FakeBaidu, api: OpenApi) -> None:
    fake.queue(AUDIT, EXPIRED, doc.ACCOUNT_AUDIT, EXPIRED, doc.ACCOUNT_AUDIT)
    source = CountingSource()
    app = api.app(source)
    await app.get_account_audit_status()
    await app.get_account_audit_status()
    assert source.rejected == ["tok-0", "tok-1"]


async def test_tp_level_calls_report_token_rejection_without_refreshing(
    fake: FakeBaidu, api: OpenApi
) -> None:
    fake.always("/rest/2.0/oauth/token", EXPIRED)
    with pytest.raises(TokenError) as caught:
        await api.refresh_app_token("tp-token", "refresh-1")
    assert caught.value.error_code == 111
    assert str(caught.value) == (
        "oauth/token (refresh): error_code 111 Access token expired (access token expired)"
    )
    assert len(fake.requests) == 1
