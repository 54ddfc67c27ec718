"""An apply run, top to bottom — and `reconcile`, the same for one mini-program.

The shape of a run (Terraform's): record the run → take the locks of the selected mini-programs
→ plan them under their locks (so nobody changes them between plan and apply) → preflight (stale
plans, money guard) → show and confirm → execute → release and record how the run ended.

Ctrl-C or SIGTERM may come at any moment. The caller cancels the run's task (and sets `stop`,
which is checked between phases and before every write, in case a library swallowed the
cancellation); whatever phase it hits, the write under way is finished and recorded, every lock
taken so far is released, the run is recorded `aborted` (unless its end was recorded already),
and `ApplyInterrupted` carries what was done for the summary and exit code 130.
"""

from __future__ import annotations

import asyncio
import functools
import getpass
import logging
import secrets
import socket
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

from smartpay_apply.engine.executor import Executor, Wiring
from smartpay_apply.engine.locking import RunLocks
from smartpay_apply.engine.observation import service_name
from smartpay_apply.engine.options import ApplyOptions
from smartpay_apply.engine.preflight import Request, Verdict, preflight
from smartpay_apply.engine.recorder import StoreRecorder
from smartpay_apply.engine.results import ApplyResult, AppResult, AppStatus
from smartpay_apply.engine.steps import Action
from smartpay_apply.engine.uninterrupted import cleanup, run_to_end
from smartpay_apply.errors import SmartpayError
from smartpay_apply.state.locks import LockOwner
from smartpay_apply.timeutil import now

if TYPE_CHECKING:
    from smartpay_apply.api.app import AppApi, TpApi
    from smartpay_apply.config import ProjectConfig
    from smartpay_apply.engine.money_guard import PayoutChange
    from smartpay_apply.engine.observe import ObservedContext
    from smartpay_apply.engine.planner import Planner
    from smartpay_apply.engine.steps import AppPlan, Plan
    from smartpay_apply.engine.waiting import ProgressSink
    from smartpay_apply.spec.models import AppSpec
    from smartpay_apply.state.base import StateStore

log = logging.getLogger(__name__)


class RunParts(Protocol):
    """What a run is given: the wiring of one API client, state store and credentials.

    `runtime.Runtime` is the implementation; the engine names only this shape, so that it
    never imports the wiring point above it (docs/architecture.md).
    """

    @property
    def config(self) -> ProjectConfig:
        """The project (the money guard's share, `apply.payout_change_max_share`)."""
        ...

    @property
    def store(self) -> StateStore:
        """The run's state store (run history, locks, records)."""
        ...

    def planner(self, *, concurrency: int | None = None, source: str = "plan") -> Planner:
        """The planner of this run, its observations recorded as from `source`."""
        ...

    def app_api(self, spec: AppSpec) -> AppApi:
        """The mini-program's endpoints, with its token source."""
        ...

    def tp_api(self, spec: AppSpec) -> TpApi | None:
        """TP-level calls (image upload); None when no TP token is configured."""
        ...


class Interaction(Protocol):
    """What a run asks of its caller (the CLI): show, ask, report progress."""

    @property
    def progress(self) -> ProgressSink:
        """Where "still waiting" is shown."""
        ...

    def show_plan(self, plan: Plan) -> None:
        """Print the plan (text mode) before anything is written."""
        ...

    def warn(self, message: str) -> None:
        """A line on stderr (warnings, the --force notice)."""
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


class ApplyCancelled(SmartpayError):
    """The user did not confirm."""


class ApplyInterrupted(SmartpayError):
    """Ctrl-C (or SIGTERM) stopped the run; `result` says what was done before (exit 130)."""

    exit_code = 130

    def __init__(self, result: ApplyResult) -> None:
        super().__init__("Interrupted: locks released; run apply again to go on.")
        self.result = result


async def run_apply(
    runtime: RunParts,
    request: Request,
    ui: Interaction,
    options: ApplyOptions,
    stop: Callable[[], bool] = lambda: False,
) -> ApplyResult:
    """Lock, plan under the locks, preflight, confirm, execute, release (module docstring)."""
    result = ApplyResult()
    result.run_id, interrupted = await _start_run(runtime, request)
    locks = RunLocks(runtime.store, LockOwner.current(result.run_id), ttl=options.lock_ttl)
    executor: Executor | None = None
    keeping: asyncio.Future[None] | None = None
    try:
        if interrupted:
            raise asyncio.CancelledError
        _checkpoint(stop)
        refused = await locks.take([spec.app_id for spec in request.specs], wait=options.lock_wait)
        result.apps += _lock_failures(request.specs, refused)
        _checkpoint(stop)
        locked = [spec for spec in request.specs if spec.app_id in locks.held]
        planner = runtime.planner(source="apply")  # the executor's too: it knows what it saw
        result.plan, contexts = await planner.plan_all(locked, keep=False)
        keeping = _keep(runtime, planner, locked, result.plan, contexts)
        ui.show_plan(result.plan)
        verdict = _preflight(runtime, request, locked, result, ui)
        _checkpoint(stop)
        if verdict.work and request.needs_confirmation and not ui.confirm(_work_plan(verdict)):
            raise ApplyCancelled("Apply cancelled: nothing was changed.")
        _checkpoint(stop)
        executor = _executor(runtime, result.run_id, options, ui.progress, stop, planner)
        result.apps += await executor.run(verdict.work)
    except (asyncio.CancelledError, KeyboardInterrupt):
        result.interrupted = True
        if executor is not None:
            result.apps += executor.results
        result.apps.sort(key=lambda app: app.app)
        raise ApplyInterrupted(result) from None
    finally:
        if keeping is not None:
            await cleanup(keeping)
        await locks.release()
        await _finish_run(runtime, result.run_id, result)
    result.apps.sort(key=lambda app: app.app)
    return result


