"""The executor: walk each mini-program's steps in order, record each one, wait for audits.

The shape of a run (Terraform's): take the lock of every selected mini-program, plan them under
their locks (so nobody changes them between plan and apply), let the caller show the plan and
ask, then run every mini-program's steps concurrently (bounded), each in order, and release.

Per mini-program, a *round* walks the plan's steps:
- a write calls one endpoint and is recorded in the state store (submission fingerprint for the
  write-only sections, a run-history step for every write) before the next step starts;
- `adopt` records the spec's fingerprint without a call; `manual` is reported; `blocked` stops
  the mini-program with Baidu's reason;
- `wait` (an audit in progress) ends the round: without `--wait` the mini-program is reported
  "in review"; with `--wait` the audit is polled (engine/waiting.py) and, once it ends, the
  mini-program is observed and decided again, and the next round starts. After a round that
  submitted audits, `--wait` also re-decides, so the audits it started are waited for.

Recovery: nothing is repeated blindly. A create answered "already exists" (60009/60012) is
confirmed by a read and recorded; a write whose outcome is unknown (OutcomeUnknownError) is
resolved by reading the state again. A run killed at any point leaves Baidu and the store in a
state the next plan reads correctly (an account created but not recorded is in review and then
adopted; a payment service created but not recorded is simply there).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel

from smartpay_apply.engine.images import IMAGE_FIELDS
from smartpay_apply.engine.money_guard import PayoutChange
from smartpay_apply.engine.steps import ENDPOINTS, Action, AppPlan, Plan, Step
from smartpay_apply.engine.waiting import (
    SECTION_LABELS,
    AuditOutcome,
    Backoff,
    Poll,
    ProbeWait,
    Progress,
    account_poll,
    developer_config_poll,
    payment_service_poll,
    wait_for,
)
from smartpay_apply.errors import LockHeldError, SmartpayError
from smartpay_apply.timeutil import now

if TYPE_CHECKING:
    from smartpay_apply.api.app import TpApi
    from smartpay_apply.api.client import AppApi, OpenApi
    from smartpay_apply.api.errors import BusinessError
    from smartpay_apply.config import ProjectConfig
    from smartpay_apply.spec.models import AppSpec
    from smartpay_apply.state.base import StateStore
    from smartpay_apply.state.locks import HeldLock, LockOwner

log = logging.getLogger(__name__)

#: Bumped when the JSON result's shape changes incompatibly.
RESULT_FORMAT_VERSION = 1
#: Rounds (re-decisions) per mini-program per run: a safety net against a flapping remote.
MAX_ROUNDS = 12

#: errnos meaning "an audit of this section is in progress" on a write.
IN_REVIEW_ERRNOS = {60017: "account", 60018: "developer_config", 60019: "payment_service"}
#: 60016: "the account is not approved" (in review or rejected) on a later step.
ACCOUNT_NOT_APPROVED = 60016
#: 60014: "developer config not submitted" — on a create after a recorded submission it means
#: Baidu has not approved it yet (its outcome cannot be read: a refusal is the answer).
DEVELOPER_CONFIG_MISSING = 60014


class AppStatus(StrEnum):
    """How a mini-program ended the run (the JSON `status`)."""

    DONE = "done"  # nothing left to do or to wait for
    IN_REVIEW = "in_review"  # done what can be done; audits still in review
    FAILED = "failed"  # an API error, a rejection, a lock held, a manual change needed
    REFUSED = "refused"  # stale plan or money guard: nothing was done
    INTERRUPTED = "interrupted"  # Ctrl-C: stopped after recording the write under way


@dataclass
class StepResult:
    """One executed step: what, where, and how it ended."""

    action: str
    section: str
    result: str  # submitted | updated | already_exists | adopted | manual | in_review | failed
    endpoint: str | None = None
    detail: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "section": self.section,
            "endpoint": self.endpoint,
            "result": self.result,
            "detail": self.detail,
        }


@dataclass
class AppResult:
    """Everything one mini-program's run did, waits for, and failed at."""

    app: str
    app_id: int
    status: AppStatus = AppStatus.DONE
    steps: list[StepResult] = field(default_factory=list)
    pending: list[dict[str, str]] = field(default_factory=list)  # {"section", "detail"}
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def fail(self, message: str, status: AppStatus = AppStatus.FAILED) -> None:
        self.errors.append(message)
        if self.status is not AppStatus.REFUSED:
            self.status = status

    def wait_on(self, section: str, detail: str) -> None:
        if not any(p["section"] == section for p in self.pending):
            self.pending.append({"section": section, "detail": detail})

    def interrupt(self) -> None:
        """Ctrl-C reached this mini-program: what it did is in `steps`; the rest waits for a rerun."""
        if self.status is not AppStatus.REFUSED:
            self.status = AppStatus.INTERRUPTED
        self.notes.append("interrupted: every write sent was recorded; run apply again to go on")

    def settle(self) -> None:
        """The final status from what was recorded."""
        if self.errors:
            if self.status not in (AppStatus.FAILED, AppStatus.REFUSED):
                self.status = AppStatus.FAILED
        elif self.pending:
            self.status = AppStatus.IN_REVIEW
        else:
            self.status = AppStatus.DONE

    def to_json(self) -> dict[str, Any]:
        return {
            "app": self.app,
            "app_id": self.app_id,
            "status": self.status.value,
            "steps": [step.to_json() for step in self.steps],
            "pending": list(self.pending),
            "errors": list(self.errors),
            "notes": list(self.notes),
        }


