"""Two sandbox settings the controller's proofs need: audits that take a random time within a
range (`audit_delay_max`), and console edits behind the tool's back (admin API)."""

from __future__ import annotations

import pytest

from smartpay_apply.errors import ConfigError
from smartpay_apply.sandbox.config import SandboxConfig
from smartpay_apply.sandbox.world import audit_delay
from tests.sandbox.helpers import Clock, account_form, call, client, onboard


def test_a_delay_range_draws_each_audit_reproducibly_within_it() -> None:
    config = SandboxConfig(audit_delay=0.0, audit_delay_max=5.0)
    draws = [audit_delay(config, app_id, "account", 1000.0) for app_id in range(200)]
    assert all(0.0 <= draw <= 5.0 for draw in draws)
    assert min(draws) < 0.5 and max(draws) > 4.5  # spread over the range, not one value
    assert draws == [audit_delay(config, app_id, "account", 1000.0) for app_id in range(200)]
    assert audit_delay(config, 1, "account", 1000.0) != audit_delay(config, 1, "account", 1001.0)
    assert audit_delay(SandboxConfig(audit_delay=2.0), 1, "account", 1000.0) == 2.0


def test_a_delay_range_below_the_delay_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"sandbox\.audit_delay_max: must not be less than"):
        SandboxConfig.from_settings({"audit_delay": 3, "audit_delay_max": 1})
    assert SandboxConfig.from_settings({"audit_delay_max": 7}).audit_delay_max == 7.0


async def test_an_audit_is_decided_when_its_own_drawn_delay_has_passed() -> None:
    clock = Clock()
    config = {"audit_delay": 1.0, "audit_delay_max": 9.0}
    async with client(clock, **config) as http:
        form = await account_form(http, 7001)
        assert (await call(http, "POST", "account/create", 7001, form))["errno"] == 0
        delay = audit_delay(SandboxConfig(**config), 7001, "account", clock.now)
        clock.advance(delay - 0.01)
        assert (await call(http, "GET", "account/auditstatus", 7001))["data"]["status"] == 2
        clock.advance(0.02)
        assert (await call(http, "GET", "account/auditstatus", 7001))["data"]["status"] == 4


async def test_a_console_edit_changes_what_getbindservice_shows_without_an_audit() -> None:
    async with client(audit_delay=0) as http:
        await onboard(http, 7002)
        edited = await http.patch(
            "/_sandbox/apps/7002/payment_service",
            json={"app_name": "控制台改名", "bank_branch": "招商银行北京分行"},
        )
        assert edited.status_code == 200, edited.text
        data = (await call(http, "GET", "paymentservice/getbindservice", 7002))["data"]
        assert (data["app_name"], data["bank_branch"], data["open_status"]) == (
            "控制台改名",
            "招商银行北京分行",
            2,
        )
        state = (await http.get("/_sandbox/apps/7002")).json()
        assert state["pending"] == [] and state["events"][-1]["event"].endswith("PAYMENT_PASS")


async def test_console_edits_that_cannot_be_made_are_refused() -> None:
    async with client(audit_delay=0) as http:
        unknown_app = await http.patch(
            "/_sandbox/apps/7003/payment_service", json={"app_name": "x"}
        )
        assert unknown_app.status_code == 404
        form = await account_form(http, 7003)
        assert (await call(http, "POST", "account/create", 7003, form))["errno"] == 0
        no_service = await http.patch("/_sandbox/apps/7003/payment_service", json={"app_name": "x"})
        assert no_service.status_code == 409
        await call(http, "GET", "account/auditstatus", 7003)
        bad_field = await http.patch(
            "/_sandbox/apps/7003/payment_service", json={"pm_app_key": "x"}
        )
        assert bad_field.status_code == 400 and "fields must be some of" in bad_field.text
