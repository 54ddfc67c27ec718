"""Running the planned steps of many mini-programs: rounds, concurrency slots, audit waits.

Per mini-program, a *round* walks the plan's steps in order:
- a write runs as one `Actions` call, recorded in the state store (and the run history) before
  the next step starts; Ctrl-C lets it finish and be recorded first;
- `adopt` records the spec's fingerprint without a call; `manual` is reported; `blocked` stops
  the mini-program with Baidu's reason;
- `wait` (an audit in progress) ends the round. Without `--wait` the mini-program is reported
  "in review"; with `--wait` the audit is polled (engine/waiting.py) and, once it ends, the
  mini-program is observed and decided again, and the next round starts. After a round that
  submitted audits, `--wait` also re-decides, so the audits it started are waited for.
A refusal that means "not yet" (an audit still running) ends the round like a `wait`.

At most `concurrency` mini-programs work at a time; one that waits gives its slot up meanwhile,
so a thousand waits do not hold the others back.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from smartpay_apply.engine.actions import SECTION_LABELS, Actions
from smartpay_apply.engine.audit_waits import AuditWaits
from smartpay_apply.engine.options import ApplyOptions
from smartpay_apply.engine.results import AppResult, StepResult
from smartpay_apply.engine.slots import Slots
from smartpay_apply.engine.steps import ENDPOINTS, Action, AppPlan, Step
from smartpay_apply.engine.uninterrupted import run_to_end
from smartpay_apply.engine.waiting import AuditOutcome, NullProgress, ProgressSink
from smartpay_apply.errors import SmartpayError

if TYPE_CHECKING:
    from smartpay_apply.api.app import AppApi, TpApi
    from smartpay_apply.api.errors import BusinessError
    from smartpay_apply.engine.observe import Recorded
    from smartpay_apply.engine.recorder import Recorder
    from smartpay_apply.spec.models import AppSpec
    from smartpay_apply.state.base import StateStore

log = logging.getLogger(__name__)

#: Rounds (re-decisions) per mini-program per run: a safety net against a flapping remote.
MAX_ROUNDS = 12
#: errnos meaning "an audit of this section is in progress" on a write.
IN_REVIEW_ERRNOS = {60017: "account", 60018: "developer_config", 60019: "payment_service"}
#: 60016: "the account is not approved" (in review or rejected) on a later step.
ACCOUNT_NOT_APPROVED = 60016
#: 60014: "developer config not submitted" — on a create after a recorded submission it means
#: Baidu has not approved it yet (its outcome cannot be read: a refusal is the answer).
DEVELOPER_CONFIG_MISSING = 60014


class AppPlanner(Protocol):
    """What the executor needs from the plan engine: decide one mini-program again."""

    async def plan(
        self,
        spec: AppSpec,
        *,
        stale: frozenset[str] | None = None,
        account: tuple[int | None, str | None] | None = None,
        recorded: Recorded | None = None,
        hold: Callable[[Callable[..., Any], Any], None] | None = None,
    ) -> AppPlan:
        """Observe `spec`'s mini-program now and decide (with its observed checksum).

        `stale`: the parts of its last observation this run's steps can have changed (only
        those are read again); `account`: the account status an audit poll has just read;
        `recorded`: what the store holds of it, read just now; `hold`: where the write of the
        observation kept goes when it may wait (the recorder's `later`).
        """
        ...


@dataclass
class _Seen:
    """What of a mini-program's last observation the run's own steps made stale since.

    Issue 16: every request counts. Under the run's lock nothing but this run writes, so
    after an account wait the re-plan takes the account status the poll read and the payment
    service as last seen; after a payment-service write or wait it reads the service again.
    """

    stale: set[str] = field(default_factory=set)
    account: tuple[int | None, str | None] | None = None
    #: What the store held right after the wait's outcome was recorded (nothing since).
    recorded: Recorded | None = None

    def wrote(self, section: str) -> None:
        """A write of `section` was sent (whatever Baidu answered)."""
        if section in ("account", "payment_service"):
            self.stale.add(section)
        if section == "account":
            self.account = None
        self.recorded = None

    def waited(self, outcome: AuditOutcome) -> None:
        """An audit wait ended: the account poll's answer is current; a service's is not."""
        if outcome.account is not None:
            self.account = outcome.account
            self.stale.discard("account")
        if outcome.section == "payment_service":
            self.stale.add("payment_service")
        self.recorded = outcome.recorded

    def take(
        self,
    ) -> tuple[frozenset[str], tuple[int | None, str | None] | None, Recorded | None]:
        """What the next re-plan needs; the next one starts from its observation."""
        taken = frozenset(self.stale), self.account, self.recorded
        self.stale, self.account, self.recorded = set(), None, None
        return taken


@dataclass(frozen=True)
class Wiring:
    """How the executor reaches Baidu and the store for one mini-program."""

    app_api: Callable[[AppSpec], AppApi]
    tp_api: Callable[[AppSpec], TpApi | None]
    recorder: Recorder
    store: StateStore  # read only: stored events, for the developer config's wait


class _RoundEnd(StrEnum):
    DONE = "done"
    WAIT = "wait"
    STOP = "stop"


@dataclass
class _Round:
    """What a round ended on, and the audits it started."""

    end: _RoundEnd = _RoundEnd.DONE
    waiting_for: str | None = None
    reason: str | None = None
    submitted: list[str] = field(default_factory=list)


class Executor:
    """Runs the steps of many mini-programs; one instance per run."""

    def __init__(
        self,
        planner: AppPlanner,
        wiring: Wiring,
        options: ApplyOptions,
        progress: ProgressSink | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> None:
        self.planner = planner
        self.wiring = wiring
        self.options = options
        self.progress = progress or NullProgress()
        #: True once the run must stop (Ctrl-C): checked before every write.
        self.stop = stop or (lambda: False)
        self._slots = Slots(options.concurrency)
        self.waits = AuditWaits(wiring, options, self.progress, self._idle)
        #: Every mini-program's result as it is built: what an interrupted run reports.
        self.results: list[AppResult] = []

    async def run(self, work: Sequence[tuple[AppSpec, AppPlan]]) -> list[AppResult]:
        """Apply each (spec, plan) pair, many at once; every pair ends as an AppResult."""
        self.waits.start()
        outcomes = await asyncio.gather(
            *(self.apply_app(spec, plan) for spec, plan in work), return_exceptions=True
        )
        results: list[AppResult] = []
        for (spec, _plan), outcome in zip(work, outcomes, strict=True):
            if isinstance(outcome, AppResult):
                results.append(outcome)
                continue
            if isinstance(outcome, asyncio.CancelledError | KeyboardInterrupt):
                raise outcome
            result = AppResult(spec.app, spec.app_id)
            result.fail(describe(outcome))
            if not isinstance(outcome, SmartpayError):
                log.error("apply of %s failed unexpectedly", spec.app, exc_info=outcome)
            result.settle()
            results.append(result)
        return results

    async def apply_app(self, spec: AppSpec, plan: AppPlan) -> AppResult:
        """All rounds of one mini-program (its lock is held by the caller)."""
        result = AppResult(spec.app, spec.app_id)
        result.notes.extend(plan.notes)
        self.results.append(result)
        try:
            await self._slots.acquire()
            try:
                await self._rounds(spec, plan, Actions(spec, *self._apis(spec)), result)
            except SmartpayError as error:
                result.fail(error.user_message())
                await self.wiring.recorder.step(spec, "error", "-", "failed", error.user_message())
            finally:
                self.waits.end(spec, result)
                try:
                    await self.wiring.recorder.flush(spec)  # a kept observation held back
                finally:
                    self._slots.release()
        except asyncio.CancelledError:
            result.settle()
            result.interrupt()
            raise
        result.settle()
        return result

    def _apis(self, spec: AppSpec) -> tuple[AppApi, TpApi | None, Recorder]:
        return self.wiring.app_api(spec), self.wiring.tp_api(spec), self.wiring.recorder

    @contextlib.asynccontextmanager
    async def _idle(self) -> AsyncIterator[None]:
        """Waiting is no work: give the concurrency slot to another mini-program meanwhile, and
        take one back before those not started yet (engine/slots.py)."""
        self._slots.release()
        try:
            yield
        finally:
            await self._slots.acquire(returning=True)

    # -------------------------------------------------------------- rounds

    async def _rounds(
        self, spec: AppSpec, plan: AppPlan, actions: Actions, result: AppResult
    ) -> None:
        """Round after round until nothing is left, an audit must be waited for, or a stop.

        A round that only probed (the developer config's outcome cannot be read, the create is
        tried again after a pause) does not count towards MAX_ROUNDS: the deadline bounds it.
        """
        rounds = 0
        seen = _Seen()
        while rounds < MAX_ROUNDS:
            outcome = await self._round(spec, plan, actions, result, seen)
            waited = await self._after_round(spec, outcome, actions.api, result)
            if waited is None:
                return
            rounds += not isinstance(waited, AuditOutcome) or waited.state != "probed"
            if isinstance(waited, AuditOutcome):
                seen.waited(waited)
            stale, account, recorded = seen.take()
            plan = await self.planner.plan(
                spec,
                stale=stale,
                account=account,
                recorded=recorded,
                hold=functools.partial(self.wiring.recorder.later, spec),
            )
            if plan.error:
                result.fail(plan.error)
                return
        result.fail(f"gave up after {MAX_ROUNDS} rounds of decisions; run apply again")

    async def _after_round(
        self, spec: AppSpec, outcome: _Round, api: AppApi, result: AppResult
    ) -> AuditOutcome | str | None:
        """What follows a round: None to stop here, else how the wait ended (then re-plan):
        the wait's outcome, or "submitted" (audits it started, to follow)."""
        if outcome.end is _RoundEnd.STOP:
            return None
        if outcome.end is _RoundEnd.WAIT:
            assert outcome.waiting_for is not None
            if not self.options.wait:
                result.wait_on(outcome.waiting_for, outcome.reason or "in review")
                return None
            return await self.waits.wait(spec, api, outcome.waiting_for, result)
        if not self._follow_audits(outcome, result):
            return None
        if outcome.submitted == ["developer_config"]:
            # Submitted on its own: its outcome comes only as a pushed event.
            return await self.waits.wait(spec, api, "developer_config", result)
        return "submitted"

    def _follow_audits(self, outcome: _Round, result: AppResult) -> bool:
        """After a round that ran to its end: True when --wait must follow the audits it started.

        Without --wait the audits are reported as in review. The developer config's audit is
        never reported as pending (its step's detail says why): its outcome arrives only as a
        pushed event, and is waited for only when the event receiver is configured.
        """
        audited = [section for section in outcome.submitted if section != "developer_config"]
        if not self.options.wait:
            for section in audited:
                result.wait_on(section, f"{SECTION_LABELS[section]} submitted, in review")
            return False
        if audited:
            return True
        return bool(outcome.submitted) and self.options.events_configured

    async def _round(
        self, spec: AppSpec, plan: AppPlan, actions: Actions, result: AppResult, seen: _Seen
    ) -> _Round:
        outcome = _Round()
        for step in plan.steps:
            if step.action is Action.WAIT:
                return _Round(_RoundEnd.WAIT, step.section, step.reason, outcome.submitted)
            label = SECTION_LABELS[step.section]
            if step.action is Action.BLOCKED:
                result.fail(f"{label}: rejected by Baidu: {step.reason or 'no reason given'}")
                return _Round(_RoundEnd.STOP)
            if step.action is Action.MANUAL:
                result.steps.append(
                    StepResult(step.action.value, step.section, "manual", None, step.reason)
                )
                result.fail(f"{label}: needs a manual change: {step.reason}")
                continue
            if self.stop():
                raise asyncio.CancelledError  # Ctrl-C came between two writes
            seen.wrote(step.section)
            in_review = await self._execute(spec, step, actions, result)
            if in_review is not None:
                return _Round(
                    _RoundEnd.WAIT, in_review, "an audit is in progress", outcome.submitted
                )
            if step.audited:
                outcome.submitted.append(step.section)
        return outcome

    # -------------------------------------------------------------- one step

    async def _execute(
        self, spec: AppSpec, step: Step, actions: Actions, result: AppResult
    ) -> str | None:
        """Run one write or adopt step and record it. Returns a section found in review, if any.

        Ctrl-C while a step runs lets it finish and be recorded first (a write is never left
        sent but unrecorded by an interruption); its errors then go into the result.
        """
        where = ENDPOINTS.get(step.action) or "no call"

        def finishing() -> None:
            self.progress.note(
                f"{spec.app}: interrupted: finishing {step.action.value} ({where}) and recording it"
            )

        task, interrupted = await run_to_end(
            self._execute_step(spec, step, actions, result), finishing
        )
        if interrupted:
            error = None if task.cancelled() else task.exception()
            if isinstance(error, Exception):
                result.fail(describe(error))
            raise asyncio.CancelledError
        return task.result()

    async def _execute_step(
        self, spec: AppSpec, step: Step, actions: Actions, result: AppResult
    ) -> str | None:
        """The step and its records: what it wrote goes to the store with its history line,
        in one call (engine/recorder.py `one_step`), before the next step starts."""
        async with self.wiring.recorder.one_step(spec):
            return await self._step(spec, step, actions, result)

    async def _step(
        self, spec: AppSpec, step: Step, actions: Actions, result: AppResult
    ) -> str | None:
        from smartpay_apply.api.errors import BusinessError

        endpoint = ENDPOINTS.get(step.action)
        try:
            done = await actions.run(step)
        except BusinessError as error:
            section = await self._in_review(spec, step, actions, error)
            if section is None:
                raise
            detail = in_review_detail(section, error.errno)
            result.steps.append(
                StepResult(step.action.value, step.section, "in_review", endpoint, detail)
            )
            await self.wiring.recorder.step(
                spec, step.action.value, step.section, "in_review", detail
            )
            return section
        result.steps.append(
            StepResult(step.action.value, step.section, done.result, endpoint, done.detail)
        )
        await self.wiring.recorder.step(
            spec, step.action.value, step.section, done.result, done.detail
        )
        return None

    async def _in_review(
        self, spec: AppSpec, step: Step, actions: Actions, error: BusinessError
    ) -> str | None:
        """The section whose audit a refusal says is still running, or None (a real failure).

        60017/60018/60019 say so directly. 60016 ("account not approved") on a later step is a
        wait while the account is in review, and a rejection (blocked) otherwise. 60014 on the
        payment-service create after a recorded developer-config submission means Baidu has
        not approved it yet: the developer config's outcome cannot be read any other way.
        """
        if error.errno in IN_REVIEW_ERRNOS:
            return IN_REVIEW_ERRNOS[error.errno]
        if error.errno == ACCOUNT_NOT_APPROVED:
            status = await actions.api.get_account_audit_status()
            if status.status == 3:
                raise SmartpayError(
                    f"{step.action.value}: account: rejected by Baidu: "
                    f"{status.verify_message or 'no reason given'} (errno 60016)"
                ) from None
            return "account" if status.status == 2 else None
        if error.errno == DEVELOPER_CONFIG_MISSING and step.action is Action.CREATE_PAYMENT_SERVICE:
            record = await self.wiring.recorder.last_submission(spec, "developer_config")
            return "developer_config" if record is not None else None
        return None


def in_review_detail(section: str, errno: int) -> str:
    label = SECTION_LABELS[section]
    if errno == DEVELOPER_CONFIG_MISSING:
        return f"{label} not approved yet ({errno}: its audit is still running); not an error"
    if errno == ACCOUNT_NOT_APPROVED:
        return f"{label} not approved yet ({errno}: still in review); not an error"
    return f"{label} is in review ({errno}); not submitted again"


def describe(error: BaseException) -> str:
    if isinstance(error, SmartpayError):
        return error.user_message()
    return f"internal error: {type(error).__name__}: {error} (a bug; run with --debug)"