@dataclass
class ApplyResult:
    """The whole run: one AppResult per mini-program, and the exit code they add up to."""

    apps: list[AppResult] = field(default_factory=list)
    run_id: str | None = None
    warnings: list[str] = field(default_factory=list)
    plan: Plan | None = None  # what was planned under the locks (shown before any write)
    interrupted: bool = False  # Ctrl-C (SIGINT) or SIGTERM stopped the run

    @property
    def exit_code(self) -> int:
        """130 interrupted; 0 all done; 2 done but audits still in review; 1 any failure or refusal."""
        if self.interrupted:
            return 130
        if any(app.status in (AppStatus.FAILED, AppStatus.REFUSED) for app in self.apps):
            return 1
        if any(app.status is AppStatus.IN_REVIEW for app in self.apps):
            return 2
        return 0

    def summary(self) -> dict[str, int]:
        counts = {status.value: 0 for status in AppStatus}
        for app in self.apps:
            counts[app.status.value] += 1
        counts["apps"] = len(self.apps)
        counts["steps"] = sum(len(app.steps) for app in self.apps)
        return counts

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": RESULT_FORMAT_VERSION,
            "run_id": self.run_id,
            "exit_code": self.exit_code,
            "interrupted": self.interrupted,
            "apps": [app.to_json() for app in sorted(self.apps, key=lambda a: a.app)],
            "summary": self.summary(),
            "warnings": list(self.warnings),
            "plan": self.plan.to_json() if self.plan is not None else None,
        }


class AppPlanner(Protocol):
    """What the executor needs from the plan engine: decide one mini-program again, fingerprints."""

    async def plan(self, spec: AppSpec) -> AppPlan:
        """Observe `spec`'s mini-program now and decide (with its observed checksum)."""
        ...

    def fingerprints(self, spec: AppSpec) -> Mapping[str, str]:
        """The salted fingerprints of the spec's write-only sections (as decide compares them)."""
        ...


@dataclass(frozen=True)
class ApplyOptions:
    """How a run behaves; the CLI fills it from flags and smartpay.yaml."""

    wait: bool = False
    wait_timeout: float = 1800.0
    lock_wait: float = 0.0
    #: Locks are renewed every ttl/3 while held; a run killed on another host frees them after ttl.
    lock_ttl: float = 120.0
    concurrency: int = 16
    backoff: Backoff = field(default_factory=Backoff)
    #: The event receiver is configured: a developer config's outcome can arrive, so --wait
    #: waits for it; without it, --wait tries the payment-service create again after pauses.
    events_configured: bool = False


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
    submitted: list[str] = field(default_factory=list)  # sections whose audit this round started


# ---------------------------------------------------------------- locks


async def take_locks(
    store: StateStore,
    app_ids: Sequence[int],
    owner: LockOwner,
    *,
    ttl: float,
    wait: float,
    held: dict[int, HeldLock] | None = None,
) -> tuple[dict[int, HeldLock], dict[int, str]]:
    """Take every mini-program's lock; returns the held locks and, per app, why one was not.

    A lock whose holder is a dead process on this very host (a run killed with SIGKILL) is
    taken over at once instead of waiting for its expiry: the process is certainly gone.

    `held` (filled as locks are taken) lets a caller interrupted meanwhile release what was
    taken. Waiting (`wait` seconds) happens here, between quick attempts, so Ctrl-C stops it
    at once instead of after a blocking wait in a thread.
    """
    held = {} if held is None else held
    refused: dict[int, str] = {}

    async def take(app_id: int) -> None:
        deadline = time.monotonic() + wait
        pause = 0.02
        takeover_tried = False
        while True:
            lock = store.lock(app_id, owner, ttl=ttl, wait=0)
            try:
                await _finish_even_if_cancelled(
                    asyncio.to_thread(lock.__enter__), partial(held.__setitem__, app_id, lock)
                )
            except LockHeldError as error:
                if not takeover_tried and await asyncio.to_thread(
                    _clear_dead_local_lock, store, app_id
                ):
                    takeover_tried = True
                    continue
                left = deadline - time.monotonic()
                if left <= 0:
                    refused[app_id] = error.user_message()
                    return
                await asyncio.sleep(min(pause, left))
                pause = min(pause * 2, 0.5)
                continue
            held[app_id] = lock
            return

    await asyncio.gather(*(take(app_id) for app_id in app_ids))
    return held, refused


async def _finish_even_if_cancelled(
    work: Awaitable[Any], on_success: Callable[[], None] | None = None
) -> Any:
    """Await `work`; if the caller is cancelled meanwhile, let `work` finish first, then re-raise.

    Why: a write to Baidu and its record in the state store (or a lock taken in a thread) are
    one unit. Cancelling the await would leave the thread or request running and its outcome
    unrecorded; Ctrl-C must stop after the unit, never in its middle. `on_success` runs when
    the work succeeded but the caller was cancelled (e.g. remember a lock to release it).
    """
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        if not task.done():
            await asyncio.wait([task])
        if on_success is not None and not task.cancelled() and task.exception() is None:
            on_success()
        raise


