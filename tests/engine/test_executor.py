"""The executor's handling of refusals that mean "not yet", of Ctrl-C mid-write, and of waiting
for a developer config whose outcome cannot be read — each reached on purpose, in-process.

Plans are made by the real planner, or written by hand where a race is the point (a step that
Baidu refuses because the world moved since the plan was made).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from smartpay_apply.engine.actions import Actions
from smartpay_apply.engine.decide import DecideOptions
from smartpay_apply.engine.executor import Executor, Wiring
from smartpay_apply.engine.options import ApplyOptions
from smartpay_apply.engine.planner import Planner
from smartpay_apply.engine.results import AppStatus
from smartpay_apply.engine.steps import Action, AppPlan, Step
from smartpay_apply.engine.waiting import Backoff
from smartpay_apply.state.records import AuditEvent
from smartpay_apply.timeutil import SHANGHAI, now
from tests.engine.world import TP_TOKEN, World, open_world, spec_with_images

APP = 5201
FAST = Backoff(initial=0.01, factor=1.0, maximum=0.01)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async for made in open_world(tmp_path):
        yield made


def executor(world: World, **options: object) -> Executor:
    planner = Planner(
        app_api=lambda spec: world.api.app(f"sandbox-{spec.app_id}"),
        store=world.store,
        options=DecideOptions(),
        concurrency=4,
    )
    wiring = Wiring(
        app_api=lambda spec: world.api.app(f"sandbox-{spec.app_id}"),
        tp_api=lambda spec: world.api.tp(TP_TOKEN),
        recorder=world.recorder,
        store=world.store,
    )
    return Executor(planner, wiring, ApplyOptions(backoff=FAST, **options))  # type: ignore[arg-type]


def only(*steps: Step, app_id: int = APP) -> AppPlan:
    return AppPlan(app=f"shop-{app_id}", app_id=app_id, steps=steps)


async def account_created(world: World, tmp_path: Path):  # type: ignore[no-untyped-def]
    spec = spec_with_images(tmp_path, APP)
    await Actions(
        spec, world.api.app(f"sandbox-{APP}"), world.api.tp(TP_TOKEN), world.recorder
    ).create_account()
    return spec


async def test_60016_while_the_account_is_in_review_is_a_wait(world: World, tmp_path: Path) -> None:
    """A plan that sends the developer config before the account is approved (stale, or made
    elsewhere): Baidu's 60016 means 'not approved yet' — in review, not a failure."""
    spec = await account_created(world, tmp_path)
    result = await executor(world).apply_app(
        spec, only(Step(Action.SUBMIT_DEVELOPER_CONFIG, "developer_config"))
    )
    assert result.status is AppStatus.IN_REVIEW
    assert [p["section"] for p in result.pending] == ["account"]
    (step,) = result.steps
    assert step.result == "in_review" and "not approved yet (60016" in (step.detail or "")


async def test_60016_while_the_account_is_rejected_is_blocked_with_the_reason(
    world: World, tmp_path: Path
) -> None:
    spec = await account_created(world, tmp_path)
    await world.reject(APP, "account", "身份证照片模糊")
    result = await executor(world).apply_app(
        spec, only(Step(Action.SUBMIT_DEVELOPER_CONFIG, "developer_config"))
    )
    assert result.status is AppStatus.FAILED
    assert result.errors == [
        "submit_developer_config: account: rejected by Baidu: 身份证照片模糊 (errno 60016)"
    ]


async def test_60014_on_the_create_after_a_recorded_submission_is_a_wait(
    world: World, tmp_path: Path
) -> None:
    """No event receiver: the developer config's outcome shows only in the create's answer."""
    spec = await account_created(world, tmp_path)
    await world.approve(APP, "account")
    result = await executor(world).apply_app(
        spec,
        only(
            Step(Action.SUBMIT_DEVELOPER_CONFIG, "developer_config"),
            Step(Action.CREATE_PAYMENT_SERVICE, "payment_service"),
        ),
    )
    assert result.status is AppStatus.IN_REVIEW
    assert [(s.action, s.result) for s in result.steps] == [
        ("submit_developer_config", "submitted"),
        ("create_payment_service", "in_review"),
    ]
    assert [p["section"] for p in result.pending] == ["developer_config"]
    assert [c["errno"] for c in await world.calls("/paymentservice/create")] == [60014]


async def test_60014_without_any_developer_config_submission_is_a_failure(
    world: World, tmp_path: Path
) -> None:
    spec = await account_created(world, tmp_path)
    await world.approve(APP, "account")
    result = await executor(world).apply_app(
        spec, only(Step(Action.CREATE_PAYMENT_SERVICE, "payment_service"))
    )
    assert result.status is AppStatus.FAILED
    assert "errno 60014" in result.errors[0]


