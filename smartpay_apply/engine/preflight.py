"""Before any write: which planned mini-programs may go ahead, which are refused, and why.

Three checks, in order, on the plan made under the locks:
1. a mini-program that could not be observed, or whose saved plan is stale, is refused;
2. the money guard's threshold for the whole run (too many payout changes: all refused,
   unless --force, which leaves a warning);
3. the money guard's consent per mini-program (--allow-payout-change, or `ask` on a terminal).
Pure apart from `ask`: it returns the work and the refusals; the caller shows and records them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from smartpay_apply.engine.money_guard import (
    PayoutChange,
    PayoutThresholdError,
    check_threshold,
    judge_consent,
    unknown_allowances,
)
from smartpay_apply.engine.results import AppResult, AppStatus
from smartpay_apply.engine.steps import AppPlan, Plan

if TYPE_CHECKING:
    from smartpay_apply.spec.models import AppSpec


@dataclass(frozen=True)
class Request:
    """One `apply` invocation, parsed: which specs, which saved plan, which consents."""

    specs: Sequence[AppSpec]
    managed: int  # every mini-program the project manages (the money guard's denominator)
    saved: Plan | None = None  # `apply PLANFILE`
    saved_checksum: str | None = None
    allow_payout_change: tuple[str, ...] = ()
    force: bool = False
    auto_approve: bool = False

    @property
    def needs_confirmation(self) -> bool:
        """A person types "yes" unless told not to ask, or a saved plan was the review."""
        return self.saved is None and not self.auto_approve


@dataclass
class Verdict:
    """The outcome of the checks: what runs, what is settled without running, what to say."""

    work: list[tuple[AppSpec, AppPlan]] = field(default_factory=list)
    settled: list[AppResult] = field(default_factory=list)  # refused, failed, or in sync
    notices: list[str] = field(default_factory=list)  # said once on stderr
    warnings: list[str] = field(default_factory=list)  # said, and kept in the result


def preflight(
    plan: Plan,
    specs: Sequence[AppSpec],
    request: Request,
    *,
    max_share: float,
    ask: Callable[[PayoutChange], bool] | None,
) -> Verdict:
    """Judge the plan made under the locks (see the module docstring)."""
    verdict = Verdict()
    usable = _observed_and_fresh(plan, request.saved, verdict)
    checked = Plan(apps=tuple(usable))
    verdict.notices += [
        f"Warning: --allow-payout-change {name}: names no mini-program of this run"
        for name in unknown_allowances(checked, request.allow_payout_change)
    ]
    try:
        warning = check_threshold(
            checked, managed=request.managed, max_share=max_share, force=request.force
        )
    except PayoutThresholdError as error:
        # The whole run is refused before any write; every mini-program says why.
        verdict.settled += [_refused(app, error.user_message()) for app in usable]
        return verdict
    if warning:
        verdict.warnings.append(warning)
    consent = judge_consent(checked, request.allow_payout_change, ask)
    by_name = {spec.app: spec for spec in specs}
    for app_plan in usable:
        if app_plan.app in consent.refused:
            verdict.settled.append(_refused(app_plan, consent.refused[app_plan.app]))
        elif app_plan.steps:
            verdict.work.append((by_name[app_plan.app], app_plan))
        else:
            done = AppResult(app_plan.app, app_plan.app_id, notes=list(app_plan.notes))
            verdict.settled.append(done)
    return verdict


def _observed_and_fresh(plan: Plan, saved: Plan | None, verdict: Verdict) -> list[AppPlan]:
    usable = []
    for app_plan in plan.apps:
        problem = app_plan.error or stale(saved, app_plan)
        if problem is None:
            usable.append(app_plan)
            continue
        failed = AppResult(app_plan.app, app_plan.app_id)
        failed.fail(problem, AppStatus.FAILED if app_plan.error else AppStatus.REFUSED)
        verdict.settled.append(failed)
    return usable


def _refused(app_plan: AppPlan, message: str) -> AppResult:
    refused = AppResult(app_plan.app, app_plan.app_id)
    refused.fail(message, AppStatus.REFUSED)
    return refused


def stale(saved: Plan | None, fresh: AppPlan) -> str | None:
    """Why a saved plan no longer holds for this mini-program (None: it holds)."""
    if saved is None:
        return None
    old = next((app for app in saved.apps if app.app_id == fresh.app_id), None)
    if old is None:
        return "stale plan: this mini-program is not in the saved plan: run plan again"
    if old.error:
        return f"the saved plan could not observe this mini-program ({old.error}): run plan again"
    if old.desired_checksum != fresh.desired_checksum:
        return "stale plan: run plan again (the spec changed since the plan was saved)"
    if old.observed_checksum != fresh.observed_checksum:
        return (
            "stale plan: run plan again (Baidu or the state store changed since the plan was saved)"
        )
    return None
