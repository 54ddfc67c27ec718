"""The controller's decisions after each reconcile, deterministically (the sandbox in-process,
a real SQLite store, a clock the test holds): what is retried when, what is recorded, when a
resync round counts as done."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from smartpay_apply.api.client import OpenApi
from smartpay_apply.config import ProjectConfig
from smartpay_apply.controller.backoff import Backoff
from smartpay_apply.controller.loop import Controller
from smartpay_apply.controller.metrics import Metrics
from smartpay_apply.controller.outcome import Outcome
from smartpay_apply.controller.schedule import Due, Priority
from smartpay_apply.controller.settings import Settings
from smartpay_apply.controller.triggers import SpecSet, digest
from smartpay_apply.runtime import Runtime
from smartpay_apply.sandbox.app import create_app
from smartpay_apply.sandbox.config import SandboxConfig
from smartpay_apply.spec.models import AppSpec
from smartpay_apply.state import StateStore, open_store
from smartpay_apply.state.base import Suspension
from smartpay_apply.state.locks import LockOwner
from smartpay_apply.timeutil import now
from tests.engine.factory import make_spec
from tests.support.files import PNG


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store(tmp_path: Path) -> StateStore:
    return open_store("state.db", base_dir=tmp_path)


@pytest.fixture
async def runtime(tmp_path: Path, store: StateStore) -> AsyncIterator[Runtime]:
    transport = httpx.ASGITransport(app=create_app(SandboxConfig(audit_policy="manual")))
    config = ProjectConfig(
        root=tmp_path,
        path=tmp_path / "smartpay.yaml",
        endpoint="http://sandbox.test",
        credentials={"tp_access_token": "sandbox-tp"},
    )
    async with OpenApi("http://sandbox.test", transport=transport, retries=0) as api:
        yield Runtime(config, api, store, receiver=True)


def spec(tmp_path: Path, app: str, app_id: int, token: str | None = None, **extra: Any) -> AppSpec:
    front, back = tmp_path / f"{app}-front.png", tmp_path / f"{app}-back.png"
    front.write_bytes(PNG + app.encode())
    back.write_bytes(PNG + app.encode() + b"b")
    images = {
        "id_card_front_url": None,
        "id_card_back_url": None,
        "id_card_front": front,
        "id_card_back": back,
    }
    made = make_spec(app, app_id, token=token or f"sandbox-{app_id}", account=images)
    return made.model_copy(update=extra) if extra else made


def controller(runtime: Runtime, clock: Clock, *specs: AppSpec) -> Controller:
    spec_set = SpecSet(
        {s.app_id: s for s in specs}, {s.app_id: digest(s, runtime.store) for s in specs}
    )
    settings = Settings(
        resync=600.0,
        actions=frozenset(runtime.config.controller.actions),
        backoff=Backoff(base=5.0, cap=300.0, jitter=0.0),
    )
    return Controller(runtime, settings, spec_set, Metrics(), clock=clock)


async def test_a_failing_mini_program_backs_off_and_is_recorded_once_per_message(
    tmp_path: Path, runtime: Runtime, store: StateStore
) -> None:
    clock = Clock()
    broken = spec(tmp_path, "broken", 2001, token="not-a-token")
    fine = spec(tmp_path, "fine", 2002)
    control = controller(runtime, clock, broken, fine)
    control._start_round()
    assert sorted(app_id for app_id, _ in control.schedule.take(clock(), 10)) == [2001, 2002]

    first = await control._reconcile(2001, Due(clock(), Priority.ROUTINE, "resync"))
    assert first.errors and control.states[2001].outcome is Outcome.FAILED
    retry = control.schedule.get(2001)
    assert retry is not None and (retry.priority, retry.at) == (Priority.RETRY, clock() + 5.0)
    [run] = store.list_runs()
    assert (run.command, run.status, run.steps[0].action) == ("controller", "failed", "error")
    [seen] = store.list_observations([2001])
    block = seen.summary["controller"]
    assert (block["outcome"], block["failures"]) == ("failed", 1) and block["next_attempt"]

    control.schedule.discard(2001)
    await control._reconcile(2001, Due(clock(), Priority.RETRY, "retry"))
    second = control.schedule.get(2001)
    assert second is not None and second.at == clock() + 10.0  # doubled
    assert len(store.list_runs()) == 1  # the same message is not recorded again

    await control._reconcile(2002, Due(clock(), Priority.ROUTINE, "resync"))
    assert control.states[2002].outcome is Outcome.IN_REVIEW
    # The round is over, but with a failure: no "last successful resync".
    assert control._round is None
    registry = control.metrics.registry
    assert (
        registry.get_sample_value("smartpay_controller_last_resync_success_timestamp_seconds") == 0
    )


async def test_a_lock_held_elsewhere_is_retried_for_an_event_but_not_for_a_round(
    tmp_path: Path, runtime: Runtime, store: StateStore
) -> None:
    clock = Clock()
    control = controller(runtime, clock, spec(tmp_path, "shop", 2003))
    assert store.acquire_lock(2003, LockOwner("other-host", 1, "r-x"), 60)

    await control._reconcile(2003, Due(clock(), Priority.ROUTINE, "resync"))
    assert control.states[2003].outcome is Outcome.SKIPPED
    assert control.schedule.get(2003) is None  # the other replica is on it
    assert store.list_observations([2003]) == []  # and it writes what it saw

    await control._reconcile(2003, Due(clock(), Priority.URGENT, "event X", event_at=5.0))
    retry = control.schedule.get(2003)
    assert retry is not None
    assert (retry.priority, retry.reason, retry.event_at) == (Priority.RETRY, "event X", 5.0)
    assert retry.at == clock() + 2 * control.settings.lock_retry  # the second miss in a row


async def test_suspended_mini_programs_are_left_alone(
    tmp_path: Path, runtime: Runtime, store: StateStore
) -> None:
    clock = Clock()
    flagged = spec(tmp_path, "flagged", 2004, suspend=True)
    stored = spec(tmp_path, "stored", 2005)
    control = controller(runtime, clock, flagged, stored)
    store.suspend(Suspension(2005, "stored", "ann", now()))
    result = await control.once()
    assert {app.app: app.notes for app in result.apps} == {
        "flagged": ["suspended"],
        "stored": ["suspended"],
    }
    assert result.exit_code == 0 and store.list_runs() == []
    counted = control.metrics.registry.get_sample_value(
        "smartpay_controller_reconciles_total", {"outcome": "suspended"}
    )
    assert counted == 2


async def test_a_trigger_while_running_runs_it_again_right_after(
    tmp_path: Path, runtime: Runtime
) -> None:
    clock = Clock()
    control = controller(runtime, clock, spec(tmp_path, "shop", 2006))
    control._start(2006, Due(clock(), Priority.ROUTINE, "resync"))
    control.trigger(2006, Due(clock(), Priority.URGENT, "event Y", event_at=7.0))
    assert control.schedule.get(2006) is None  # not twice at once
    task = control._running[2006]
    await task
    again = control.schedule.get(2006)
    assert again is not None and (again.reason, again.event_at) == ("event Y", 7.0)


async def test_a_background_task_that_dies_is_said_loudly(caplog: pytest.LogCaptureFixture) -> None:
    """The rounds, the poll and the spec watcher run until cancelled; one ending with an error
    would leave the controller without rounds, silently, if nobody said so."""
    from smartpay_apply.controller.loop import _say_if_died

    async def broken() -> None:
        raise NameError("Round")

    async def cancelled() -> None:
        await asyncio.sleep(60)

    died = asyncio.create_task(broken())
    await asyncio.gather(died, return_exceptions=True)
    stopped = asyncio.create_task(cancelled())
    await asyncio.sleep(0)
    stopped.cancel()
    await asyncio.gather(stopped, return_exceptions=True)
    with caplog.at_level("ERROR", logger="smartpay_apply.controller.loop"):
        _say_if_died(died)
        _say_if_died(stopped)
    said = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert said == ["controller: a background task stopped: NameError('Round')"]
