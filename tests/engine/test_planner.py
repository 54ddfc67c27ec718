"""The planner through the real API client and state store, the sandbox in-process (ASGI).

Fast: no sockets, no subprocess. The sandbox speaks the documented wire format; the store is a
real SQLite file.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from smartpay_apply.api.client import OpenApi
from smartpay_apply.config import ProjectConfig
from smartpay_apply.engine.fingerprints import desired_fingerprints
from smartpay_apply.engine.observe import read_store, read_store_all
from smartpay_apply.errors import StateError
from smartpay_apply.runtime import Runtime, build_plan
from smartpay_apply.sandbox.app import create_app
from smartpay_apply.sandbox.config import SandboxConfig
from smartpay_apply.spec.models import AppSpec
from smartpay_apply.state import AuditEvent, StateStore, open_store
from smartpay_apply.timeutil import now
from tests.engine.factory import make_spec

PAY = "/rest/2.0/smartapp/pay"


@pytest.fixture
def store(tmp_path: Path) -> StateStore:
    return open_store("state.db", base_dir=tmp_path)


@pytest.fixture
async def world() -> AsyncIterator[tuple[OpenApi, httpx.AsyncClient]]:
    transport = httpx.ASGITransport(app=create_app(SandboxConfig(audit_policy="manual")))
    async with (
        OpenApi("http://sandbox.test", transport=transport, retries=0) as api,
        httpx.AsyncClient(base_url="http://sandbox.test", transport=transport) as raw,
    ):
        yield api, raw


def config(tmp_path: Path) -> ProjectConfig:
    return ProjectConfig(
        root=tmp_path,
        path=tmp_path / "smartpay.yaml",
        endpoint="http://sandbox.test",
        concurrency=4,
    )


async def submit_developer_config(raw: httpx.AsyncClient, app_id: int) -> None:
    """An approved account (the sandbox wants one first: 60016) and a developer config, over
    the wire; the id-card image is uploaded as the TP (sandbox-tp), as Baidu wants."""
    spec = make_spec(app_id=app_id)
    assert spec.developer_config is not None and spec.account is not None
    token = {"access_token": f"sandbox-{app_id}"}
    png = b"\x89PNG\r\n\x1a\n" + bytes(32)
    url = (
        await raw.post(
            "/file/2.0/smartapp/upload/image",
            params={"access_token": "sandbox-tp"},
            files={"multipartFile": ("a.png", png, "image/png")},
        )
    ).json()["data"]
    account = {
        name: value.get_secret_value() if hasattr(value, "get_secret_value") else value
        for name, value in spec.account.model_dump(exclude_none=True).items()
    }
    account.update(id_card_front_url=url, id_card_back_url=url)
    body = (await raw.post(f"{PAY}/account/create", params=token, data=account)).json()
    assert body["errno"] == 0, body
    approved = await raw.put(f"/_sandbox/apps/{app_id}/account/status", json={"status": 4})
    assert approved.status_code == 200, approved.text
    body = (
        await raw.post(
            f"{PAY}/developconfig/submit", params=token, data=spec.developer_config.model_dump()
        )
    ).json()
    assert body["errno"] == 0, body


async def test_fresh_and_failing_apps(tmp_path: Path, store: StateStore, world) -> None:  # type: ignore[no-untyped-def]
    api, _ = world
    good = make_spec("shop-a", 1001, token="sandbox-1001")
    bad = make_spec("shop-b", 1002, token="wrong")
    plan, contexts = await build_plan(config(tmp_path), [good, bad], api, store)
    a, b = plan.apps
    assert [s.action.value for s in a.steps] == [
        "create_account",
        "wait",
        "submit_developer_config",
        "create_payment_service",
    ]
    assert a.observed_checksum and a.desired_checksum and a.error is None
    assert (
        contexts["shop-a"].observed is not None
        and contexts["shop-a"].observed.payment_service is None
    )
    assert b.error and b.steps == () and contexts["shop-b"].observed is None
    assert "wrong" not in b.error


async def test_recorded_developer_config_and_events_reach_decide(
    tmp_path: Path, store: StateStore, world
) -> None:  # type: ignore[no-untyped-def]
    api, raw = world
    spec = make_spec("shop-a", 1001, account=None, payment_service=None, token="sandbox-1001")
    await submit_developer_config(raw, 1001)
    fingerprint = desired_fingerprints(spec, store)["developer_config"]
    submitted_at = now() - timedelta(minutes=5)
    store.record_submission(1001, "developer_config", fingerprint, app="shop-a", at=submitted_at)

    plan, _ = await build_plan(config(tmp_path), [spec], api, store)
    (app,) = plan.apps
    assert app.steps == () and app.notes == ("developer config: audit outcome not yet received",)

    store.record_event(
        AuditEvent(
            app_id=1001,
            tp_app_id=1,
            event="APP_PAYMENT_UPDATE_DEVELOP_CONFIG_FAIL",
            event_time=now(),
            reason="回调地址不可达",
        )
    )
    plan, _ = await build_plan(config(tmp_path), [spec], api, store)
    (app,) = plan.apps
    assert [(s.action.value, s.reason) for s in app.steps] == [("blocked", "回调地址不可达")]
    assert read_store_all(store, [1001, 1002]) == {1001: read_store(store, 1001), 1002: ({}, ())}


async def test_plan_reads_only(tmp_path: Path, store: StateStore, world) -> None:  # type: ignore[no-untyped-def]
    api, raw = world
    await build_plan(
        config(tmp_path), [make_spec("shop-a", 1001, token="sandbox-1001")], api, store
    )
    calls = (await raw.get("/_sandbox/calls")).json()["calls"]
    assert calls and all(call["method"] == "GET" for call in calls)
    assert store.list_submissions() == []


async def test_the_store_is_read_alike_for_one_and_for_many_mini_programs(
    tmp_path: Path, store: StateStore
) -> None:
    """A controller plans one mini-program at a time (its reads must not grow with the fleet);
    apply plans all of them in bulk: both readings agree."""
    from smartpay_apply.engine.observe import FEW_APPS

    for app_id in range(1, FEW_APPS + 6):
        store.record_submission(app_id, "account", f"fp-{app_id}", app=f"a{app_id}", at=now())
        store.record_event(
            AuditEvent(
                app_id=app_id,
                tp_app_id=1,
                event="APP_PAYMENT_CREATE_ACCOUNT_PASS",
                event_time=now(),
            )
        )
    many = list(range(1, FEW_APPS + 4))
    bulk = read_store_all(store, many)
    assert len(bulk) == len(many)
    for app_id in (1, 7):
        assert (
            read_store_all(store, [app_id])
            == {app_id: bulk[app_id]}
            == {app_id: read_store(store, app_id)}
        )
    assert bulk[FEW_APPS + 3][0]["account"].fingerprint == f"fp-{FEW_APPS + 3}"


async def test_plan_stream_writes_nothing_when_a_later_spec_fails(
    tmp_path: Path, store: StateStore, world
) -> None:  # type: ignore[no-untyped-def]
    """`plan` observes each spec as it is read (plan_stream): the account outcome seen for the
    first one is recorded only once every spec is read, so a failing later spec leaves the
    store as it was; when none fails, the outcome and the observation are recorded."""
    api, raw = world
    spec = make_spec("shop-a", 1001, payment_service=None, token="sandbox-1001")
    await submit_developer_config(raw, 1001)  # the account is approved at Baidu
    fingerprint = desired_fingerprints(spec, store)["account"]
    store.record_submission(1001, "account", fingerprint, app="shop-a", at=now())
    planner = Runtime(config(tmp_path), api, store).planner()

    async def specs(fail: bool) -> AsyncIterator[AppSpec]:
        await raw.delete("/_sandbox/calls")
        yield spec
        for _ in range(500):  # until shop-a's reads are answered, then a little more
            if len((await raw.get("/_sandbox/calls")).json()["calls"]) >= 2:
                break
            await asyncio.sleep(0.01)
        for _ in range(20):  # time for a write, had the planner started one
            await asyncio.sleep(0.01)
        if fail:
            raise RuntimeError("zz.yaml:2:10: app_id: not a number")

    with pytest.raises(RuntimeError, match=r"zz\.yaml"):
        await planner.plan_stream(specs(fail=True))
    assert [r.outcome for r in store.list_submissions()] == ["pending"]
    assert store.list_observations() == []

    plan = await planner.plan_stream(specs(fail=False))
    assert [app.app for app in plan.apps] == ["shop-a"] and plan.apps[0].error is None
    assert [r.outcome for r in store.list_submissions()] == ["approved"]
    assert [o.app_id for o in store.list_observations()] == [1001]


async def test_plan_stream_keeps_every_observation_when_written_in_batches(
    tmp_path: Path, store: StateStore, world, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """Observations are written in batches once the last spec is read (while the remaining
    answers are awaited): a plan larger than a batch keeps one observation per mini-program,
    none twice, none lost; a plan whose last spec fails keeps none."""
    from smartpay_apply.engine import planner as planner_module

    api, _ = world
    monkeypatch.setattr(planner_module._Keeper, "BATCH", 2)
    all_specs = [
        make_spec(f"shop-{n}", 2000 + n, payment_service=None, token=f"sandbox-{2000 + n}")
        for n in range(7)
    ]
    planner = Runtime(config(tmp_path), api, store).planner()

    async def specs(fail: bool) -> AsyncIterator[AppSpec]:
        for spec in all_specs:
            yield spec
        if fail:
            raise RuntimeError("zz.yaml:2:10: app_id: not a number")

    with pytest.raises(RuntimeError, match=r"zz\.yaml"):
        await planner.plan_stream(specs(fail=True))
    assert store.list_observations() == []

    plan = await planner.plan_stream(specs(fail=False))
    assert len(plan.apps) == 7
    kept = sorted(o.app_id for o in store.list_observations())
    assert kept == [2000 + n for n in range(7)]


async def test_plan_stream_fails_when_the_store_cannot_be_read(
    tmp_path: Path, store: StateStore, world
) -> None:  # type: ignore[no-untyped-def]
    """The store is read in bulk while the first mini-programs are observed: if that read
    fails, the plan fails with the store's error (as when it was read first), not with a plan
    whose every mini-program says it could not be observed."""
    import sqlite3

    api, _ = world
    with sqlite3.connect(tmp_path / "state.db") as raw:
        raw.execute("DROP TABLE smartpay_events")  # a store damaged behind the tool's back
    spec = make_spec("shop-a", 1001, payment_service=None, token="sandbox-1001")
    planner = Runtime(config(tmp_path), api, store).planner()

    async def specs() -> AsyncIterator[AppSpec]:
        yield spec

    with pytest.raises(StateError, match="smartpay_events"):
        await planner.plan_stream(specs())
    assert store.list_observations() == []


async def test_a_failing_spec_is_the_error_told_when_the_store_cannot_be_read_either(
    tmp_path: Path, store: StateStore, world, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    import gc
    import sqlite3

    api, _ = world
    with sqlite3.connect(tmp_path / "state.db") as raw:
        raw.execute("DROP TABLE smartpay_events")
    planner = Runtime(config(tmp_path), api, store).planner()

    async def specs() -> AsyncIterator[AppSpec]:
        raise RuntimeError("zz.yaml:2:10: app_id: not a number")  # before any mini-program
        yield make_spec("shop-a", 1001, payment_service=None, token="sandbox-1001")

    with pytest.raises(RuntimeError, match=r"zz\.yaml"):
        await planner.plan_stream(specs())
    gc.collect()  # a failed task nobody looked at is reported when it is collected
    await asyncio.sleep(0)
    assert "never retrieved" not in caplog.text
