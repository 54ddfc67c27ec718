"""Planning: observe each mini-program concurrently, record what was seen, decide.

`Planner` is what `plan` runs and what `apply` reuses: apply plans every locked mini-program
once (`plan_all`), then `plan(spec)` again after each audit it waited for. It receives what it
needs — an app-API factory (the run's credentials), the state store, the decide options —
instead of reaching into credentials and config itself (runtime.py wires it, and is where
`build_plan` and the project's `decide_options` live: the engine imports neither).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from smartpay_apply.engine.concurrency import bounded_gather
from smartpay_apply.engine.decide import DecideOptions, decide
from smartpay_apply.engine.fingerprints import desired_checksum, desired_fingerprints, secret_digest
from smartpay_apply.engine.images import NO_TP_TOKEN, pending_uploads
from smartpay_apply.engine.observation import observation, service_name
from smartpay_apply.engine.observe import (
    REMOTE_PARTS,
    Observed,
    ObservedContext,
    Recorded,
    RecordedLater,
    observe_app,
    observed_checksum,
    read_store_all,
)
from smartpay_apply.engine.outcomes import (
    record_seen_outcomes,
    seen_outcomes,
    with_seen_outcomes,
)
from smartpay_apply.engine.steps import Action, AppPlan, Plan
from smartpay_apply.errors import SmartpayError
from smartpay_apply.timeutil import now

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from datetime import datetime

    from smartpay_apply.api.app import AppApi
    from smartpay_apply.spec.models import AppSpec
    from smartpay_apply.state.base import StateStore


class Planner:
    """Plans mini-programs against one API client and one state store."""

    def __init__(
        self,
        *,
        app_api: Callable[[AppSpec], AppApi],
        store: StateStore,
        options: DecideOptions,
        concurrency: int,
        uploads_possible: Callable[[AppSpec], bool] = lambda spec: True,
        source: str = "plan",
    ) -> None:
        self.app_api = app_api
        self.store = store
        self.options = options
        self.concurrency = concurrency
        #: Who is planning (plan, apply, controller, status): recorded with each observation.
        self.source = source
        #: Whether a TP token source exists for `spec`'s image uploads.
        self.uploads_possible = uploads_possible
        #: The last observation of each mini-program this planner made (`plan(stale=...)`).
        self._seen: dict[int, Observed] = {}
        #: Each spec's fingerprints, by id (the spec kept with them: an id is never reused).
        self._prints: dict[int, tuple[AppSpec, dict[str, str]]] = {}

    def fingerprints(self, spec: AppSpec) -> dict[str, str]:
        """The salted fingerprints of the spec's sections (as decide compares them).

        Computed once per spec and planner: apply asks for them at every re-plan and every
        recorded submission (five HMACs over canonical JSON each time), and neither the spec
        nor the store's salt changes during a run.
        """
        cached = self._prints.get(id(spec))
        if cached is None or cached[0] is not spec:
            cached = (spec, desired_fingerprints(spec, self.store))
            self._prints[id(spec)] = cached
        return dict(cached[1])

    async def plan(
        self,
        spec: AppSpec,
        *,
        recorded: Recorded | None = None,
        stale: frozenset[str] | None = None,
        account: tuple[int | None, str | None] | None = None,
        hold: Callable[[Callable[..., Any], Any], None] | None = None,
    ) -> AppPlan:
        """Observe and decide one mini-program now (see `plan_app`); the observation is kept.

        With `stale` (apply, after its own steps: engine/executor.py), the last observation of
        this mini-program is reused but for the `stale` parts (REMOTE_PARTS), and `account`
        is the account status an audit poll has just read (`observe_app`).
        `hold(keep, kept)`: the observation's write (best effort: `keep`), when no outcome goes
        with it, is handed there instead of awaited (apply's recorder sends it with the
        mini-program's next store call: one await less while it holds a slot, issue 16).
        """
        previous = self._seen.get(spec.app_id)
        known = None if stale is None else previous
        deferred: list[tuple[Observed, datetime]] = []
        app_plan, context = await self.plan_app(
            spec,
            recorded=recorded,
            known=known,
            stale=REMOTE_PARTS if stale is None else stale,
            account=account,
            deferred=deferred,
        )
        kept = [(app_plan, service_name(spec, context.observed))]
        if not deferred:
            if hold is not None:
                hold(self.keep, kept)
            else:
                await self.store.call(self.keep, kept)
            return app_plan
        try:  # the outcomes it saw and the observation: one store call (issue 16)
            await self.store.call(self._record_and_keep, spec.app_id, *deferred[0], kept)
        except SmartpayError as error:  # as if recording them had failed in plan_app
            if previous is None:
                self._seen.pop(spec.app_id, None)
            else:
                self._seen[spec.app_id] = previous
            failed = AppPlan(app=spec.app, app_id=spec.app_id, error=error.user_message())
            await self.store.call(self.keep, [(failed, service_name(spec, None))])
            return failed
        return app_plan

    def _record_and_keep(
        self,
        app_id: int,
        observed: Observed,
        at: datetime,
        kept: Sequence[tuple[AppPlan, str | None]],
    ) -> None:
        """The audit outcomes an observation saw (an error fails the plan), then what was
        seen (best effort: `keep`)."""
        record_seen_outcomes(self.store, app_id, observed, at)
        self.keep(kept)

    async def plan_app(
        self,
        spec: AppSpec,
        *,
        recorded: Recorded | RecordedLater | None = None,
        writable: asyncio.Event | None = None,
        known: Observed | None = None,
        stale: frozenset[str] = REMOTE_PARTS,
        account: tuple[int | None, str | None] | None = None,
        deferred: list[tuple[Observed, datetime]] | None = None,
    ) -> tuple[AppPlan, ObservedContext]:
        """Observe and decide one mini-program. A SmartpayError (token, network, API) becomes
        the AppPlan's `error`; a bug propagates. `recorded`: the store's data, if read in bulk.

        The audit outcomes the observation saw are recorded in the store on the way (engine/
        outcomes.py): plan is read-only towards Baidu, not towards what the store knows of it.
        With `writable`, that write waits until it is set (`plan_stream`: every spec is read and
        valid), so a run that fails on a spec read later leaves the store as it was. With
        `deferred`, they are not recorded here: (the observation, when) is appended to it for
        the caller to record, and the plan is decided as if they were (`plan`).
        """
        try:
            observed = await observe_app(
                self.app_api(spec),
                spec,
                self.store,
                recorded=recorded,
                known=known,
                stale=stale,
                account=account,
            )
            seen = seen_outcomes(observed)  # a store call only when there is something to write
            if seen and deferred is not None:
                deferred.append((observed, now()))
                observed = with_seen_outcomes(observed)
            elif seen:
                if writable is not None:
                    await writable.wait()
                observed = await self.store.call(
                    record_seen_outcomes, self.store, spec.app_id, observed, now()
                )
            self._seen[spec.app_id] = observed
            fingerprints = self.fingerprints(spec)
        except SmartpayError as error:
            message = error.user_message()
            return (
                AppPlan(app=spec.app, app_id=spec.app_id, error=message),
                ObservedContext(app=spec.app, app_id=spec.app_id, observed=None, error=message),
            )
        checksum = observed_checksum(observed, secret_digest(self.store))
        app_plan = replace(
            decide(spec, observed, fingerprints, replace(self.options, now=now())),
            observed_checksum=checksum,
            desired_checksum=desired_checksum(fingerprints),
        )
        missing = None
        if self._may_miss_upload_token(spec, app_plan):  # else no trip to the store
            missing = await self.store.call(self._upload_token_missing, spec, app_plan)
        if missing:
            app_plan = replace(app_plan, notes=(*app_plan.notes, missing))
        context = ObservedContext(
            app=spec.app, app_id=spec.app_id, observed=observed, checksum=checksum
        )
        return app_plan, context

    async def plan_all(
        self, specs: Sequence[AppSpec], *, keep: bool = True
    ) -> tuple[Plan, dict[str, ObservedContext]]:
        """Plan every spec, at most `concurrency` at once; the store is read in bulk first.

        Returns the Plan and, per app name, what was observed (for apply's re-checks).
        `keep=False`: the caller records the observations itself (`keep`), as the controller
        does with its block added — recording them here too would be replaced at once.
        """
        ids = [spec.app_id for spec in specs]
        recorded = await self.store.call(read_store_all, self.store, ids)
        jobs = [
            lambda spec=spec: self.plan_app(spec, recorded=recorded[spec.app_id]) for spec in specs
        ]
        results = await bounded_gather(jobs, self.concurrency)
        apps: list[AppPlan] = []
        contexts: dict[str, ObservedContext] = {}
        kept: list[tuple[AppPlan, str | None]] = []
        for spec, result in zip(specs, results, strict=True):
            if isinstance(result, BaseException):
                raise result  # plan_app turns every user-facing error into an AppPlan: a bug
            app_plan, context = result
            apps.append(app_plan)
            contexts[app_plan.app] = context
            kept.append((app_plan, service_name(spec, context.observed)))
        if keep:
            await self.store.call(self.keep, kept)
        return Plan(apps=tuple(apps)), contexts

    async def plan_stream(self, specs: AsyncIterator[AppSpec]) -> Plan:
        """`plan_all` for specs that arrive one by one (`plan` observes a mini-program as soon
        as its spec is read): at most `concurrency` at once, the store read in bulk meanwhile
        (all of it: which mini-programs will come is not known yet; each takes its share once
        Baidu has answered, `RecordedLater`). If `specs` raises (a spec with a problem), the
        observations under way are cancelled and nothing was written to the store: outcomes
        an observation saw wait for the last spec (`plan_app`'s `writable`), and so do the
        observations kept (`_Keeper`).
        """
        bulk = asyncio.ensure_future(self.store.call(read_store_all, self.store, None))
        queue: asyncio.Queue[AppSpec | None] = asyncio.Queue()
        loaded = asyncio.Event()
        planned: list[AppPlan] = []
        keeper = _Keeper(self, loaded)

        async def worker() -> None:
            while (spec := await queue.get()) is not None:
                app_plan, context = await self.plan_app(
                    spec, recorded=RecordedLater(bulk, spec.app_id), writable=loaded
                )
                planned.append(app_plan)
                keeper.add(app_plan, service_name(spec, context.observed))

        workers = [asyncio.ensure_future(worker()) for _ in range(max(1, self.concurrency))]
        try:
            async for spec in specs:
                queue.put_nowait(spec)
            loaded.set()
            for _ in workers:
                queue.put_nowait(None)
            await asyncio.gather(*workers)
        finally:
            for task in workers:
                task.cancel()
            await keeper.settle()
            await asyncio.wait([bulk])  # a store call under way cannot be called back
            if not bulk.cancelled():
                bulk.exception()  # seen here: when a spec failed too, that error is the one told
        bulk.result()  # the store could not be read: the command fails (as it did before)
        await keeper.finish()
        return Plan(apps=tuple(planned))

    def keep(self, apps: Sequence[tuple[AppPlan, str | None]], at: datetime | None = None) -> None:
        """Record what was seen (engine/observation.py), one transaction for `apps`; each plan
        with its payment service's display name, as observed `at` (default: now).

        Best effort: a store that refuses the write must not fail the plan it describes.
        """
        at = now() if at is None else at
        try:
            self.store.record_observations(
                [observation(app, source=self.source, at=at, app_name=name) for app, name in apps]
            )
        except SmartpayError as error:
            log.warning("could not record what was observed: %s", error.user_message())

    def _may_miss_upload_token(self, spec: AppSpec, app_plan: AppPlan) -> bool:
        """Whether `_upload_token_missing` has anything to look up (no I/O: the models only)."""
        if not any(step.action is Action.CREATE_ACCOUNT for step in app_plan.steps):
            return False
        return not self.uploads_possible(spec)

    def _upload_token_missing(self, spec: AppSpec, app_plan: AppPlan) -> str | None:
        """A note when create_account would upload local images and no TP token is set."""
        if not self._may_miss_upload_token(spec, app_plan):
            return None
        fields = pending_uploads(spec, self.store)
        if not fields:
            return None
        return (
            f"account: {', '.join(fields)}: {NO_TP_TOKEN}; apply refuses create_account until then"
        )


class _Keeper:
    """The observations of a streamed plan, written in batches once every spec is read.

    Why: writing the observations of 1,000 mini-programs at the end added ~0.06 s to every
    plan's wall time after its last answer (issue 16); once the last spec is read, what was
    observed is true whatever happens next, so the observations made so far are written while
    the remaining answers are awaited, one transaction per batch, and the end writes only the
    last ones.
    Nothing is written before the last spec is read (a spec with a problem fails the command
    with the store untouched).
    """

    #: Observations per transaction while answers are still arriving.
    BATCH = 100

    def __init__(self, planner: Planner, loaded: asyncio.Event) -> None:
        self.planner = planner
        self.loaded = loaded
        self.waiting: list[tuple[AppPlan, str | None]] = []
        self.writing: asyncio.Future[None] | None = None

    def add(self, app_plan: AppPlan, app_name: str | None) -> None:
        """One more observation; a batch is written when it is full and no write is under way."""
        self.waiting.append((app_plan, app_name))
        idle = self.writing is None or self.writing.done()
        if idle and len(self.waiting) >= self.BATCH and self.loaded.is_set():
            self.writing = asyncio.ensure_future(self._write())

    async def _write(self) -> None:
        batch, self.waiting = self.waiting, []
        await self.planner.store.call(self.planner.keep, batch)

    async def settle(self) -> None:
        """Wait for the write under way (a thread's write cannot be called back)."""
        if self.writing is not None:
            await asyncio.shield(self.writing)

    async def finish(self) -> None:
        """Write the rest (the plan completed: every spec was read and observed)."""
        await self.settle()
        if self.waiting:
            await self._write()
