"""A step's records in one store call (engine/recorder.py `one_step`), and a re-plan's outcomes
recorded with its observation (engine/planner.py `plan`): what must still hold.

What a user would notice if it were wrong: a submission missing from the store after a step
that sent it (the next run would not know what Baidu has), a failed write taking the step's
other records with it, or a re-plan that goes on although the outcome it saw was not recorded.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from smartpay_apply.config import ProjectConfig
from smartpay_apply.engine.fingerprints import desired_fingerprints
from smartpay_apply.runtime import Runtime
from smartpay_apply.timeutil import now
from tests.engine.factory import make_spec
from tests.engine.world import World, open_world
from tests.state.conftest import run_raw

APP = 5301


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async for made in open_world(tmp_path):
        yield made


def history(world: World) -> list[tuple[str, str, str]]:
    (run,) = world.store.list_runs()
    return [(step.action, step.section, step.result) for step in run.steps]


async def test_a_steps_submission_and_history_line_are_both_recorded_when_it_ends(
    world: World,
) -> None:
    spec = make_spec(app_id=APP)
    recorder = world.recorder
    async with recorder.one_step(spec):
        await recorder.submitted(spec, "account")
        await recorder.step(spec, "create_account", "account", "submitted", "sent")
    record = world.store.get_submission(APP, "account")
    assert record is not None and record.outcome == "pending"
    assert history(world) == [("create_account", "account", "submitted")]


async def test_a_read_within_a_step_sees_the_submission_it_holds(world: World) -> None:
    spec = make_spec(app_id=APP)
    recorder = world.recorder
    async with recorder.one_step(spec):
        await recorder.submitted(spec, "developer_config")
        found = await recorder.last_submission(spec, "developer_config")
        await recorder.outcome(spec, "developer_config", "approved", None)
        await recorder.step(spec, "submit_developer_config", "developer_config", "submitted", None)
    assert found is not None and found.outcome == "pending"
    record = world.store.get_submission(APP, "developer_config")
    assert record is not None and record.outcome == "approved"


async def test_a_failing_write_of_a_step_loses_none_of_the_others(world: World) -> None:
    spec = make_spec(app_id=APP)
    recorder = world.recorder
    with pytest.raises(ValueError, match="outcome must be one of"):
        async with recorder.one_step(spec):
            await recorder.submitted(spec, "account")
            await recorder.outcome(spec, "account", "no-such-outcome", None)
            await recorder.submitted(spec, "payment_service")
            await recorder.step(spec, "create_account", "account", "submitted", None)
    assert [r.section for r in world.store.list_submissions(APP)] == ["account", "payment_service"]
    assert history(world) == [("create_account", "account", "submitted")]


async def test_a_step_that_fails_after_its_submission_still_records_it(world: World) -> None:
    """The write was sent: whatever goes wrong afterwards, the store must know of it."""
    spec = make_spec(app_id=APP)
    recorder = world.recorder
    with pytest.raises(RuntimeError, match="after the submission"):
        async with recorder.one_step(spec):
            await recorder.submitted(spec, "account")
            raise RuntimeError("failed after the submission")
    record = world.store.get_submission(APP, "account")
    assert record is not None and record.outcome == "pending"


async def test_a_replan_whose_outcome_cannot_be_recorded_fails_and_keeps_its_observation(
    world: World, tmp_path: Path
) -> None:
    """An outcome the re-plan saw (the account approved) is recorded with its observation in
    one store call; if the store refuses it, the plan is an error (as when it was recorded on
    its own) — nothing is decided on an outcome the store does not have — and the observation
    of that error is still kept."""
    spec = make_spec(app_id=APP, token=f"sandbox-{APP}", payment_service=None)
    config = ProjectConfig(
        root=tmp_path, path=tmp_path / "smartpay.yaml", endpoint="http://sandbox.test"
    )
    planner = Runtime(config, world.api, world.store).planner(source="apply")
    await world.admin("PUT", f"apps/{APP}/account/status", {"status": 4})  # approved at Baidu
    fingerprint = desired_fingerprints(spec, world.store)["account"]
    world.store.record_submission(APP, "account", fingerprint, app=spec.app, at=now())
    run_raw(  # the store refuses any change of a submission's outcome from now on
        str(tmp_path / "state.db"),
        "CREATE TRIGGER refuse BEFORE UPDATE OF outcome ON smartpay_submissions "
        "BEGIN SELECT RAISE(ABORT, 'disk I/O error (simulated)'); END",
    )

    plan = await planner.plan(spec)

    assert plan.error is not None and "disk I/O error (simulated)" in plan.error
    assert plan.steps == ()
    assert [r.outcome for r in world.store.list_submissions(APP)] == ["pending"]
    (kept,) = world.store.list_observations([APP])
    assert kept.summary.get("error") == plan.error

    run_raw(str(tmp_path / "state.db"), "DROP TRIGGER refuse")
    plan = await planner.plan(spec)
    assert plan.error is None
    assert [r.outcome for r in world.store.list_submissions(APP)] == ["approved"]