def _clear_dead_local_lock(store: StateStore, app_id: int) -> bool:
    """Remove `app_id`'s lock if a process of this host held it and no longer exists."""
    import os
    import socket

    for info in store.list_locks():
        if info.name != str(app_id) or info.expired or info.host != socket.gethostname():
            continue
        try:
            os.kill(info.pid, 0)
        except ProcessLookupError:
            log.warning(
                "taking over the lock of mini-program %s from dead run %s", app_id, info.run_id
            )
            # Release as the dead owner, not force_unlock: if another run took the lock since
            # list_locks(), this deletes nothing and our retry of acquire fails cleanly.
            store.release_lock(app_id, info.owner)
            return True
        except PermissionError:
            return False  # alive, someone else's process
        return False
    return False


async def release_locks(locks: Mapping[int, HeldLock]) -> None:
    """Release every held lock (also after a failure or Ctrl-C)."""
    for lock in locks.values():
        try:
            await asyncio.to_thread(lock.__exit__, None, None, None)
        except Exception as error:  # a lock left behind expires; never hide the run's result
            log.warning("could not release a lock: %s", error)


# ---------------------------------------------------------------- the executor


class Executor:
    """Runs the steps of many mini-programs; one instance per run."""

    def __init__(
        self,
        *,
        store: StateStore,
        planner: AppPlanner,
        app_api: Callable[[AppSpec], AppApi],
        options: ApplyOptions,
        run_id: str,
        progress: Progress | None = None,
        tp_api: Callable[[AppSpec], TpApi | None] | None = None,
    ) -> None:
        self.store = store
        self.planner = planner
        self.app_api = app_api
        #: The TP-level API (the TP's own token) for image uploads; None: none configured.
        self.tp_api = tp_api or (lambda spec: None)
        #: Per mini-program: the pauses of a developer-config wait that can only be probed.
        self._probes: dict[int, ProbeWait] = {}
        self.options = options
        self.run_id = run_id
        self.progress = progress or Progress(enabled=False)
        self.deadline = time.monotonic() + options.wait_timeout
        self._slots = asyncio.Semaphore(max(1, options.concurrency))
        #: Every mini-program's result as it is built: what an interrupted run reports.
        self.results: list[AppResult] = []

    async def run(self, work: Sequence[tuple[AppSpec, AppPlan]]) -> list[AppResult]:
        """Apply each (spec, plan) pair, many at once; every pair ends as an AppResult.

        At most `concurrency` mini-programs do work at a time; one that waits for an audit
        gives its slot up meanwhile, so a thousand waits do not hold the others back.
        """
        self.deadline = time.monotonic() + self.options.wait_timeout
        self._slots = asyncio.Semaphore(max(1, self.options.concurrency))
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
            result.fail(_describe(outcome))
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
                await self._rounds(spec, plan, self.app_api(spec), result)
            except SmartpayError as error:
                result.fail(error.user_message())
                await self._record(spec, "error", "-", "failed", error.user_message())
            finally:
                self._slots.release()
                self._end_probe(spec, result)
        except asyncio.CancelledError:
            result.settle()
            result.interrupt()
            raise
        result.settle()
        return result

    async def _rounds(self, spec: AppSpec, plan: AppPlan, api: AppApi, result: AppResult) -> None:
        """Round after round until nothing is left, an audit must be waited for, or a stop.

        A round that only probed (the developer config's outcome cannot be read, the create is
        tried again after a pause) does not count towards MAX_ROUNDS: the deadline bounds it.
        """
        rounds = 0
        while rounds < MAX_ROUNDS:
            outcome = await self._round(spec, plan, api, result)
            if outcome.end is _RoundEnd.STOP:
                return
            if outcome.end is _RoundEnd.WAIT:
                assert outcome.waiting_for is not None
                if not self.options.wait:
                    result.wait_on(outcome.waiting_for, outcome.reason or "in review")
                    return
                waited = await self._wait(spec, api, outcome.waiting_for, result)
                if waited is None:
                    return
                rounds += waited.state != "probed"
            elif not self._follow_audits(spec, outcome, result):
                return
            elif outcome.submitted == ["developer_config"] and (
                await self._wait(spec, api, "developer_config", result) is None
            ):
                return  # submitted on its own: its outcome comes only as a pushed event
            else:
                rounds += 1
            plan = await self.planner.plan(spec)
            if plan.error:
                result.fail(plan.error)
                return
        result.fail(f"gave up after {MAX_ROUNDS} rounds of decisions; run apply again")

    def _follow_audits(self, spec: AppSpec, outcome: _Round, result: AppResult) -> bool:
        """After a round that ran to its end: True when --wait must follow the audits it started.

        Without --wait the audits are reported as in review. The developer config's audit is
        never reported as pending (its step's detail says why): its outcome arrives only as a
        pushed event (plan calls it in sync with "audit outcome not yet received"), and is
        waited for only when the event receiver is configured.
        """
        audited = [section for section in outcome.submitted if section != "developer_config"]
        if not self.options.wait:
            for section in audited:
                result.wait_on(
                    section, f"{SECTION_LABELS.get(section, section)} submitted, in review"
                )
            return False
        if audited:
            return True
        return bool(outcome.submitted) and self.options.events_configured

    # -------------------------------------------------------------- one round

    async def _round(self, spec: AppSpec, plan: AppPlan, api: AppApi, result: AppResult) -> _Round:
        outcome = _Round()
        for step in plan.steps:
            if step.action is Action.WAIT:
                return _Round(_RoundEnd.WAIT, step.section, step.reason, outcome.submitted)
            if step.action is Action.BLOCKED:
                label = SECTION_LABELS.get(step.section, step.section)
                result.fail(f"{label}: rejected by Baidu: {step.reason or 'no reason given'}")
                return _Round(_RoundEnd.STOP)
            if step.action is Action.MANUAL:
                label = SECTION_LABELS.get(step.section, step.section)
                result.steps.append(
                    StepResult(step.action.value, step.section, "manual", None, step.reason)
                )
                result.fail(f"{label}: needs a manual change: {step.reason}")
                continue
            in_review = await self._execute(spec, step, api, result)
            if in_review is not None:
                return _Round(
                    _RoundEnd.WAIT, in_review, "an audit is in progress", outcome.submitted
                )
            if step.audited:
                outcome.submitted.append(step.section)
        return outcome

    async def _execute(
        self, spec: AppSpec, step: Step, api: AppApi, result: AppResult
    ) -> str | None:
        """Run one write or adopt step and record it. Returns a section found in review, if any.

        Ctrl-C while a step runs lets it finish and be recorded first (a write is never left
        sent but unrecorded by an interruption); its errors then go into the result.
        """
        work = asyncio.ensure_future(self._execute_step(spec, step, api, result))
        try:
            return await asyncio.shield(work)
        except asyncio.CancelledError:
            if not work.done():
                where = ENDPOINTS.get(step.action) or "no call"
                self.progress.note(
                    f"{spec.app}: interrupted: finishing {step.action.value} ({where}) and recording it"
                )
                await asyncio.wait([work])
            if not work.cancelled() and isinstance(work.exception(), Exception):
                result.fail(_describe(work.exception()))  # type: ignore[arg-type]
            raise

    async def _execute_step(
        self, spec: AppSpec, step: Step, api: AppApi, result: AppResult
    ) -> str | None:
        from smartpay_apply.api.errors import BusinessError

        handler = _adopter(step.section) if step.action is Action.ADOPT else _HANDLERS[step.action]
        endpoint = ENDPOINTS.get(step.action)
        try:
            outcome, detail = await handler(self, spec, api)
        except BusinessError as error:
            section = await self._in_review(spec, step, api, error)
            if section is None:
                raise
            detail = _in_review_detail(section, error.errno)
            result.steps.append(
                StepResult(step.action.value, step.section, "in_review", endpoint, detail)
            )
            await self._record(spec, step.action.value, step.section, "in_review", detail)
            return section
        result.steps.append(StepResult(step.action.value, step.section, outcome, endpoint, detail))
        await self._record(spec, step.action.value, step.section, outcome, detail)
        return None

    async def _in_review(
        self, spec: AppSpec, step: Step, api: AppApi, error: BusinessError
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
            status = await api.get_account_audit_status()
            if status.status == 3:
                raise SmartpayError(
                    f"{step.action.value}: account: rejected by Baidu: "
                    f"{status.verify_message or 'no reason given'} (errno 60016)"
                ) from None
            return "account" if status.status == 2 else None
        if error.errno == DEVELOPER_CONFIG_MISSING and step.action is Action.CREATE_PAYMENT_SERVICE:
            record = await asyncio.to_thread(
                self.store.get_submission, spec.app_id, "developer_config"
            )
            return "developer_config" if record is not None else None
        return None

    # -------------------------------------------------------------- waiting

    async def _wait(
        self, spec: AppSpec, api: AppApi, section: str, result: AppResult
    ) -> AuditOutcome | None:
        """Poll one audit to its end; None when the deadline passed (the result says so)."""
        label = SECTION_LABELS.get(section, section)
        if section == "developer_config" and not self.options.events_configured:
            return await self._probe(spec, result)
        poll = await self._poll_for(spec, api, section)
        self._slots.release()  # waiting is no work: let another mini-program use the slot
        try:
            outcome = await wait_for(
                f"{spec.app_id}:{section}",
                spec.app,
                section,
                poll,
                deadline=self.deadline,
                backoff=self.options.backoff,
                progress=self.progress,
            )
        except asyncio.CancelledError:
            result.wait_on(section, f"{label} in review (waiting was interrupted)")
            raise
        finally:
            await self._slots.acquire()
        if outcome.state == "in_review":
            result.wait_on(section, f"{label} still in review when --wait-timeout ran out")
            return None
        if outcome.state == "approved":
            await self._record_outcome(spec, section, "approved", None)
        else:
            await self._record_outcome(spec, section, "rejected", outcome.reason)
        return outcome

    async def _probe(self, spec: AppSpec, result: AppResult) -> AuditOutcome | None:
        """A pause before trying the payment-service create again (see ProbeWait)."""
        probe = self._probes.get(spec.app_id)
        if probe is None:
            probe = ProbeWait(
                f"{spec.app_id}:developer_config",
                f"{spec.app}: developer config: in review (no event receiver: "
                "create_payment_service is tried again after each pause)",
                self.options.backoff,
                self.progress,
            )
            self._probes[spec.app_id] = probe
        self._slots.release()  # waiting is no work: let another mini-program use the slot
        try:
            paused = await probe.pause(self.deadline)
        finally:
            await self._slots.acquire()
        if not paused:
            result.wait_on(
                "developer_config", "developer config still in review when --wait-timeout ran out"
            )
            return None
        return AuditOutcome("developer_config", "probed")

    def _end_probe(self, spec: AppSpec, result: AppResult) -> None:
        probe = self._probes.pop(spec.app_id, None)
        if probe is None:
            return
        created = any(
            step.action == Action.CREATE_PAYMENT_SERVICE.value
            and step.result in ("submitted", "already_exists")
            for step in result.steps
        )
        state = "approved (the payment service was created)" if created else "stopped waiting"
        probe.end(f"{spec.app}: developer config: {state}")

    async def _poll_for(self, spec: AppSpec, api: AppApi, section: str) -> Poll:
        if section == "account":
            return account_poll(api)
        if section == "payment_service":
            return payment_service_poll(api)
        record = await asyncio.to_thread(self.store.get_submission, spec.app_id, section)
        return developer_config_poll(
            self.store, spec.app_id, record.submitted_at if record else None
        )

    # -------------------------------------------------------------- the state store

    async def _record(
        self, spec: AppSpec, action: str, section: str, outcome: str, detail: str | None
    ) -> None:
        await asyncio.to_thread(
            self.store.record_step,
            self.run_id,
            app_id=spec.app_id,
            app=spec.app,
            action=action,
            section=section,
            result=outcome,
            detail=detail,
        )

    async def _record_submission(self, spec: AppSpec, section: str) -> None:
        fingerprint = self.planner.fingerprints(spec)[section]
        await asyncio.to_thread(
            self.store.record_submission, spec.app_id, section, fingerprint, app=spec.app, at=now()
        )

    async def _infer_developer_config_approved(self, spec: AppSpec) -> None:
        """Baidu created the payment service, so the developer config was complete: record it
        approved if its outcome event never came (no receiver, or a lost push)."""
        record = await asyncio.to_thread(self.store.get_submission, spec.app_id, "developer_config")
        if record is not None and record.outcome == "pending":
            await self._record_outcome(spec, "developer_config", "approved", None)

    async def _record_outcome(
        self, spec: AppSpec, section: str, outcome: str, reason: str | None
    ) -> None:
        await asyncio.to_thread(
            self.store.record_outcome, spec.app_id, section, outcome, reason=reason, at=now()
        )


def _in_review_detail(section: str, errno: int) -> str:
    label = SECTION_LABELS.get(section, section)
    if errno == DEVELOPER_CONFIG_MISSING:
        return f"{label} not approved yet ({errno}: its audit is still running); not an error"
    if errno == ACCOUNT_NOT_APPROVED:
        return f"{label} not approved yet ({errno}: still in review); not an error"
    return f"{label} is in review ({errno}); not submitted again"


def _describe(error: BaseException) -> str:
    if isinstance(error, SmartpayError):
        return error.user_message()
    return f"internal error: {type(error).__name__}: {error} (a bug; run with --debug)"


# ---------------------------------------------------------------- the writes

Handler = Callable[[Executor, "AppSpec", "AppApi"], Awaitable[tuple[str, str | None]]]


async def _create_account(executor: Executor, spec: AppSpec, api: AppApi) -> tuple[str, str | None]:
    """account/create; "already exists" or an unknown outcome is settled by reading the status."""
    from smartpay_apply.api.errors import AlreadyExistsError, OutcomeUnknownError
    from smartpay_apply.api.models import AccountCreateRequest
    from smartpay_apply.engine.images import image_urls

    account = spec.account
    assert account is not None, "decide plans create_account only for a managed account"
    urls, uses = await image_urls(spec, executor.tp_api(spec), executor.store)
    request = AccountCreateRequest(**{**section_fields(account, skip=LOCAL_IMAGE_FIELDS), **urls})
    uploaded = [use.field for use in uses if use.uploaded]
    reused = [use.field for use in uses if not use.uploaded]
    images = []
    if uploaded:
        images.append("uploaded " + ", ".join(uploaded))
    if reused:
        images.append("reused the earlier upload of " + ", ".join(reused))
    try:
        await api.create_account(request)
        outcome, detail = "submitted", "account submitted for audit"
    except (AlreadyExistsError, OutcomeUnknownError) as error:
        status = await api.get_account_audit_status()
        if status.status not in (2, 4, 5):
            if isinstance(error, OutcomeUnknownError):
                raise SmartpayError(
                    f"account/create: the outcome was unknown and the account does not exist "
                    f"(status {status.status}); nothing was repeated: run apply again"
                ) from None
            raise
        outcome = "already_exists"
        detail = (
            f"account already exists (confirmed by account/auditstatus: status {status.status})"
        )
    await executor._record_submission(spec, "account")
    if images:
        detail = f"{detail}; {'; '.join(images)}"
    return outcome, detail


async def _submit_developer_config(
    executor: Executor, spec: AppSpec, api: AppApi
) -> tuple[str, str | None]:
    """developconfig/submit. Its outcome is unreadable: an unknown one is settled by submitting
    the same values once more (a duplicate is the same request, not a second object): success
    or 60018 "in review" both mean the values are with Baidu."""
    from smartpay_apply.api.errors import BusinessError, OutcomeUnknownError
    from smartpay_apply.api.models import DeveloperConfigRequest

    config = spec.developer_config
    assert config is not None, "decide plans submit_developer_config only for a managed section"
    request = DeveloperConfigRequest(
        tp_public_key=config.tp_public_key,
        pay_notify_url=config.pay_notify_url,
        refund_audit_url=config.refund_audit_url,
        refund_succ_url=config.refund_succ_url,
    )
    detail = "developer config submitted (its audit outcome arrives only as a pushed event)"
    try:
        await api.submit_developer_config(request)
    except OutcomeUnknownError:
        try:
            await api.submit_developer_config(request)
        except BusinessError as error:
            if error.errno != 60018:
                raise
            detail = "developer config submitted (confirmed: in review after an unknown outcome)"
    except BusinessError as error:
        if error.errno != 60018:
            raise
        record = await asyncio.to_thread(
            executor.store.get_submission, spec.app_id, "developer_config"
        )
        if record is not None:
            raise  # an earlier, different submission is in review: wait for it (caller)
        # No record but one in review: ours, from a run that died before recording it.
        detail = "developer config already in review with no record (an interrupted run): recorded"
    await executor._record_submission(spec, "developer_config")
    return "submitted", detail


def _payment_request(spec: AppSpec) -> Any:
    """create and updatebindservice send the whole section, optional fields included."""
    from smartpay_apply.api.models import PaymentServiceRequest

    service = spec.payment_service
    assert service is not None, "decide plans payment-service steps only for a managed section"
    return PaymentServiceRequest(**section_fields(service))


#: Account fields naming local files: apply uploads them and sends the URL fields instead.
LOCAL_IMAGE_FIELDS: frozenset[str] = frozenset(file_field for file_field, _url in IMAGE_FIELDS)


def section_fields(section: BaseModel, skip: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Every field of a spec section that is set, under the API's own name.

    Why every field and not a list: the spec models are the contract of what a user can ask
    for, and the field names are the API's. A list here once silently dropped the optional
    fields (license_*, legal_card_*, industry_id, manage_permit_url, bank_phone_number) that
    validate accepted and plan showed; the request models pass such additions through.
    """
    return {
        name: value
        for name in type(section).model_fields
        if name not in skip and (value := getattr(section, name)) is not None
    }


async def _create_payment_service(
    executor: Executor, spec: AppSpec, api: AppApi
) -> tuple[str, str | None]:
    """paymentservice/create; "already exists" or an unknown outcome is settled by getbindservice.

    Recorded as a submission (fingerprint), so a rejection is not resubmitted blindly; and,
    since Baidu creates a service only on a completed developer config, a developer config
    whose outcome event never arrived is recorded as approved.
    """
    from smartpay_apply.api.errors import AlreadyExistsError, OutcomeUnknownError

    try:
        await api.create_payment_service(_payment_request(spec))
        outcome, detail = "submitted", "payment service created, in review"
    except (AlreadyExistsError, OutcomeUnknownError) as error:
        if await api.get_bind_service() is None:
            if isinstance(error, OutcomeUnknownError):
                raise SmartpayError(
                    "paymentservice/create: the outcome was unknown and no payment service "
                    "exists; nothing was repeated: run apply again"
                ) from None
            raise error from None
        outcome = "already_exists"
        detail = "payment service already exists (confirmed by getbindservice)"
    await executor._record_submission(spec, "payment_service")
    await executor._infer_developer_config_approved(spec)
    return outcome, detail


async def _update_payment_service(
    executor: Executor, spec: AppSpec, api: AppApi
) -> tuple[str, str | None]:
    """paymentservice/update (no audit): the NO_AUDIT_PAYMENT_FIELDS at once."""
    from smartpay_apply.api.errors import OutcomeUnknownError
    from smartpay_apply.api.models import PaymentServiceUpdateRequest
    from smartpay_apply.engine.normalise import normalise_value
    from smartpay_apply.spec.models import NO_AUDIT_PAYMENT_FIELDS

    service = spec.payment_service
    assert service is not None
    values = {name: getattr(service, name) for name in sorted(NO_AUDIT_PAYMENT_FIELDS)}
    try:
        await api.update_payment_service(PaymentServiceUpdateRequest(**values))
    except OutcomeUnknownError:
        bound = await api.get_bind_service()
        if bound is None or any(
            normalise_value(name, getattr(bound, name)) != normalise_value(name, value)
            for name, value in values.items()
        ):
            raise SmartpayError(
                "paymentservice/update: the outcome was unknown and getbindservice shows the "
                "old values; nothing was repeated: run apply again"
            ) from None
        return "updated", "updated (confirmed by getbindservice after an unknown outcome)"
    return "updated", "updated without audit"


async def _update_bind_service(
    executor: Executor, spec: AppSpec, api: AppApi
) -> tuple[str, str | None]:
    """paymentservice/updatebindservice (audited); an unknown outcome is settled by auditstatus.

    Recorded as a submission: getbindservice may show the last approved values while (and
    after) Baidu reviews this one, so the fingerprint is what tells a rejected spec apart.
    """
    from smartpay_apply.api.errors import OutcomeUnknownError

    try:
        await api.update_bind_service(_payment_request(spec))
        detail = "submitted for audit"
    except OutcomeUnknownError:
        status = await api.get_payment_service_audit_status()
        if status.status != 1:
            raise SmartpayError(
                "paymentservice/updatebindservice: the outcome was unknown and no audit is in "
                "progress; nothing was repeated: run apply again"
            ) from None
        detail = "submitted for audit (confirmed by auditstatus after an unknown outcome)"
    await executor._record_submission(spec, "payment_service")
    return "submitted", detail


def _adopter(section: str) -> Handler:
    async def adopt(executor: Executor, spec: AppSpec, api: AppApi) -> tuple[str, str | None]:
        await executor._record_submission(spec, section)
        return (
            "adopted",
            f"{SECTION_LABELS.get(section, section)}: fingerprint recorded, no API call",
        )

    return adopt


_HANDLERS: dict[Action, Handler] = {
    Action.CREATE_ACCOUNT: _create_account,
    Action.SUBMIT_DEVELOPER_CONFIG: _submit_developer_config,
    Action.CREATE_PAYMENT_SERVICE: _create_payment_service,
    Action.UPDATE_PAYMENT_SERVICE: _update_payment_service,
    Action.UPDATE_BIND_SERVICE: _update_bind_service,
}


# ---------------------------------------------------------------- a whole run


class Interaction(Protocol):
    """What a run asks of its caller (the CLI): show, ask, report progress."""

    progress: Progress

    def show_plan(self, plan: Plan) -> None:
        """Print the plan (text mode) before anything is written."""
        ...

    def warn(self, message: str) -> None:
        """A line on stderr (refusals, the --force warning, lock takeovers)."""
        ...

    def ask_payout(self, change: PayoutChange) -> bool:
        """TTY only: does the user type the app's name to allow this payout change?"""
        ...

    def confirm(self, plan: Plan) -> bool:
        """TTY only (never called with --auto-approve or a saved plan): "yes" to go on."""
        ...

    @property
    def interactive(self) -> bool:
        """A person answers the prompts (stdin is a terminal)."""
        ...


@dataclass(frozen=True)
class ApplyRequest:
    """One `apply` invocation, parsed: which specs, which saved plan, which consents."""

    specs: Sequence[AppSpec]
    managed: int  # every mini-program the project manages (the money guard's denominator)
    saved: Plan | None = None  # `apply PLANFILE`
    saved_checksum: str | None = None
    allow_payout_change: tuple[str, ...] = ()
    force: bool = False
    auto_approve: bool = False


class ApplyCancelled(SmartpayError):
    """The user did not confirm."""


class ApplyInterrupted(SmartpayError):
    """Ctrl-C (or SIGTERM) stopped the run; `result` says what was done before (exit 130)."""

    exit_code = 130

    def __init__(self, result: ApplyResult) -> None:
        super().__init__("Interrupted: locks released; run apply again to go on.")
        self.result = result


class _Planner:
    """The AppPlanner the executor uses: the plan engine's planner, bound to this run."""

    def __init__(self, config: ProjectConfig, api: OpenApi, store: StateStore) -> None:
        self.config, self.api, self.store = config, api, store

    async def plan(self, spec: AppSpec) -> AppPlan:
        from smartpay_apply.engine.planner import plan_app

        app_plan, _ = await plan_app(self.config, spec, self.api, self.store)
        return app_plan

    def fingerprints(self, spec: AppSpec) -> Mapping[str, str]:
        from smartpay_apply.engine.planner import desired_fingerprints

        return desired_fingerprints(spec, self.store)


async def run_apply(
    config: ProjectConfig,
    request: ApplyRequest,
    api: OpenApi,
    store: StateStore,
    ui: Interaction,
    options: ApplyOptions,
) -> ApplyResult:
    """Lock, plan under the locks, check (stale plan, money guard), confirm, execute, release."""
    import getpass
    import socket

    from smartpay_apply.state.locks import LockOwner

    run_id = await asyncio.to_thread(
        store.start_run,
        command="apply",
        user=_user(getpass),
        host=socket.gethostname(),
        plan_checksum=request.saved_checksum,
    )
    result = ApplyResult(run_id=run_id)
    locks: dict[int, HeldLock] = {}
    executor: Executor | None = None
    try:
        _, lock_errors = await take_locks(
            store,
            [spec.app_id for spec in request.specs],
            LockOwner.current(run_id),
            ttl=options.lock_ttl,
            wait=options.lock_wait,
            held=locks,
        )
        for spec in request.specs:
            if spec.app_id in lock_errors:
                failed = AppResult(spec.app, spec.app_id)
                failed.fail(lock_errors[spec.app_id])
                result.apps.append(failed)
        locked = [spec for spec in request.specs if spec.app_id in locks]
        work = await _plan_and_check(config, request, locked, api, store, ui, result)
        if work:
            executor = Executor(
                store=store,
                planner=_Planner(config, api, store),
                app_api=lambda spec: _app_api(config, spec, api, store),
                options=options,
                run_id=run_id,
                progress=ui.progress,
                tp_api=lambda spec: _tp_api(config, spec, api, store),
            )
            result.apps.extend(await executor.run(work))
    except (asyncio.CancelledError, KeyboardInterrupt):
        # Ctrl-C / SIGTERM (or Ctrl-C at a prompt): the writes under way were finished and recorded (see _execute);
        # report what was done, release the locks (below), and let the caller exit 130.
        result.interrupted = True
        if executor is not None:
            result.apps.extend(executor.results)
        result.apps.sort(key=lambda app: app.app)
        raise ApplyInterrupted(result) from None
    finally:
        await release_locks(locks)
        if result.interrupted or not result.apps:
            status = "aborted"
        else:
            status = {0: "succeeded", 2: "pending"}.get(result.exit_code, "failed")
        await asyncio.to_thread(store.finish_run, run_id, status)
    result.apps.sort(key=lambda app: app.app)
    return result


def _user(getpass: Any) -> str:
    try:
        return str(getpass.getuser())
    except Exception:  # no user name in some containers
        return "unknown"


def _app_api(config: ProjectConfig, spec: AppSpec, api: OpenApi, store: StateStore) -> AppApi:
    from smartpay_apply.credentials import token_source_for

    return api.app(token_source_for(spec, config, store, api))


def _tp_api(config: ProjectConfig, spec: AppSpec, api: OpenApi, store: StateStore) -> TpApi | None:
    from smartpay_apply.credentials import tp_token_source

    source = tp_token_source(spec, config, store, api)
    return None if source is None else api.tp(source)


async def _plan_and_check(
    config: ProjectConfig,
    request: ApplyRequest,
    locked: Sequence[AppSpec],
    api: OpenApi,
    store: StateStore,
    ui: Interaction,
    result: ApplyResult,
) -> list[tuple[AppSpec, AppPlan]]:
    """Plan the locked mini-programs; drop (into `result`) the stale, failed and refused ones."""
    from smartpay_apply.engine.money_guard import (
        PayoutThresholdError,
        check_threshold,
        judge_consent,
        unknown_allowances,
    )
    from smartpay_apply.engine.planner import build_plan

    plan, _ = await build_plan(config, locked, api, store)
    result.plan = plan
    by_name = {spec.app: spec for spec in locked}
    usable: list[AppPlan] = []
    for app_plan in plan.apps:
        problem = app_plan.error or _stale(request.saved, app_plan)
        if problem is None:
            usable.append(app_plan)
            continue
        refused = AppResult(app_plan.app, app_plan.app_id)
        refused.fail(problem, AppStatus.FAILED if app_plan.error else AppStatus.REFUSED)
        result.apps.append(refused)
    ui.show_plan(plan)
    checked = Plan(apps=tuple(usable))
    for name in unknown_allowances(checked, request.allow_payout_change):
        ui.warn(f"Warning: --allow-payout-change {name}: names no mini-program of this run")
    try:
        warning = check_threshold(
            checked,
            managed=request.managed,
            max_share=config.apply.payout_change_max_share,
            force=request.force,
        )
    except PayoutThresholdError as error:
        # The whole run is refused before any write; every mini-program says why (JSON too);
        # the CLI says it once on stderr.
        for app_plan in usable:
            refused = AppResult(app_plan.app, app_plan.app_id)
            refused.fail(error.user_message(), AppStatus.REFUSED)
            result.apps.append(refused)
        return []
    if warning:
        ui.warn(f"Warning: {warning}")
        result.warnings.append(warning)
    verdict = judge_consent(
        checked, request.allow_payout_change, ui.ask_payout if ui.interactive else None
    )
    work: list[tuple[AppSpec, AppPlan]] = []
    for app_plan in usable:
        if app_plan.app in verdict.refused:
            refused = AppResult(app_plan.app, app_plan.app_id)
            refused.fail(verdict.refused[app_plan.app], AppStatus.REFUSED)
            result.apps.append(refused)
        elif app_plan.steps:
            work.append((by_name[app_plan.app], app_plan))
        else:
            result.apps.append(AppResult(app_plan.app, app_plan.app_id, notes=list(app_plan.notes)))
    needs_yes = request.saved is None and not request.auto_approve
    if work and needs_yes and not ui.confirm(Plan(apps=tuple(plan for _spec, plan in work))):
        raise ApplyCancelled("Apply cancelled: nothing was changed.")
    return work


def _stale(saved: Plan | None, fresh: AppPlan) -> str | None:
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