def _keep(
    runtime: RunParts,
    planner: Planner,
    specs: Sequence[AppSpec],
    plan: Plan,
    contexts: Mapping[str, ObservedContext],
) -> asyncio.Future[None]:
    """The plan's observations written while the run goes on (issue 16: 500 of them took
    ~60 ms between the plan's last answer and the first write); awaited before the locks are
    released. As of now: a later observation of the run (a re-plan's) is newer, and the store
    keeps the newest whatever order the writes end in."""
    kept = [
        (app_plan, service_name(spec, contexts[app_plan.app].observed))
        for spec, app_plan in zip(specs, plan.apps, strict=True)
    ]
    return asyncio.ensure_future(runtime.store.call(planner.keep, kept, now()))


async def reconcile(
    runtime: RunParts,
    spec: AppSpec,
    options: ApplyOptions,
    *,
    run_id: str | None = None,
    allow_payout_change: tuple[str, ...] = (),
    managed: int = 1,
    source: str = "controller",
    ask: Callable[[PayoutChange], bool] | None = None,
    refuse: Callable[[AppPlan], str | None] | None = None,
    keep_observation: bool = True,
) -> AppResult:
    """Plan and apply one mini-program under its lock, without asking anyone: the unit a
    controller calls, and the same engine as `apply`.

    The lock is waited for at most `options.lock_wait` (held elsewhere: `lock_held` in the
    result) and released whatever happens; the result carries the plan made under it.
    The caller's say besides `allow_payout_change`: `ask` decides a payout change nobody
    named (the controller's stored consent and per-round threshold); `refuse` may leave a
    whole plan to a person, checked before the money guard so no consent is used up.
    The run history: with `run_id` the steps go to the caller's run; without, a run is
    recorded only when something is written (`_write_one`). Cancelled (SIGTERM), the write
    under way is finished and recorded first. `keep_observation=False`: the caller records
    the plan's observation itself (the controller, with its block: one write instead of
    two), except when this raises (the caller then has no plan to record).
    """
    owner = run_id or _reconcile_owner(source)
    locks = RunLocks(runtime.store, LockOwner.current(owner), ttl=options.lock_ttl)
    planner = runtime.planner(source=source)
    unkept: tuple[AppPlan, str | None] | None = None
    try:
        refused = await locks.take([spec.app_id], wait=options.lock_wait)
        if refused:
            (failed,) = _lock_failures([spec], refused)
            failed.lock_held = True
            return failed
        plan, contexts = await planner.plan_all([spec], keep=keep_observation)
        (app_plan,) = plan.apps
        name = service_name(spec, contexts[app_plan.app].observed)
        if not keep_observation:
            unkept = (app_plan, name)
        verdict = _reconcile_verdict(runtime, plan, spec, managed, allow_payout_change, ask, refuse)
        if verdict.work:
            result = await _write_one(
                runtime, planner, options, verdict.work, run_id=run_id, owner=owner, source=source
            )
        else:
            (result,) = verdict.settled
        result.plan, result.service_name = app_plan, name
        return result
    except BaseException:
        if unkept is not None:
            await cleanup(runtime.store.call(planner.keep, [unkept]))
        raise
    finally:
        await locks.release()


async def _write_one(
    runtime: RunParts,
    planner: Planner,
    options: ApplyOptions,
    work: list[tuple[AppSpec, AppPlan]],
    *,
    run_id: str | None,
    owner: str,
    source: str,
) -> AppResult:
    """Execute one reconcile's writes: in the caller's run (`run_id`), or in a run of its own,
    recorded only now that something is to be written, and finished here (`aborted` when
    interrupted: the write under way is finished and recorded first)."""
    started: str | None = None
    outcome = ApplyResult()
    try:
        if run_id is None and (options.wait or _writes_first(work[0][1])):
            started, interrupted = await _start_run(runtime, None, command=source)
            if interrupted:
                outcome.interrupted = True
                raise asyncio.CancelledError
        executor = _executor(
            runtime, run_id or started or owner, options, None, lambda: False, planner
        )
        try:
            outcome.apps = await executor.run(work)
        except (asyncio.CancelledError, KeyboardInterrupt):
            outcome.interrupted = True
            outcome.apps = list(executor.results)
            raise
        (result,) = outcome.apps
        return result
    finally:
        if started is not None:
            await _finish_run(runtime, started, outcome)


