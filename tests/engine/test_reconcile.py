"""`engine.run.reconcile`: one mini-program planned and applied under its lock, no questions.

The real engine, API client and SQLite store against the sandbox in-process (ASGI). What a
controller relies on: a reconcile with nothing to write leaves no run behind, one with writes
records its run and steps; a lock held elsewhere is reported (`lock_held`), not waited for; the
caller's `refuse` and `ask` decide what runs without a person; the plan comes back with the
result.
"""

from __future__ import annotations

import getpass
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from smartpay_apply.api.client import OpenApi
from smartpay_apply.config import ProjectConfig
from smartpay_apply.engine.options import ApplyOptions
from smartpay_apply.engine.results import AppStatus
from smartpay_apply.engine.run import reconcile
from smartpay_apply.runtime import Runtime
from smartpay_apply.sandbox.app import create_app
from smartpay_apply.sandbox.config import SandboxConfig
from smartpay_apply.spec.models import AppSpec
from smartpay_apply.state import StateStore, open_store
from smartpay_apply.state.locks import LockOwner
from tests.engine.factory import OTHER_BANK_CARD, make_spec
from tests.support.files import PNG

PAY = "/rest/2.0/smartapp/pay"


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
        TRANSPORTS[id(api)] = transport
        yield Runtime(config, api, store)
        del TRANSPORTS[id(api)]


def spec(tmp_path: Path, **payment: Any) -> AppSpec:
    """shop-a (1001) with local id-card images (uploaded with the TP's token)."""
    front, back = tmp_path / "front.png", tmp_path / "back.png"
    front.write_bytes(PNG + b"front")
    back.write_bytes(PNG + b"back")
    images = {
        "id_card_front_url": None,
        "id_card_back_url": None,
        "id_card_front": front,
        "id_card_back": back,
    }
    return make_spec(
        "shop-a", 1001, token="sandbox-1001", account=images, payment_service=payment or True
    )


async def calls(runtime: Runtime) -> list[dict[str, Any]]:
    return (await _raw(runtime).get("/_sandbox/calls")).json()["calls"]  # type: ignore[no-any-return]


def _raw(runtime: Runtime) -> httpx.AsyncClient:
    """A plain client on the same in-process sandbox (its admin API)."""
    return httpx.AsyncClient(base_url="http://sandbox.test", transport=TRANSPORTS[id(runtime.api)])


#: The sandbox transport of each runtime's API client (by the client's id).
TRANSPORTS: dict[int, httpx.ASGITransport] = {}


def accepted_writes(log: list[dict[str, Any]]) -> list[str]:
    return [
        call["path"].removeprefix(PAY)
        for call in log
        if call["method"] == "POST" and call["errno"] == 0 and call["path"].startswith(PAY)
    ]


async def onboard(runtime: Runtime, the_spec: AppSpec) -> None:
    """Reconcile until the payment service is approved, deciding each audit by hand."""
    raw = _raw(runtime)
    options = ApplyOptions()
    for section in ("account", "developer_config", "payment_service"):
        result = await reconcile(runtime, the_spec, options)
        assert result.status is AppStatus.IN_REVIEW, result
        approved = await raw.post(f"/_sandbox/apps/1001/{section}/approve")
        assert approved.status_code == 200, approved.text
    done = await reconcile(runtime, the_spec, options)
    assert done.status is AppStatus.DONE and done.steps == [], done


async def test_a_run_is_recorded_only_when_something_is_written(
    tmp_path: Path, runtime: Runtime, store: StateStore
) -> None:
    the_spec = spec(tmp_path)
    first = await reconcile(runtime, the_spec, ApplyOptions())
    assert first.status is AppStatus.IN_REVIEW
    assert [step.action for step in first.steps] == ["create_account"]
    assert first.plan is not None and first.plan.app_id == 1001
    [run] = store.list_runs()
    assert (run.command, run.status) == ("controller", "pending")
    assert [step.action for step in run.steps] == ["create_account"]

    idle = await reconcile(runtime, the_spec, ApplyOptions())  # the account is in review
    assert idle.status is AppStatus.IN_REVIEW and idle.steps == []
    assert idle.plan is not None and idle.plan.steps[0].action.value == "wait"
    assert len(store.list_runs()) == 1  # nothing written: no empty run
    assert store.list_locks() == []


async def test_a_lock_held_elsewhere_is_reported_and_nothing_is_done(
    tmp_path: Path, runtime: Runtime, store: StateStore
) -> None:
    other = LockOwner("elsewhere", 1, "r-other")
    assert store.acquire_lock(1001, other, 60)
    result = await reconcile(runtime, spec(tmp_path), ApplyOptions())
    assert result.lock_held and result.status is AppStatus.FAILED
    assert "locked by elsewhere:1" in result.errors[0]
    assert result.plan is None
    assert await calls(runtime) == []
    assert [info.owner for info in store.list_locks()] == [other]


async def test_refuse_leaves_the_plan_to_a_person(
    tmp_path: Path, runtime: Runtime, store: StateStore
) -> None:
    seen = []

    def refuse(plan: Any) -> str | None:
        seen.append([step.action.value for step in plan.steps])
        return "not on its own: create_account"

    result = await reconcile(runtime, spec(tmp_path), ApplyOptions(), refuse=refuse)
    assert result.status is AppStatus.REFUSED
    assert result.errors == ["not on its own: create_account"]
    assert seen and seen[0][0] == "create_account"
    assert accepted_writes(await calls(runtime)) == []
    assert store.list_runs() == []


