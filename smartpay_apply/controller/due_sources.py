"""What makes a mini-program due, besides its events: the resync rounds, the store's poll
(events other replicas received, suspensions lifted, consents given) and the spec watcher.

A mixin of `Controller` (controller/loop.py): the loop decides how a due mini-program is
reconciled; this module, when. Nothing here raises into the loop: a failing poll or spec read
is logged and tried again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from smartpay_apply.controller.outcome import Outcome
from smartpay_apply.controller.policy import PAYOUT_CONSENT
from smartpay_apply.controller.schedule import Due, Priority, Schedule
from smartpay_apply.controller.triggers import (
    EventFeed,
    SpecSet,
    jittered,
    load_spec_set,
    snapshot,
    spec_files,
)

if TYPE_CHECKING:
    from smartpay_apply.controller.loop import AppState
    from smartpay_apply.controller.metrics import Metrics
    from smartpay_apply.controller.settings import Settings
    from smartpay_apply.runtime import Runtime

log = logging.getLogger("smartpay_apply.controller.loop")


@dataclass
class Round:
    """One resync round: who is still to be reconciled in it, and whether all were observed."""

    started: float
    pending: set[int] = field(default_factory=set)
    failed: bool = False


class DueSources:
    """The rounds, the poll and the spec watcher of a `Controller` (which sets these up)."""

    runtime: Runtime
    settings: Settings
    specs: SpecSet
    metrics: Metrics
    clock: Callable[[], float]
    schedule: Schedule
    states: dict[int, AppState]
    feed: EventFeed
    _suspended: set[int]
    _reload: asyncio.Event
    _round: Round | None
    _files: Any

    def trigger(self, app_id: int, due: Due) -> None:
        raise NotImplementedError

    def _event(self, app_id: int, event: str, received: datetime) -> None:
        raise NotImplementedError

    def _name(self, app_id: int) -> str:
        raise NotImplementedError

    # ------------------------------------------------------------------ rounds

    async def _rounds(self) -> None:
        while True:
            self._start_round()
            await asyncio.sleep(jittered(self.settings.resync, self.settings.jitter))

    def _start_round(self) -> None:
        if self._round is not None and self._round.pending:
            log.warning(
                "resync: %d mini-program(s) of the last round not reconciled yet (--resync "
                "shorter than a round takes?)",
                len(self._round.pending),
            )
        self._round = Round(self.clock(), set(self.specs.specs))
        for app_id in self.specs.specs:
            self.trigger(app_id, Due(self.clock(), Priority.ROUTINE, "resync"))
        if not self.specs.specs:
            self._round_done(None, Outcome.IN_SYNC)

    def _round_done(self, app_id: int | None, outcome: Outcome) -> None:
        current = self._round
        if current is None:
            return
        if app_id is not None:
            if app_id not in current.pending:
                return
            current.pending.discard(app_id)
            current.failed = current.failed or outcome is Outcome.FAILED
        if current.pending:
            return
        self._round = None
        took = self.clock() - current.started
        if current.failed:
            log.warning("resync round done in %.1f s, with failures", took)
            return
        self.metrics.last_resync.set(time.time())
        log.info("resync round done in %.1f s", took, extra={"duration_s": round(took, 3)})

    # ------------------------------------------------------------------ the store, the files

    async def _forever(self, work: Callable[[], Coroutine[Any, Any, None]], pause: float) -> None:
        while True:
            try:
                await work()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the store is down: say so, try again
                log.warning("controller: %s: %s", getattr(work, "__name__", "task"), error)
            await asyncio.sleep(pause)

    async def _poll(self) -> None:
        """Events other replicas stored; suspensions; consents for those awaiting one."""
        store = self.runtime.store
        for event in await asyncio.to_thread(self.feed.poll):
            self._event(event.app_id, event.event, event.received_at)
        suspended = {s.app_id for s in await asyncio.to_thread(store.list_suspensions)}
        for app_id in sorted(self._suspended - suspended):
            log.info("%s: resumed", self._name(app_id))
            self.trigger(app_id, Due(self.clock(), Priority.URGENT, "resumed"))
        self._suspended = suspended
        for app_id, state in list(self.states.items()):
            if state.outcome is not Outcome.AWAITING_CONSENT:
                continue
            consent = await asyncio.to_thread(store.get_consent, app_id, PAYOUT_CONSENT)
            if consent is not None and consent.granted_at != state.consent_seen:
                state.consent_seen = consent.granted_at
                log.info(
                    "%s: payout consent recorded by %s", self._name(app_id), consent.granted_by
                )
                self.trigger(app_id, Due(self.clock(), Priority.URGENT, "consent"))

    async def _watch_specs(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._reload.wait(), self.settings.watch_interval)
            forced = self._reload.is_set()
            self._reload.clear()
            try:
                files = await asyncio.to_thread(lambda: snapshot(spec_files(self.runtime.config)))
                if files != self._files or forced:
                    self._files = files
                    await self._load_specs("SIGHUP" if forced else "spec files changed")
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("controller: reading the specs failed: %s", error)

    async def _load_specs(self, why: str) -> None:
        loaded = await asyncio.to_thread(
            load_spec_set, self.runtime.config, self.runtime.store, self.specs
        )
        for problem in loaded.problems:
            log.warning("specs: %s (the last good version stays in force)", problem)
        changed, gone = loaded.changes(self.specs)
        self.specs = loaded
        log.info(
            "specs reloaded (%s): %d mini-program(s), %d new or changed, %d gone",
            why,
            len(loaded.specs),
            len(changed),
            len(gone),
        )
        for app_id in gone:
            self.schedule.discard(app_id)
            self.states.pop(app_id, None)
            if self._round is not None:
                self._round.pending.discard(app_id)
        for app_id in changed:
            self.trigger(app_id, Due(self.clock(), Priority.URGENT, "spec changed"))