async def test_wait_tries_the_create_again_until_the_developer_config_is_approved(
    world: World, tmp_path: Path
) -> None:
    spec = await account_created(world, tmp_path)
    await world.approve(APP, "account")

    async def approve_later() -> None:
        while len(await world.calls("/paymentservice/create")) < 3:
            await asyncio.sleep(0.01)
        await world.approve(APP, "developer_config")
        while not [c for c in await world.calls("/paymentservice/create") if c["errno"] == 0]:
            await asyncio.sleep(0.01)
        await world.approve(APP, "payment_service")

    approving = asyncio.ensure_future(approve_later())
    plan = await executor(world).planner.plan(spec)
    result = await executor(world, wait=True, wait_timeout=30).apply_app(spec, plan)
    await approving
    assert result.status is AppStatus.DONE
    assert [s for s in result.steps if s.result != "in_review"][-1].action == (
        "create_payment_service"
    )
    answers = [c["errno"] for c in await world.calls("/paymentservice/create")]
    assert answers[-1] == 0 and set(answers[:-1]) == {60014}  # refused until approved, once ok
    assert world.store.get_submission(APP, "developer_config").outcome == "approved"  # type: ignore[union-attr]


async def test_60019_on_an_update_during_a_review_is_a_wait(world: World, tmp_path: Path) -> None:
    spec = await account_created(world, tmp_path)
    await world.approve(APP, "account")
    actions = Actions(spec, world.api.app(f"sandbox-{APP}"), None, world.recorder)
    await actions.submit_developer_config()
    await world.approve(APP, "developer_config")
    await actions.create_payment_service()  # in review now
    result = await executor(world).apply_app(
        spec, only(Step(Action.UPDATE_PAYMENT_SERVICE, "payment_service"))
    )
    assert result.status is AppStatus.IN_REVIEW
    assert [p["section"] for p in result.pending] == ["payment_service"]


async def test_ctrl_c_mid_write_finishes_and_records_the_write(
    world: World, tmp_path: Path
) -> None:
    spec = spec_with_images(tmp_path, APP)
    release = world.transport.hold("/account/create")
    running = executor(world)
    task = asyncio.ensure_future(
        running.apply_app(spec, only(Step(Action.CREATE_ACCOUNT, "account")))
    )
    await world.transport.reached["/account/create"].wait()  # Baidu has the account
    task.cancel()  # Ctrl-C while its answer is on the way
    await asyncio.sleep(0.05)
    assert not task.done()  # the write is being finished, not abandoned
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    (result,) = running.results
    assert result.status is AppStatus.INTERRUPTED
    assert [(s.action, s.result) for s in result.steps] == [("create_account", "submitted")]
    assert world.store.get_submission(APP, "account") is not None


async def test_a_developer_config_approved_before_its_answer_arrived_is_seen_approved(
    world: World, tmp_path: Path
) -> None:
    """Baidu's eventTime has whole seconds; the submission is recorded as of when it was sent.
    An audit decided while the answer was still on its way, and answered in the next second,
    still belongs to this submission (the controller benchmark met it: 1 app in 1,000 waited
    for the next resync)."""
    spec = await account_created(world, tmp_path)
    await world.approve(APP, "account")
    release = world.transport.hold("/developconfig/submit")
    actions = Actions(spec, world.api.app(f"sandbox-{APP}"), None, world.recorder)
    sending = asyncio.ensure_future(actions.submit_developer_config())
    await world.transport.reached["/developconfig/submit"].wait()
    await world.approve(APP, "developer_config")  # decided at once, pushed with this second
    decided = now().astimezone(SHANGHAI).replace(microsecond=0)
    world.store.record_event(
        AuditEvent(
            app_id=APP,
            tp_app_id=1,
            event="APP_PAYMENT_UPDATE_DEVELOP_CONFIG_PASS",
            event_time=decided,
        )
    )
    await asyncio.sleep(1.05 - now().microsecond / 1e6)  # the answer arrives a second later
    release.set()
    await sending
    planner = Planner(
        app_api=lambda spec: world.api.app(f"sandbox-{spec.app_id}"),
        store=world.store,
        options=DecideOptions(receiver=True, now=now()),
        concurrency=1,
    )
    plan = await planner.plan(spec)
    assert plan.status["developer_config"].endswith("approved"), plan.status
    assert [step.action for step in plan.steps] == [Action.CREATE_PAYMENT_SERVICE]