def _reconcile_verdict(
    runtime: RunParts,
    plan: Plan,
    spec: AppSpec,
    managed: int,
    allow_payout_change: tuple[str, ...],
    ask: Callable[[PayoutChange], bool] | None,
    refuse: Callable[[AppPlan], str | None] | None,
) -> Verdict:
    """The caller's refusal first, then the same preflight as apply (money guard included)."""
    (app_plan,) = plan.apps
    reason = refuse(app_plan) if refuse is not None and not app_plan.error else None
    if reason is not None:
        refused = AppResult(app_plan.app, app_plan.app_id, notes=list(app_plan.notes))
        refused.fail(reason, AppStatus.REFUSED)
        return Verdict(settled=[refused])
    request = Request(
        specs=[spec],
        managed=managed,
        allow_payout_change=allow_payout_change,
        auto_approve=True,
    )
    return preflight(
        plan, [spec], request, max_share=runtime.config.apply.payout_change_max_share, ask=ask
    )


def _writes_first(app_plan: AppPlan) -> bool:
    """Whether the steps before the first wait or rejection record anything (a write, an
    adoption): otherwise a run without --wait writes nothing and needs no run record."""
    for step in app_plan.steps:
        if step.action in (Action.WAIT, Action.BLOCKED):
            return False
        if not step.is_marker:
            return True
    return False


def _reconcile_owner(source: str) -> str:
    """The lock owner's run id of a reconcile that has no run (yet): `controller-1a2b3c4d`."""
    return f"{source}-{secrets.token_hex(4)}"


# ---------------------------------------------------------------- the phases


async def _start_run(
    runtime: RunParts, request: Request | None, *, command: str = "apply"
) -> tuple[str, bool]:
    """The run's history record — written to the end even if Ctrl-C comes meanwhile, so that
    its end is recorded too — and whether Ctrl-C came."""
    task, interrupted = await run_to_end(
        runtime.store.call(
            runtime.store.start_run,
            command=command,
            user=_user(),
            host=socket.gethostname(),
            plan_checksum=request.saved_checksum if request is not None else None,
        )
    )
    return task.result(), interrupted


def _checkpoint(stop: Callable[[], bool]) -> None:
    """Between phases: stop here if Ctrl-C came (even if its cancellation was swallowed)."""
    if stop():
        raise asyncio.CancelledError


def _lock_failures(specs: Sequence[AppSpec], refused: dict[int, str]) -> list[AppResult]:
    failures = []
    for spec in specs:
        if spec.app_id in refused:
            failed = AppResult(spec.app, spec.app_id)
            failed.fail(refused[spec.app_id])
            failures.append(failed)
    return failures


def _preflight(
    runtime: RunParts,
    request: Request,
    locked: Sequence[AppSpec],
    result: ApplyResult,
    ui: Interaction,
) -> Verdict:
    assert result.plan is not None
    verdict = preflight(
        result.plan,
        locked,
        request,
        max_share=runtime.config.apply.payout_change_max_share,
        ask=ui.ask_payout if ui.interactive else None,
    )
    for message in verdict.notices:
        ui.warn(message)
    for warning in verdict.warnings:
        ui.warn(f"Warning: {warning}")
    result.warnings += verdict.warnings
    result.apps += verdict.settled
    return verdict


def _work_plan(verdict: Verdict) -> Plan:
    from smartpay_apply.engine.steps import Plan

    return Plan(apps=tuple(app_plan for _spec, app_plan in verdict.work))


def _executor(
    runtime: RunParts,
    run_id: str,
    options: ApplyOptions,
    progress: ProgressSink | None,
    stop: Callable[[], bool],
    planner: Planner,
) -> Executor:
    """The executor of a run, re-planning with the planner that made the run's plan (it
    re-reads from Baidu only what the run's own steps can have changed: engine/executor.py)."""
    wiring = Wiring(
        app_api=runtime.app_api,
        tp_api=runtime.tp_api,
        recorder=StoreRecorder(runtime.store, planner.fingerprints, run_id),
        store=runtime.store,
    )
    return Executor(planner, wiring, options, progress, stop)


async def _finish_run(runtime: RunParts, run_id: str, result: ApplyResult) -> None:
    """Record how the run ended (aborted when interrupted or nothing got as far as a result)."""
    if result.interrupted or not result.apps:
        status = "aborted"
    else:
        status = {0: "succeeded", 2: "pending"}.get(result.exit_code, "failed")
    try:
        await cleanup(runtime.store.call(runtime.store.finish_run, run_id, status))
    except SmartpayError as error:  # the store went away: the result still stands
        log.warning("could not record the end of run %s: %s", run_id, error)


@functools.cache
def _user() -> str:
    """Who runs this process, for the run history. Looked up once: it does not change, and the
    lookup (the user database) cost ~0.3 ms per run — a controller records one per write."""
    try:
        return str(getpass.getuser())
    except Exception:  # no user name in some containers
        return "unknown"
