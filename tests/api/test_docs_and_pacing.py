"""docs/api-client.md's retry table says what the code does; the limiter and backoff pace."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from smartpay_apply.api import endpoints as ep
from smartpay_apply.api import limits

DOC = Path(__file__).resolve().parents[2] / "docs" / "api-client.md"


def test_retry_table_matches_the_endpoints() -> None:
    section = DOC.read_text(encoding="utf-8").split("## Retries: the rule per endpoint", 1)[1]
    rows = re.findall(r"^\| ([a-z/ ()]+?) \| (GET|POST) \| ([a-z-]+) \|", section, re.M)
    documented = {name: (method, policy) for name, method, policy in rows}
    actual = {e.name: (e.method, e.policy.value) for e in ep.ALL}
    assert documented == actual


def test_every_doc_endpoint_has_a_method() -> None:
    from smartpay_apply.api.app import AppApi, TpApi
    from smartpay_apply.api.client import OpenApi

    names = [
        "get_dict",
        "create_account",
        "get_account_audit_status",
        "submit_developer_config",
        "create_payment_service",
        "get_payment_service_audit_status",
        "update_payment_service",
        "update_bind_service",
        "get_bind_service",
        "order_list",
        "finance_balance",
        "income_detail",
        "other_detail",
        "finance_expense",
        "pay_detail",
        "iter_orders",
        "iter_finance_balance",
        "iter_income_detail",
        "iter_other_detail",
        "iter_finance_expense",
    ]
    assert all(callable(getattr(AppApi, n)) for n in names)
    # Image upload takes the TP's own token (upload doc, both SDKs): a TP-level call.
    assert not hasattr(AppApi, "upload_image")
    assert callable(TpApi.upload_image)
    tp = [
        "tp_token",
        "exchange_authorization_code",
        "refresh_app_token",
        "retrieve_authorization_code",
    ]
    assert all(callable(getattr(OpenApi, n)) for n in tp)


async def test_rate_limiter_spaces_request_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the clock standing still, five starts at 10 rps wait 0, .1, .2, .3, .4 s."""
    waits: list[float] = []

    async def no_sleep(seconds: float) -> None:
        waits.append(round(seconds, 6))

    monkeypatch.setattr(limits.time, "monotonic", lambda: 1000.0)
    monkeypatch.setattr(limits.asyncio, "sleep", no_sleep)
    limiter = limits.RateLimiter(10.0)
    for _ in range(5):
        await limiter.acquire()
    assert waits == [0.1, 0.2, 0.3, 0.4]  # the first start does not wait at all


def test_rate_limiter_refuses_nonsense() -> None:
    with pytest.raises(ValueError):
        limits.RateLimiter(0)


def test_backoff_is_full_jitter_and_capped() -> None:
    import random

    random.seed(7)
    delays = [limits.backoff_delay(attempt, 0.2) for attempt in range(8) for _ in range(50)]
    assert all(d >= 0 for d in delays)
    for attempt in range(8):
        chunk = delays[attempt * 50 : (attempt + 1) * 50]
        assert max(chunk) <= min(10.0, 0.2 * 2**attempt)
    assert max(delays[7 * 50 :]) > 5.0  # attempt 7 ranges up to the 10 s cap, not 0.2 s
