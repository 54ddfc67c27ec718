"""Audits that take a random time within a range (`audit_delay_max`), for the controller's
benchmark. (Console edits behind the tool's back: PUT /_sandbox/apps/{id}/payment_service,
tests/sandbox/test_quirks_console.py.)"""

from __future__ import annotations

import hashlib

import pytest

from smartpay_apply.errors import ConfigError
from smartpay_apply.sandbox.config import SandboxConfig
from smartpay_apply.sandbox.world import audit_delay
from tests.sandbox.helpers import Clock, account_form, call, client


def test_a_delay_range_draws_each_audit_reproducibly_within_it() -> None:
    config = SandboxConfig(audit_delay=0.0, audit_delay_max=5.0)
    draws = [audit_delay(config, app_id, "account", 1000.0) for app_id in range(200)]
    assert all(0.0 <= draw <= 5.0 for draw in draws)
    assert min(draws) < 0.5 and max(draws) > 4.5  # spread over the range, not one value
    assert draws == [audit_delay(config, app_id, "account", 1000.0) for app_id in range(200)]
    assert audit_delay(config, 1, "account", 1000.0) != audit_delay(config, 1, "account", 1001.0)
    assert audit_delay(SandboxConfig(audit_delay=2.0), 1, "account", 1000.0) == 2.0


def test_the_draw_is_the_hash_of_seed_app_section_and_time_whatever_was_drawn_before() -> None:
    """The draws are remembered (settle looks at every pending audit on each request): a
    remembered draw must be the one the formula gives, for every seed, range and time."""

    def formula(seed: int, app_id: int, section: str, at: float, low: float, high: float) -> float:
        pick = hashlib.sha256(f"{seed}:{app_id}:{section}:{at!r}".encode()).digest()
        return low + int.from_bytes(pick[:8], "big") / float(1 << 64) * (high - low)

    for _ in range(2):  # the second pass is answered from what was remembered
        for seed in (0, 1, 42):
            for low, high in ((0.0, 5.0), (1.0, 9.0)):
                config = SandboxConfig(seed=seed, audit_delay=low, audit_delay_max=high)
                for section in ("account", "developer_config", "payment_service"):
                    for at in (1000, 1000.0, 1000.5, 1e9 + 0.123456):  # 1000: int
                        assert audit_delay(config, 7, section, at) == formula(
                            seed, 7, section, at, low, high
                        )


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
