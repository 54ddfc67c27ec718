"""The store calls of `apply --wait` per mini-program (issue 16): each one is awaited while the
mini-program holds one of the run's concurrency slots, so the engine makes as few as its
promises allow — and keeps every promise (engine/recorder.py, engine/planner.py `plan`).

What a user would notice if it were wrong: an outcome or a step missing from the store after a
run that reported it, an observation (`status`) older than the run, or a re-plan deciding on
what the store held before the wait's outcome was recorded.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from smartpay_apply.config import ProjectConfig
from smartpay_apply.engine.decide import DecideOptions
from smartpay_apply.engine.executor import Executor, Wiring
from smartpay_apply.engine.options import ApplyOptions
from smartpay_apply.engine.planner import Planner
from smartpay_apply.engine.preflight import Request
from smartpay_apply.engine.results import AppStatus
from smartpay_apply.engine.run import run_apply
from smartpay_apply.engine.waiting import Backoff, NullProgress
from smartpay_apply.errors import StateError
from smartpay_apply.runtime import Runtime
from smartpay_apply.spec.models import AppSpec
from tests.engine.factory import make_spec
from tests.engine.world import TP_TOKEN, World, open_world, spec_with_images
from tests.state.conftest import run_raw
from tests.support.files import PNG

APP = 5401
FAST = Backoff(initial=0.01, factor=1.0, maximum=0.01)
#: The image cache's calls (an upload's URL looked up and kept): not the engine's steps.
IMAGE_CALLS = {"get_image_url", "record_image"}


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    """Audits approved at once, as in the benchmark of issue 16."""
    async for made in open_world(tmp_path, policy="approve"):
        yield made


def counted(world: World, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The store calls made from now on, by the name of the function each one runs."""
    names: list[str] = []
    real: Callable[..., Any] = world.store.call

    async def call(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        names.append(fn.__name__)
        return await real(fn, *args, **kwargs)

    monkeypatch.setattr(world.store, "call", call)
    return names


def planner(world: World) -> Planner:
    return Planner(
        app_api=lambda spec: world.api.app(f"sandbox-{spec.app_id}"),
        store=world.store,
        options=DecideOptions(),
        concurrency=4,
        source="apply",
    )


def executor(world: World, made: Planner) -> Executor:
    wiring = Wiring(
        app_api=lambda spec: world.api.app(f"sandbox-{spec.app_id}"),
        tp_api=lambda spec: world.api.tp(TP_TOKEN),
        recorder=world.recorder,
        store=world.store,
    )
    return Executor(made, wiring, ApplyOptions(wait=True, wait_timeout=30, backoff=FAST))


def history(world: World) -> list[tuple[str, str, str]]:
    (run,) = world.store.list_runs()
    return [(step.action, step.section, step.result) for step in run.steps]


async def onboard(world: World, spec: AppSpec) -> Any:
    made = planner(world)
    plan = await made.plan(spec)
    return await executor(world, made).apply_app(spec, plan)


async def test_onboarding_with_wait_makes_six_store_calls_and_records_everything(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From nothing, audits approved at once: the account's step, its outcome with the
    re-plan's read, the developer config's step with the re-plan's kept observation, the
    payment service's step (the developer config approved with it), the last re-plan's read,
    its outcome with its observation. Nine calls before issue 16's fourth round of work."""
    spec = spec_with_images(tmp_path, APP)
    made = planner(world)
    plan = await made.plan(spec)
    calls = counted(world, monkeypatch)
    result = await executor(world, made).apply_app(spec, plan)
    assert result.status is AppStatus.DONE, result.errors
    assert len([name for name in calls if name not in IMAGE_CALLS]) == 6, calls
    assert {r.section: r.outcome for r in world.store.list_submissions(APP)} == {
        "account": "approved",
        "developer_config": "approved",
        "payment_service": "approved",
    }
    assert history(world) == [
        ("create_account", "account", "submitted"),
        ("submit_developer_config", "developer_config", "submitted"),
        ("create_payment_service", "payment_service", "submitted"),
    ]
    (kept,) = world.store.list_observations([APP])
    assert kept.summary["steps"] == [] and kept.summary["error"] is None


async def test_the_replans_store_read_goes_out_while_baidu_answers(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the payment service's create the re-plan reads getbindservice again: the store's
    part of that observation is read meanwhile, not after the answer."""
    spec = spec_with_images(tmp_path, APP)
    made = planner(world)
    plan = await made.plan(spec)
    calls = counted(world, monkeypatch)
    release = world.transport.hold("/paymentservice/getbindservice")
    task = asyncio.ensure_future(executor(world, made).apply_app(spec, plan))
    await world.transport.reached["/paymentservice/getbindservice"].wait()
    for _ in range(20):  # the store's worker thread answers the read meanwhile
        if "read_store" in calls:
            break
        await asyncio.sleep(0.01)
    made_while_held = list(calls)
    release.set()
    result = await task
    assert result.status is AppStatus.DONE, result.errors
    assert made_while_held[-1] == "read_store", made_while_held


async def test_a_kept_observation_held_back_is_written_when_the_mini_program_is_done(
    tmp_path: Path,
) -> None:
    """The account rejected: the re-plan after its wait finds it blocked and the mini-program
    stops there. The observation that re-plan kept waited for a next store call that never
    came; it is written at the end all the same (`status` shows the rejection, not the plan
    made before the run)."""
    async for world in open_world(tmp_path, policy="reject"):
        spec = spec_with_images(tmp_path, APP)
        result = await onboard(world, spec)
        assert result.status is AppStatus.FAILED
        assert "account: rejected by Baidu" in result.errors[0]
        (kept,) = world.store.list_observations([APP])
        assert kept.summary["sections"]["account"]["audit"].startswith("rejected"), kept.summary
        assert [step["action"] for step in kept.summary["steps"]] == ["blocked"], kept.summary


async def test_an_outcome_whose_read_fails_is_recorded_and_the_replan_reads_again(
    world: World, tmp_path: Path
) -> None:
    spec = make_spec(app_id=APP)
    world.store.record_submission(APP, "account", "f" * 64, app=spec.app, at=_now())
    run_raw(str(tmp_path / "state.db"), "ALTER TABLE smartpay_events RENAME TO gone")
    recorded = await world.recorder.decided(spec, "account", "approved", None)
    run_raw(str(tmp_path / "state.db"), "ALTER TABLE gone RENAME TO smartpay_events")
    assert recorded is None
    assert world.store.get_submission(APP, "account").outcome == "approved"  # type: ignore[union-attr]


async def test_an_outcome_the_store_refuses_fails_as_its_own_write_did(
    world: World, tmp_path: Path
) -> None:
    spec = make_spec(app_id=APP)
    world.store.record_submission(APP, "account", "f" * 64, app=spec.app, at=_now())
    run_raw(
        str(tmp_path / "state.db"),
        "CREATE TRIGGER refuse BEFORE UPDATE OF outcome ON smartpay_submissions "
        "BEGIN SELECT RAISE(ABORT, 'disk I/O error (simulated)'); END",
    )
    with pytest.raises(StateError, match="disk I/O error"):
        await world.recorder.decided(spec, "account", "approved", None)
    assert world.store.get_submission(APP, "account").outcome == "pending"  # type: ignore[union-attr]


async def test_a_payment_service_created_approves_only_a_pending_developer_config(
    world: World,
) -> None:
    """Baidu creates a payment service only on a completed developer config: a pending one is
    recorded approved with the create's step; one already decided (its event arrived) is left
    as it was recorded."""
    pending, decided = make_spec(app_id=APP), make_spec(app_id=APP + 1)
    for spec in (pending, decided):
        world.store.record_submission(spec.app_id, "developer_config", "f" * 64, app="s", at=_now())
    world.store.record_outcome(APP + 1, "developer_config", "approved", reason=None, at=_now())
    before = world.store.get_submission(APP + 1, "developer_config")
    for spec in (pending, decided):
        async with world.recorder.one_step(spec):
            await world.recorder.approve_pending(spec, "developer_config")
            await world.recorder.step(spec, "create_payment_service", "payment_service", "ok", None)
    first = world.store.get_submission(APP, "developer_config")
    assert first is not None and first.outcome == "approved" and first.outcome_at is not None
    assert world.store.get_submission(APP + 1, "developer_config") == before


def _now() -> Any:
    from smartpay_apply.timeutil import now

    return now()


class Quiet:
    """apply's caller without a terminal: nothing shown, nothing asked (--auto-approve)."""

    progress = NullProgress()
    interactive = False

    def show_plan(self, plan: Any) -> None:
        pass

    def warn(self, message: str) -> None:
        pass

    def ask_payout(self, change: Any) -> bool:
        return False

    def confirm(self, plan: Any) -> bool:
        return True


async def test_the_first_write_does_not_wait_for_the_plans_observations_to_be_written(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """apply keeps what its plan observed while its writes begin (issue 16: 500 observations
    took ~60 ms between the plan's last answer and the first write). Here that write is held
    until the account's create has reached Baidu; the run then ends with every record kept."""
    tp = world.api.tp(TP_TOKEN)
    front = await tp.upload_image(PNG + b"front", "front.png")
    back = await tp.upload_image(PNG + b"back", "back.png")
    spec = make_spec(
        app_id=APP,
        token=f"sandbox-{APP}",
        account={"id_card_front_url": front, "id_card_back_url": back},
    )
    config = ProjectConfig(
        root=tmp_path, path=tmp_path / "smartpay.yaml", endpoint="http://sandbox.test"
    )
    runtime = Runtime(config, world.api, world.store)
    unblocked = threading.Event()
    real = world.store.record_observations
    writes: list[int] = []

    def record_observations(observations: Any) -> None:
        writes.append(len(observations))
        if len(writes) == 1:  # the plan's: held until the test has seen the create
            unblocked.wait(30)
        real(observations)

    monkeypatch.setattr(world.store, "record_observations", record_observations)
    release = world.transport.hold("/account/create")
    request = Request(specs=[spec], managed=1, auto_approve=True)
    running = asyncio.ensure_future(
        run_apply(runtime, request, Quiet(), ApplyOptions(wait=False, backoff=FAST))
    )
    try:
        # Reached while the plan's write cannot have ended (it ends only once unblocked): it
        # was never reached before, when the run awaited that write first.
        await asyncio.wait_for(world.transport.reached["/account/create"].wait(), 10)
    finally:
        unblocked.set()
        release.set()
    result = await running
    assert result.exit_code == 2, result.apps[
        0
    ].errors  # the account in review (audits are approved at its next read)
    assert [(r.section, r.outcome) for r in world.store.list_submissions(APP)] == [
        ("account", "pending")
    ]
    assert writes[0] == 1  # the plan's observation, written first
    assert len(world.store.list_observations([APP])) == 1
