"""`status --refresh`: observe the specs live first, the way plan does, then show the store.

Read calls only (account/auditstatus, paymentservice/getbindservice), at most `concurrency`
mini-programs at once (the planner's bound and the API client's). The planner records each
observation itself (source `status`), and the audit outcomes it saw, so what status then reads
from the store is what was just seen.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from smartpay_apply.config import ProjectConfig
    from smartpay_apply.engine.steps import Plan
    from smartpay_apply.spec.models import AppSpec

#: Who the observations are recorded as (the store's `source`).
SOURCE = "status"


async def refresh(config: ProjectConfig, specs: Sequence[AppSpec]) -> Plan:
    """Observe `specs` now and keep what was seen; the plan made of it."""
    from smartpay_apply.runtime import open_runtime

    async with open_runtime(config) as runtime:
        plan, _ = await runtime.planner(source=SOURCE).plan_all(specs)
    return plan
