"""One client for all mini-programs: one cap on requests in flight, one rate limiter."""

from __future__ import annotations

import asyncio

from tests.api import doc_examples as doc
from tests.api.fake import PAY, FakeBaidu, make_api


async def test_concurrency_cap_across_apps(fake: FakeBaidu) -> None:
    fake.always(f"{PAY}/account/auditstatus", doc.ACCOUNT_AUDIT)
    fake.delay = 0.01
    async with make_api(fake, max_concurrency=3) as api:
        apps = [api.app(f"tok-{i}") for i in range(6)]
        results = await asyncio.gather(
            *(app.get_account_audit_status() for app in apps for _ in range(4))
        )
    assert len(results) == 24 and {r.status for r in results} == {4}
    assert fake.max_in_flight == 3


async def test_rate_limited_client_still_completes_every_call(fake: FakeBaidu) -> None:
    fake.always(f"{PAY}/account/auditstatus", doc.ACCOUNT_AUDIT)
    async with make_api(fake, rps=200.0, max_concurrency=8) as api:
        app = api.app("tok")
        results = await asyncio.gather(*(app.get_account_audit_status() for _ in range(10)))
    assert len(results) == 10
    assert fake.max_in_flight <= 8
