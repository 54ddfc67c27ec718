"""Each write of engine/actions.py and each way it settles an uncertain outcome, on purpose.

The strict sandbox in-process decides nothing by itself (policy manual); the transport loses
chosen answers after the sandbox acted. What a user would notice: a write is never repeated
blindly, what happened is recorded, and when nothing happened the run says so.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from smartpay_apply.api.errors import BusinessError
from smartpay_apply.engine.actions import Actions
from smartpay_apply.errors import SmartpayError
from tests.engine.world import TP_TOKEN, World, open_world, spec_with_images

APP = 5101


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async for made in open_world(tmp_path):
        yield made


@pytest.fixture
async def retrying_world(tmp_path: Path) -> AsyncIterator[World]:
    async for made in open_world(tmp_path, retries=1):
        yield made


def actions(world: World, spec) -> Actions:  # type: ignore[no-untyped-def]
    return Actions(
        spec, world.api.app(f"sandbox-{spec.app_id}"), world.api.tp(TP_TOKEN), world.recorder
    )


async def onboarded_account(world: World, tmp_path: Path, app_id: int = APP):  # type: ignore[no-untyped-def]
    spec = spec_with_images(tmp_path, app_id)
    await actions(world, spec).create_account()
    await world.approve(app_id, "account")
    return spec


# ---------------------------------------------------------------- account


async def test_create_account_uploads_as_the_tp_and_records_the_submission(
    world: World, tmp_path: Path
) -> None:
    spec = spec_with_images(tmp_path, APP)
    done = await actions(world, spec).create_account()
    assert (done.result, done.detail) == (
        "submitted",
        "account submitted for audit; uploaded id_card_front, id_card_back",
    )
    assert (await world.state(APP))["account"]["status"] == 2
    uploads = await world.calls("/upload/image")
    assert [call["app_id"] for call in uploads] == [None, None]  # TP calls
    record = world.store.get_submission(APP, "account")
    assert record is not None and record.outcome == "pending"


async def test_create_account_answer_lost_is_settled_by_reading_the_status(
    world: World, tmp_path: Path
) -> None:
    spec = spec_with_images(tmp_path, APP)
    world.transport.lose("/account/create")
    done = await actions(world, spec).create_account()
    assert done.result == "already_exists"
    assert "confirmed by account/auditstatus: status 2" in (done.detail or "")
    assert len(await world.calls("/account/create")) == 1  # never sent twice
    assert world.store.get_submission(APP, "account") is not None


async def test_create_account_retried_after_a_lost_answer_is_confirmed_not_duplicated(
    retrying_world: World, tmp_path: Path
) -> None:
    """The retry meets 60017 ("in review, cannot create again"): ours, confirmed by a read."""
    world = retrying_world
    spec = spec_with_images(tmp_path, APP)
    world.transport.lose("/account/create")
    done = await actions(world, spec).create_account()
    assert done.result == "already_exists"
    assert [call["errno"] for call in await world.calls("/account/create")] == [0, 60017]


async def test_create_account_answer_lost_and_nothing_created_fails_without_repeating(
    world: World, tmp_path: Path
) -> None:
    """Baidu refused it (60011: an image URL it never issued) and the answer was lost."""
    from tests.engine.factory import make_spec

    spec = make_spec(app_id=APP, token=f"sandbox-{APP}")  # id-card URLs the sandbox never issued
    world.transport.lose("/account/create")
    with pytest.raises(SmartpayError, match="outcome was unknown and the account does not exist"):
        await actions(world, spec).create_account()
    assert len(await world.calls("/account/create")) == 1
    assert world.store.get_submission(APP, "account") is None


# ---------------------------------------------------------------- developer config


async def test_developer_config_answer_lost_is_settled_by_sending_the_same_values_again(
    world: World, tmp_path: Path
) -> None:
    spec = await onboarded_account(world, tmp_path)
    world.transport.lose("/developconfig/submit")
    done = await actions(world, spec).submit_developer_config()
    assert "confirmed: in review after an unknown outcome" in (done.detail or "")
    assert [c["errno"] for c in await world.calls("/developconfig/submit")] == [0, 60018]
    assert world.store.get_submission(APP, "developer_config") is not None


async def test_developer_config_in_review_without_a_record_is_ours_from_a_dead_run(
    world: World, tmp_path: Path
) -> None:
    spec = await onboarded_account(world, tmp_path)
    await actions(world, spec).submit_developer_config()
    world.store.forget(
        APP, ["developer_config"], app=spec.app, command="t", user="t", host="h"
    )  # as if the run had died before recording it
    done = await actions(world, spec).submit_developer_config()
    assert "already in review with no record" in (done.detail or "")
    assert world.store.get_submission(APP, "developer_config") is not None


async def test_developer_config_in_review_with_a_record_is_left_to_wait(
    world: World, tmp_path: Path
) -> None:
    spec = await onboarded_account(world, tmp_path)
    await actions(world, spec).submit_developer_config()
    with pytest.raises(BusinessError) as refused:
        await actions(world, spec).submit_developer_config()
    assert refused.value.errno == 60018  # the executor turns it into a wait


# ---------------------------------------------------------------- payment service


async def ready_for_the_service(world: World, tmp_path: Path):  # type: ignore[no-untyped-def]
    spec = await onboarded_account(world, tmp_path)
    await actions(world, spec).submit_developer_config()
    await world.approve(APP, "developer_config")
    return spec


async def test_create_payment_service_retried_after_a_lost_answer_is_confirmed(
    retrying_world: World, tmp_path: Path
) -> None:
    world = retrying_world
    spec = await ready_for_the_service(world, tmp_path)
    world.transport.lose("/paymentservice/create")
    done = await actions(world, spec).create_payment_service()
    assert (done.result, done.detail) == (
        "already_exists",
        "payment service already exists (confirmed by getbindservice)",
    )
    assert [c["errno"] for c in await world.calls("/paymentservice/create")] == [0, 60019]
    submission = world.store.get_submission(APP, "payment_service")
    assert submission is not None  # what was submitted: a rejection is not resubmitted blindly


async def test_a_created_service_records_the_developer_config_approved(
    world: World, tmp_path: Path
) -> None:
    """No event receiver: the create going through is the developer config's approval."""
    spec = await ready_for_the_service(world, tmp_path)
    assert world.store.get_submission(APP, "developer_config").outcome == "pending"  # type: ignore[union-attr]
    await actions(world, spec).create_payment_service()
    assert world.store.get_submission(APP, "developer_config").outcome == "approved"  # type: ignore[union-attr]


