"""The decision table: what to do for one mini-program, given what is wanted and what is seen.

A pure function of (AppSpec, Observed, desired fingerprints, options): no I/O, no clock of its
own, no randomness, so every row of the table in docs/plan.md is a plain test case. The section
fingerprints are computed by the caller (they are salted by the state store) and passed in.

Steps come out in Baidu's documented order: account, developer config, payment service. The
account step is complete only once the account is *approved* ("完成该步的标志是支付账号创建成功并且
状态为审核通过"), and the payment service needs an approved account and a completed developer
config. So a later section's step is planned behind a `wait` marker for the earlier audit: the
plan shows everything that will happen, and apply stops at the marker (or polls it with
`--wait`). `blocked` and `manual` markers say why nothing can be done without a person.
"""

from __future__ import annotations

from collections.abc import Mapping

from smartpay_apply.engine.decide.account import account_part
from smartpay_apply.engine.decide.common import (
    ACCOUNT_STATUS_NAMES,
    SERVICE_STATUS_NAMES,
    DecideOptions,
    Readiness,
)
from smartpay_apply.engine.decide.developer_config import developer_config_part
from smartpay_apply.engine.decide.payment_service import payment_service_part
from smartpay_apply.engine.observe import Observed
from smartpay_apply.engine.steps import AppPlan
from smartpay_apply.spec.models import AppSpec

__all__ = [
    "ACCOUNT_STATUS_NAMES",
    "SERVICE_STATUS_NAMES",
    "DecideOptions",
    "Readiness",
    "decide",
]


def decide(
    spec: AppSpec,
    observed: Observed,
    fingerprints: Mapping[str, str],
    options: DecideOptions | None = None,
) -> AppPlan:
    """The AppPlan for one mini-program (without its checksums: the planner adds those).

    `fingerprints` maps a section to the salted fingerprint of the spec's values for it, as
    `planner.desired_fingerprints` computes them.
    """
    options = options or DecideOptions()
    account = account_part(spec, observed, fingerprints.get("account"))
    developer = developer_config_part(
        spec, observed, fingerprints.get("developer_config"), account, options
    )
    payment = payment_service_part(
        spec, observed, fingerprints.get("payment_service"), account, developer
    )
    sections = {"account": account, "developer_config": developer, "payment_service": payment}
    return AppPlan(
        app=spec.app,
        app_id=spec.app_id,
        steps=tuple(step for part in sections.values() for step in part.steps),
        notes=tuple(note for part in sections.values() for note in part.notes),
        status={name: part.status for name, part in sections.items()},
    )
