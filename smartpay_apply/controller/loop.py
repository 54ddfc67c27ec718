"""The controller: reconcile each mini-program when it is due, keep going whatever fails.

Four tasks share one event loop:
- the dispatcher starts reconciles of due mini-programs (schedule.py), at most `concurrency`
  at once, one at a time per mini-program; a trigger that arrives while one runs makes it run
  again right after;
- the event feed polls the store for events other replicas received (triggers.py), the
  suspensions, and new consents for mini-programs awaiting one;
- the spec watcher loads the specs again when their files change (or on SIGHUP);
- the rounds: every `resync` (jittered), every mini-program.
The last three are in due_sources.py (when a mini-program is due); this module is the rest
(how a due mini-program is reconciled, and what its outcome means).

A reconcile is engine.run.reconcile — the engine `apply` runs — under the mini-program's lock
(not waited for: another replica holding it is handling it). Its outcome decides what comes
next: a failure backs off (backoff.py) and is recorded; a rejection or a payout change without
consent waits for a person (a spec change, a consent, `apply`), re-checked at each round.
Nothing a reconcile raises reaches the loop: the process never crash-loops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from smartpay_apply.controller import report
from smartpay_apply.controller.due_sources import DueSources, Round
from smartpay_apply.controller.outcome import NEEDS_A_PERSON, Outcome, classify, wrote
from smartpay_apply.controller.policy import PAYOUT_CONSENT, Judge, PayoutBudget
from smartpay_apply.controller.schedule import Due, Priority, Schedule
from smartpay_apply.controller.triggers import (
    EventFeed,
    SpecSet,
    event_key,
    snapshot,
    spec_files,
)
from smartpay_apply.engine.options import ApplyOptions
from smartpay_apply.engine.results import ApplyResult, AppResult
from smartpay_apply.engine.run import reconcile
from smartpay_apply.errors import SmartpayError
from smartpay_apply.timeutil import now

if TYPE_CHECKING:
    from smartpay_apply.controller.metrics import Metrics
    from smartpay_apply.controller.settings import Settings
    from smartpay_apply.runtime import Runtime
    from smartpay_apply.spec.models import AppSpec

log = logging.getLogger(__name__)


@dataclass
class AppState:
    """What the controller keeps of one mini-program between reconciles."""

    failures: int = 0
    outcome: Outcome | None = None
    message: str | None = None
    recorded_failure: str | None = None  # the last failure put in the run history
    again: Due | None = None  # a trigger that came while a reconcile ran
    lock_misses: int = 0
    consent_seen: datetime | None = None


class Controller(DueSources):
    """Reconciles the mini-programs of `specs` against `runtime` (see the module docstring)."""

    def __init__(
        self,
        runtime: Runtime,
        settings: Settings,
        specs: SpecSet,
        metrics: Metrics,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.runtime = runtime
        self.settings = settings
        self.specs = specs
        self.metrics = metrics
        self.clock = clock
        self.options = ApplyOptions(wait=False, lock_wait=0.0, events_configured=True)
        self.schedule = Schedule()
        self.states: dict[int, AppState] = {}
        self.feed = EventFeed(runtime.store, now())
        self.budget = PayoutBudget(
            runtime.config.apply.payout_change_max_share, settings.resync, clock
        )
        self.started = False
        self.stopping = False
        self._suspended: set[int] = set()
        self._running: dict[int, asyncio.Task[None]] = {}
        self._helpers: list[asyncio.Task[None]] = []
        self._wake = asyncio.Event()
        self._reload = asyncio.Event()
        self._round: Round | None = None
        self._files = snapshot(spec_files(runtime.config))
        #: `once`: every result so far (what an interrupted --once reports).
        self.results: list[AppResult] = []

    # ------------------------------------------------------------------ triggers

    def trigger(self, app_id: int, due: Due) -> None:
        """Make `app_id` due (merged with what it was due for); later if it is running."""
        if app_id not in self.specs.specs:
            return
        state = self.states.setdefault(app_id, AppState())
        if app_id in self._running:
            state.again = due if state.again is None else state.again.merge(due)
            return
        self.schedule.add(app_id, due)
        self._wake.set()

    async def on_event(self, data: dict[str, Any]) -> None:
        """The local receiver's hook: an event was stored just now."""
        app_id = int(data["app_id"])
        received = datetime.fromisoformat(str(data["received_at"]))
        if self.feed.note(event_key(app_id, data["event"], data["event_time"]), received):
            self._event(app_id, str(data["event"]), received)

    def _event(self, app_id: int, event: str, received: datetime) -> None:
        if app_id not in self.specs.specs:
            log.debug("event %s for mini-program %s, which no spec manages", event, app_id)
            return
        log.info(
            "%s: event %s", self._name(app_id), event, extra={"app_id": app_id, "event": event}
        )
        self.trigger(
            app_id, Due(self.clock(), Priority.URGENT, f"event {event}", received.timestamp())
        )

    def reload(self) -> None:
        """SIGHUP: load the specs again now."""
        self._reload.set()

    # ------------------------------------------------------------------ running

    async def run(self) -> None:
        """Reconcile until `stop` is called (a round starts at once)."""
        self._helpers = [
            asyncio.create_task(self._forever(self._poll, self.settings.poll_interval)),
            asyncio.create_task(self._watch_specs()),
            asyncio.create_task(self._rounds()),
        ]
        for helper in self._helpers:
            helper.add_done_callback(_say_if_died)
        self.started = True
        try:
            await self._dispatch()
        finally:
            for helper in self._helpers:
                helper.cancel()
            await asyncio.gather(*self._helpers, return_exceptions=True)

    async def stop(self) -> None:
        """SIGTERM: start nothing new; each reconcile under way finishes its write, records
        it, releases its lock (engine/run.reconcile); then return."""
        self.stopping = True
        self._wake.set()
        running = list(self._running.values())
        if running:
            log.info("stopping: %d reconcile(s) finish the write under way", len(running))
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)

    async def once(self) -> ApplyResult:
        """Reconcile every mini-program once (`--once`): apply's exit codes."""
        gate = asyncio.Semaphore(max(1, self.settings.concurrency))
        stored = await asyncio.to_thread(self.runtime.store.list_suspensions)
        self._suspended = {suspension.app_id for suspension in stored}

        async def one(app_id: int) -> None:
            async with gate:
                due = Due(self.clock(), Priority.ROUTINE, "once")
                self.results.append(await self._reconcile(app_id, due))

        await asyncio.gather(*(one(app_id) for app_id in self.specs.specs))
        return ApplyResult(apps=sorted(self.results, key=lambda r: r.app))

    async def _dispatch(self) -> None:
        while not self.stopping:
            self._wake.clear()
            free = self.settings.concurrency - len(self._running)
            if free > 0:
                for app_id, due in self.schedule.take(self.clock(), free):
                    self._start(app_id, due)
            self.metrics.queued.set(len(self.schedule))
            self.metrics.running.set(len(self._running))
            timeout = None
            if not self.schedule.has_ready():
                at = self.schedule.next_at()
                timeout = None if at is None else max(0.0, at - self.clock())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    def _start(self, app_id: int, due: Due) -> None:
        task = asyncio.create_task(self._run_one(app_id, due))
        self._running[app_id] = task

        def done(_task: asyncio.Task[None]) -> None:
            self._running.pop(app_id, None)
            state = self.states.get(app_id)
            if state is not None and state.again is not None and not self.stopping:
                again, state.again = state.again, None
                self.trigger(app_id, again)
            self._wake.set()

        task.add_done_callback(done)

    async def _run_one(self, app_id: int, due: Due) -> None:
        if app_id not in self.specs.specs:  # its spec went away while it waited
            return
        try:
            await self._reconcile(app_id, due)
        except asyncio.CancelledError:
            if not self.stopping:
                raise

    # ------------------------------------------------------------------ one reconcile

    async def _reconcile(self, app_id: int, due: Due) -> AppResult:
        """Reconcile one mini-program and settle what comes next; never raises (but a
        cancellation, after the write under way was finished and recorded)."""
        spec = self.specs.specs[app_id]
        if spec.suspend or app_id in self._suspended:
            result = AppResult(spec.app, spec.app_id, notes=["suspended"])
            self._settle(spec, due, result, Outcome.SUSPENDED, None, 0.0)
            return result
        judge = Judge(
            spec,
            self.runtime.store,
            actions=self.settings.actions,
            budget=self.budget,
            managed=len(self.specs.specs),
        )
        started = self.clock()
        try:
            result = await reconcile(
                self.runtime,
                spec,
                self.options,
                managed=len(self.specs.specs),
                source=report.SOURCE,
                ask=judge.ask,
                refuse=judge.refuse,
                keep_observation=False,  # `_keep` records it, with the controller block
            )
        except asyncio.CancelledError:
            log.info("%s: interrupted (the write under way was recorded)", spec.app)
            self.metrics.reconciles.labels(Outcome.INTERRUPTED.value).inc()
            raise
        except Exception as error:  # a bug or a store failure: this app fails, not the process
            result = AppResult(spec.app, spec.app_id)
            if isinstance(error, SmartpayError):
                result.fail(error.user_message())
            else:
                log.exception("%s: reconcile failed unexpectedly", spec.app)
                result.fail(f"internal error: {type(error).__name__}: {error}")
        outcome = classify(result, judge.denied)
        explanation = judge.explain()
        if explanation is not None:  # what to do, for the controller (not apply's flag only)
            result.errors = [explanation]
        if judge.consent_used and wrote(result):
            await self._use_consent(spec)
        self._settle(spec, due, result, outcome, explanation, self.clock() - started)
        await self._keep(spec, result, outcome)
        return result

    def _settle(
        self,
        spec: AppSpec,
        due: Due,
        result: AppResult,
        outcome: Outcome,
        explanation: str | None,
        elapsed: float,
    ) -> None:
        """Count it, say it, and decide when this mini-program is due again."""
        state = self.states.setdefault(spec.app_id, AppState())
        self.metrics.reconciles.labels(outcome.value).inc()
        if outcome is not Outcome.SUSPENDED:
            self.metrics.duration.observe(elapsed)
        if due.event_at is not None and wrote(result):
            self.metrics.event_to_write.observe(max(0.0, time.time() - due.event_at))
        message = explanation or "; ".join(result.errors) or None
        state.failures = state.failures + 1 if outcome is Outcome.FAILED else 0
        state.lock_misses = state.lock_misses + 1 if outcome is Outcome.SKIPPED else 0
        self._say(spec, due, result, outcome, message, state)
        state.outcome, state.message = outcome, message
        if outcome is Outcome.FAILED:
            delay = self.settings.backoff.delay(state.failures)
            self.trigger(spec.app_id, Due(self.clock() + delay, Priority.RETRY, "retry"))
        elif outcome is Outcome.SKIPPED and due.priority is not Priority.ROUTINE:
            # Another replica held the lock; it may have planned before this trigger's event
            # was stored: look again once it is done.
            delay = min(self.settings.lock_retry * state.lock_misses, 30.0)
            retry = Due(self.clock() + delay, Priority.RETRY, due.reason, due.event_at)
            self.trigger(spec.app_id, retry)
        self._round_done(spec.app_id, outcome)

    def _say(
        self,
        spec: AppSpec,
        due: Due,
        result: AppResult,
        outcome: Outcome,
        message: str | None,
        state: AppState,
    ) -> None:
        """One log line per reconcile: INFO when something was done or changed, a WARNING when
        a person is needed or it failed (once per distinct message), DEBUG otherwise."""
        done = ", ".join(f"{s.action} {s.result}" for s in result.steps)
        text = f"{spec.app}: {outcome.value}" + (f" ({done})" if done else "")
        if message:
            text += f": {message}"
        extra = {
            "app": spec.app,
            "app_id": spec.app_id,
            "outcome": outcome.value,
            "trigger": due.reason,
        }
        changed = (outcome, message) != (state.outcome, state.message)
        if outcome is Outcome.FAILED or outcome in NEEDS_A_PERSON:
            level = logging.WARNING if changed or outcome is Outcome.FAILED else logging.DEBUG
        else:
            level = logging.INFO if (done or changed) else logging.DEBUG
        log.log(level, text, extra=extra)

    async def _keep(self, spec: AppSpec, result: AppResult, outcome: Outcome) -> None:
        """The observation with the controller block; a failure in the run history (once per
        message). Best effort: the store being down is a failure already counted."""
        state = self.states[spec.app_id]
        if outcome in (Outcome.SKIPPED, Outcome.INTERRUPTED):
            return
        pending = self.schedule.get(spec.app_id)
        retry_at = None
        if pending is not None and pending.priority is Priority.RETRY:
            retry_at = now() + timedelta(seconds=max(0.0, pending.at - self.clock()))
        block = report.controller_block(
            result,
            outcome,
            message=state.message,
            at=now(),
            failures=state.failures,
            next_attempt=retry_at,
        )
        store = self.runtime.store
        try:
            await asyncio.to_thread(report.keep_observation, store, result, block)
            if (
                outcome is Outcome.FAILED
                and not result.steps
                and state.message
                and state.message != state.recorded_failure
            ):
                await asyncio.to_thread(report.keep_failure, store, result, state.message)
                state.recorded_failure = state.message
            elif outcome is not Outcome.FAILED:
                state.recorded_failure = None
        except Exception as error:
            log.warning("%s: could not record the reconcile: %s", spec.app, error)

    async def _use_consent(self, spec: AppSpec) -> None:
        """A consent is for one change: dropped once its change was sent."""
        try:
            await asyncio.to_thread(self.runtime.store.revoke_consent, spec.app_id, PAYOUT_CONSENT)
        except Exception as error:
            log.warning("%s: could not drop the used payout consent: %s", spec.app, error)
        log.info("%s: payout change sent with the recorded consent (now used)", spec.app)

    def _name(self, app_id: int) -> str:
        spec = self.specs.specs.get(app_id)
        return spec.app if spec is not None else str(app_id)

    @property
    def managed(self) -> set[int]:
        return set(self.specs.specs)

    def suspended_by_spec(self) -> int:
        return sum(
            1 for s in self.specs.specs.values() if s.suspend and s.app_id not in self._suspended
        )


def _say_if_died(task: asyncio.Task[None]) -> None:
    """A helper task (rounds, poll, spec watcher) must run until cancelled: if one ends with an
    error, say so loudly rather than go on with no rounds or no events from other replicas."""
    if task.cancelled():
        return
    error = task.exception()
    if error is not None:
        log.error("controller: a background task stopped: %r", error, exc_info=error)