async def approved_service(world: World, tmp_path: Path):  # type: ignore[no-untyped-def]
    spec = await ready_for_the_service(world, tmp_path)
    await actions(world, spec).create_payment_service()
    await world.approve(APP, "payment_service")
    return spec


async def test_update_without_audit_answer_lost_is_confirmed_by_getbindservice(
    world: World, tmp_path: Path
) -> None:
    spec = await approved_service(world, tmp_path)
    renamed = spec.model_copy(
        update={"payment_service": spec.payment_service.model_copy(update={"app_name": "新店名"})}  # type: ignore[union-attr]
    )
    world.transport.lose("/paymentservice/update")
    done = await actions(world, renamed).update_payment_service()
    assert done.detail == "updated (confirmed by getbindservice after an unknown outcome)"
    assert len(await world.calls("/paymentservice/update")) == 1


async def test_audited_update_answer_lost_is_confirmed_by_the_audit_status(
    world: World, tmp_path: Path
) -> None:
    spec = await approved_service(world, tmp_path)
    world.transport.lose("/paymentservice/updatebindservice")
    done = await actions(world, spec).update_bind_service()
    assert done.detail == "submitted for audit (confirmed by auditstatus after an unknown outcome)"
    assert len(await world.calls("/paymentservice/updatebindservice")) == 1


async def test_audited_update_answer_lost_and_refused_fails_without_repeating(
    world: World, tmp_path: Path
) -> None:
    spec = await approved_service(world, tmp_path)
    unknown_bank = spec.model_copy(
        update={
            "payment_service": spec.payment_service.model_copy(update={"bank_name": "不存在银行"})
        }  # type: ignore[union-attr]
    )
    world.transport.lose("/paymentservice/updatebindservice")
    with pytest.raises(SmartpayError, match="no audit is in progress; nothing was repeated"):
        await actions(world, unknown_bank).update_bind_service()
    assert len(await world.calls("/paymentservice/updatebindservice")) == 1
