"""Observation helpers: checksums that notice real change only, and bounded concurrency."""

from __future__ import annotations

import asyncio
import hashlib

from pydantic import SecretStr

from smartpay_apply.engine.concurrency import bounded_gather
from smartpay_apply.engine.observe import observed_checksum
from tests.engine.factory import event, onboarded, remote_service


def digest(text: str) -> str:
    return hashlib.sha256(b"salt" + text.encode()).hexdigest()


def test_checksum_is_stable_and_ignores_formatting() -> None:
    a = onboarded(payment_service=remote_service(pool_cash_pledge="1000.00", payment_days="7"))
    b = onboarded(payment_service=remote_service(pool_cash_pledge=1000, payment_days=7))
    assert observed_checksum(a, digest) == observed_checksum(b, digest)


def test_checksum_changes_with_what_was_observed() -> None:
    base = observed_checksum(onboarded(), digest)
    assert observed_checksum(onboarded(account_status=3), digest) != base
    assert (
        observed_checksum(onboarded(payment_service=remote_service(open_status=1)), digest) != base
    )
    assert (
        observed_checksum(
            onboarded(events=(event("developer_config", "rejected", "2026-11-21 00:00:00"),)),
            digest,
        )
        != base
    )


def test_sensitive_values_enter_the_checksum_only_through_the_keyed_digest() -> None:
    card = SecretStr("6217000010009876543")
    observed = onboarded(payment_service=remote_service(bank_card=card))
    other_key = observed_checksum(
        observed, lambda text: hashlib.sha256(b"other" + text.encode()).hexdigest()
    )
    assert observed_checksum(observed, digest) != other_key
    seen: list[str] = []
    observed_checksum(observed, lambda text: seen.append(text) or "x")
    assert "6217000010009876543" in seen


async def test_bounded_gather_respects_the_bound_and_keeps_errors_per_job() -> None:
    running = peak = 0

    async def job(n: int) -> int:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.001)
        running -= 1
        if n == 3:
            raise ValueError("job 3 failed")
        return n * 10

    results = await bounded_gather([lambda n=n: job(n) for n in range(20)], 4)
    assert peak == 4
    assert results[:3] == [0, 10, 20]
    assert isinstance(results[3], ValueError)
    assert results[19] == 190
