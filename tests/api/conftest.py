from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from smartpay_apply.api.client import OpenApi
from tests.api.fake import FakeBaidu, make_api


@pytest.fixture
def fake() -> FakeBaidu:
    return FakeBaidu()


@pytest.fixture
async def api(fake: FakeBaidu) -> AsyncIterator[OpenApi]:
    async with make_api(fake) as client:
        yield client
