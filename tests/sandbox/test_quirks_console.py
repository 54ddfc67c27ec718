"""A real server's formatting (`quirks:`) and the console route that opens a payment service
by hand (`PUT /_sandbox/apps/{id}/payment_service`): what tests of `import` build their fleet
with, so both must behave exactly as docs/sandbox.md says."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from smartpay_apply.errors import ConfigError
from smartpay_apply.sandbox.config import SandboxConfig
from tests.sandbox.helpers import SERVICE, call, client

APP = 4242
SERVICE_VALUES: dict[str, Any] = {
    **SERVICE,
    "payment_days": 7,
    "commission_rate": 6,
    "pool_cash_pledge": 500,
    "day_max_frozen_amount": 5000,
}


async def put_service(http: httpx.AsyncClient, app_id: int, values: dict[str, Any]) -> Any:
    return await http.put(f"/_sandbox/apps/{app_id}/payment_service", json={"values": values})


async def approved_account(http: httpx.AsyncClient, app_id: int) -> None:
    response = await http.put(f"/_sandbox/apps/{app_id}/account/status", json={"status": 4})
    assert response.status_code == 200, response.text


async def opened(http: httpx.AsyncClient, app_id: int) -> None:
    """An approved account and an approved payment service of SERVICE_VALUES (the console)."""
    await approved_account(http, app_id)
    response = await put_service(http, app_id, SERVICE_VALUES)
    assert response.status_code == 200, response.text


# ------------------------------------------------------------------------------ quirks


async def test_without_quirks_the_documented_types_are_answered() -> None:
    async with client(audit_delay=0) as http:
        await opened(http, APP)
        body = await call(http, "GET", "paymentservice/getbindservice", APP)
    assert body["errno"] == 0
    assert body["data"]["payment_days"] == 7
    assert body["data"]["bank_name"] == "招商银行"


async def test_numbers_as_strings_writes_every_number_as_text_errno_included() -> None:
    async with client(audit_delay=0, quirks=("numbers_as_strings",)) as http:
        await opened(http, APP)
        bound = await call(http, "GET", "paymentservice/getbindservice", APP)
        account = await call(http, "GET", "account/auditstatus", APP)
        calls = (await http.get("/_sandbox/calls", params={"path": "getbindservice"})).json()
    assert bound["errno"] == "0"
    data = bound["data"]
    assert (data["payment_days"], data["commission_rate"], data["pool_cash_pledge"]) == (
        "7",
        "6",
        "500",
    )
    assert data["open_status"] == "2"
    assert isinstance(data["pm_app_id"], str) and data["pm_app_id"].isdigit()
    assert data["bank_name"] == "招商银行"  # text stays text
    assert account == {
        "errno": "0",
        "msg": "success",
        "data": {"status": "4", "verify_message": ""},
    }
    # the call log keeps the documented answer: a test still tells success from refusal
    assert calls["calls"][-1]["errno"] == 0


async def test_padded_strings_pads_text_of_data_only() -> None:
    async with client(audit_delay=0, quirks=("padded_strings",)) as http:
        await opened(http, APP)
        bound = await call(http, "GET", "paymentservice/getbindservice", APP)
    data = bound["data"]
    assert data["bank_name"] == " 招商银行 "
    assert data["bank_card"] == " 110902160610510 "
    assert data["payment_days"] == 7  # numbers untouched
    assert data["fail_reason"] == ""  # an empty text stays empty
    assert bound["msg"] == "success"


async def test_decimal_amounts_writes_yuan_with_two_decimals() -> None:
    async with client(audit_delay=0, quirks=("decimal_amounts", "numbers_as_strings")) as http:
        await opened(http, APP)
        data = (await call(http, "GET", "paymentservice/getbindservice", APP))["data"]
    assert (data["pool_cash_pledge"], data["day_max_frozen_amount"]) == ("500.00", "5000.00")


async def test_quirks_leave_writes_and_other_reads_alone() -> None:
    async with client(audit_delay=0, quirks=("numbers_as_strings", "padded_strings")) as http:
        await opened(http, APP)
        update = await call(
            http,
            "POST",
            "paymentservice/update",
            APP,
            {"app_name": "新", "service_phone": "13514310000", "pool_cash_pledge": "2"},
        )
    assert update == {"errno": 0, "msg": "success"}


def test_an_unknown_quirk_is_a_config_error_naming_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"sandbox\.quirks: unknown quirk 'sloppy' \(known: "):
        SandboxConfig.from_settings({"quirks": ["sloppy"]})
    assert SandboxConfig.from_settings({"quirks": ["padded_strings"]}).quirks == ("padded_strings",)


# ------------------------------------------------------------------------------ console


async def test_console_opens_an_approved_service_that_getbindservice_shows() -> None:
    async with client(audit_policy="manual") as http:
        await approved_account(http, APP)
        response = await put_service(http, APP, SERVICE_VALUES)
        bound = await call(http, "GET", "paymentservice/getbindservice", APP)
        status = await call(http, "GET", "paymentservice/auditstatus", APP)
        events = (await http.get("/_sandbox/events")).json()["events"]
    assert response.status_code == 200, response.text
    data = bound["data"]
    assert data["open_status"] == 2 and data["fail_reason"] == ""
    assert {k: data[k] for k in SERVICE_VALUES} == SERVICE_VALUES
    assert isinstance(data["pm_app_id"], int)
    assert status["data"]["status"] == 2
    assert events == []  # no audit ran: nothing is pushed


async def test_console_edit_changes_only_the_given_fields() -> None:
    async with client(audit_policy="manual") as http:
        await approved_account(http, APP)
        await put_service(http, APP, SERVICE_VALUES)
        before = (await call(http, "GET", "paymentservice/getbindservice", APP))["data"]
        response = await put_service(http, APP, {"bank_card": "6222021202041234567"})
        after = (await call(http, "GET", "paymentservice/getbindservice", APP))["data"]
    assert response.status_code == 200, response.text
    assert after == {**before, "bank_card": "6222021202041234567"}


async def test_console_needs_an_approved_account() -> None:
    async with client(audit_policy="manual") as http:
        missing = await put_service(http, APP, SERVICE_VALUES)
        await http.put(f"/_sandbox/apps/{APP}/account/status", json={"status": 2})
        in_review = await put_service(http, APP, SERVICE_VALUES)
        bound = await call(http, "GET", "paymentservice/auditstatus", APP)
    assert missing.status_code == 409 and "account is not approved" in missing.json()["error"]
    assert in_review.status_code == 409
    assert bound["data"]["status"] is None  # nothing was created


async def test_console_checks_values_like_paymentservice_create() -> None:
    async with client(audit_policy="manual") as http:
        await approved_account(http, APP)
        incomplete = await put_service(http, APP, {"app_name": "只有名字"})
        bad_days = await put_service(http, APP, {**SERVICE_VALUES, "payment_days": 3})
        fen = await put_service(http, APP, {**SERVICE_VALUES, "pool_cash_pledge": "500.5"})
        unknown = await put_service(http, APP, {**SERVICE_VALUES, "bank_nmae": "x"})
        empty = await http.put(f"/_sandbox/apps/{APP}/payment_service", json={})
        bound = await call(http, "GET", "paymentservice/auditstatus", APP)
    assert incomplete.status_code == 400 and "service_phone" in incomplete.json()["error"]
    assert bad_days.status_code == 400 and "payment_days" in bad_days.json()["error"]
    assert fen.status_code == 400 and "pool_cash_pledge" in fen.json()["error"]
    assert unknown.status_code == 400 and "bank_nmae" in unknown.json()["error"]
    assert empty.status_code == 400
    assert bound["data"]["status"] is None


async def test_console_cannot_edit_a_service_in_review() -> None:
    async with client(audit_policy="manual") as http:
        await approved_account(http, APP)
        await put_service(http, APP, SERVICE_VALUES)
        form = {k: str(v) for k, v in {**SERVICE_VALUES, "bank_branch": "新支行"}.items()}
        assert (await call(http, "POST", "paymentservice/updatebindservice", APP, form))[
            "errno"
        ] == 0
        response = await put_service(http, APP, {"app_name": "改名"})
    assert response.status_code == 409 and "in review" in response.json()["error"]