async def test_a_payout_change_runs_only_when_ask_says_yes(
    tmp_path: Path, runtime: Runtime, store: StateStore
) -> None:
    await onboard(runtime, spec(tmp_path))
    changed = spec(tmp_path, bank_card=OTHER_BANK_CARD)
    asked = []

    def no(change: Any) -> bool:
        asked.append(change.fields)
        return False

    refused = await reconcile(runtime, changed, ApplyOptions(), ask=no)
    assert refused.status is AppStatus.REFUSED
    assert asked == [("bank_card",)]
    assert "changes where payouts go (bank_card)" in refused.errors[0]
    assert "/paymentservice/updatebindservice" not in accepted_writes(await calls(runtime))

    applied = await reconcile(runtime, changed, ApplyOptions(), ask=lambda change: True)
    assert applied.status is AppStatus.IN_REVIEW
    assert [step.action for step in applied.steps] == ["update_bind_service"]
    assert accepted_writes(await calls(runtime)).count("/paymentservice/updatebindservice") == 1


async def test_the_controller_runtime_waits_for_the_developer_config_event(
    tmp_path: Path, runtime: Runtime
) -> None:
    """receiver=True (the controller serves the receiver): after the developer config, the
    payment service waits for the PASS event instead of probing with a create."""
    the_spec = spec(tmp_path)
    pushed = Runtime(runtime.config, runtime.api, runtime.store, receiver=True)
    await reconcile(pushed, the_spec, ApplyOptions(events_configured=True))
    assert (await _raw(runtime).post("/_sandbox/apps/1001/account/approve")).status_code == 200
    result = await reconcile(pushed, the_spec, ApplyOptions(events_configured=True))
    assert [step.action for step in result.steps] == ["submit_developer_config"]
    assert result.pending and result.pending[0]["section"] == "developer_config"
    assert "/paymentservice/create" not in [
        c["path"].removeprefix(PAY) for c in await calls(runtime)
    ]


async def test_the_plan_is_observed_once_and_left_to_a_caller_that_keeps_it(
    tmp_path: Path, runtime: Runtime, store: StateStore
) -> None:
    """keep_observation=False (the controller): the reconcile records no observation of its
    own — the caller records result.plan with its block — and by default it does."""
    the_spec = spec(tmp_path)
    left = await reconcile(runtime, the_spec, ApplyOptions(), keep_observation=False)
    assert left.plan is not None and [s.action for s in left.steps] == ["create_account"]
    assert store.list_observations() == []

    kept = await reconcile(runtime, the_spec, ApplyOptions())
    [seen] = store.list_observations()
    assert (seen.app_id, seen.source) == (1001, "controller")
    assert kept.plan is not None and kept.plan.steps[0].action.value == "wait"
    assert seen.summary["steps"][0]["action"] == "wait"


async def test_a_reconcile_that_fails_after_planning_still_keeps_what_it_saw(
    tmp_path: Path, runtime: Runtime, store: StateStore
) -> None:
    """The caller has no plan to record when the reconcile raises: the reconcile records it."""

    def broken(plan: Any) -> str | None:
        raise RuntimeError("the caller's judge broke")

    with pytest.raises(RuntimeError, match="judge broke"):
        await reconcile(
            runtime, spec(tmp_path), ApplyOptions(), refuse=broken, keep_observation=False
        )
    [seen] = store.list_observations()
    assert seen.app_id == 1001 and seen.summary["steps"][0]["action"] == "create_account"
    assert "controller" not in seen.summary
    assert store.list_locks() == []


async def test_an_audit_outcome_read_by_the_plan_is_recorded(
    tmp_path: Path, runtime: Runtime, store: StateStore
) -> None:
    """No event came: the plan reads the approved account (auditstatus) and records it."""
    the_spec = spec(tmp_path)
    await reconcile(runtime, the_spec, ApplyOptions())
    account = store.get_submission(1001, "account")
    assert account is not None and account.outcome == "pending"
    assert (await _raw(runtime).post("/_sandbox/apps/1001/account/approve")).status_code == 200
    await reconcile(runtime, the_spec, ApplyOptions())
    account = store.get_submission(1001, "account")
    assert account is not None and account.outcome == "approved"
    idle = await reconcile(runtime, the_spec, ApplyOptions())  # nothing new seen: unchanged
    assert store.get_submission(1001, "account") == account
    assert idle.plan is not None


async def test_a_plan_says_when_local_images_need_a_tp_token_that_is_not_set(
    tmp_path: Path, runtime: Runtime, store: StateStore
) -> None:
    bare = ProjectConfig(
        root=tmp_path,
        path=tmp_path / "smartpay.yaml",
        endpoint="http://sandbox.test",
    )
    without = Runtime(bare, runtime.api, store)
    plan, _ = await without.planner().plan_all([spec(tmp_path)])
    (app_plan,) = plan.apps
    assert app_plan.steps[0].action.value == "create_account"
    assert any("id_card_front, id_card_back" in note for note in app_plan.notes)
    with_token, _ = await runtime.planner().plan_all([spec(tmp_path)])
    assert not any("tp_access_token" in note for note in with_token.apps[0].notes)


async def test_the_run_of_a_reconcile_records_who_ran_it(
    tmp_path: Path, runtime: Runtime, store: StateStore
) -> None:
    await reconcile(runtime, spec(tmp_path), ApplyOptions())
    await reconcile(runtime, spec(tmp_path, bank_card=OTHER_BANK_CARD), ApplyOptions())
    runs = store.list_runs()
    assert runs and {run.user for run in runs} == {getpass.getuser()}
