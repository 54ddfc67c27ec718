"""Run history: who ran what, when, with which plan, and each step's result."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from smartpay_apply.errors import StateError


def test_a_run_with_its_steps(store):
    run_id = store.start_run(
        command="apply plan.json", user="ci", host="runner-3", plan_checksum="sha256:abc"
    )
    assert run_id.startswith("r-")
    store.record_step(
        run_id, app_id=1, app="shop", action="create", section="account", result="submitted"
    )
    store.record_step(
        run_id,
        app_id=2,
        app="cafe",
        action="update",
        section="developer_config",
        result="failed",
        detail="errno 60012",
    )
    [running] = store.list_runs()
    assert (running.status, running.finished_at) == ("running", None)
    store.finish_run(run_id, "failed")
    [run] = store.list_runs()
    assert (run.run_id, run.command, run.user, run.host, run.plan_checksum, run.status) == (
        run_id,
        "apply plan.json",
        "ci",
        "runner-3",
        "sha256:abc",
        "failed",
    )
    assert run.finished_at >= run.started_at
    assert [(s.seq, s.app, s.action, s.section, s.result, s.detail) for s in run.steps] == [
        (1, "shop", "create", "account", "submitted", None),
        (2, "cafe", "update", "developer_config", "failed", "errno 60012"),
    ]


def test_runs_newest_first_filtered_by_app_and_limited(store):
    ids = []
    for index in range(4):
        run_id = store.start_run(command=f"apply #{index}", user="ci", host="h", plan_checksum=None)
        store.record_step(
            run_id,
            app_id=1 + index % 2,
            app=f"app{1 + index % 2}",
            action="a",
            section="s",
            result="ok",
        )
        store.finish_run(run_id, "succeeded")
        ids.append(run_id)
    assert [r.run_id for r in store.list_runs()] == ids[::-1]
    assert [r.run_id for r in store.list_runs(limit=2)] == ids[:1:-1]
    app2 = store.list_runs(app_id=2)
    assert [r.run_id for r in app2] == [ids[3], ids[1]]
    assert all(step.app_id == 2 for run in app2 for step in run.steps)


def test_secrets_in_step_details_are_masked(store):
    run_id = store.start_run(command="apply", user="ci", host="h", plan_checksum=None)
    store.record_step(
        run_id,
        app_id=1,
        app="shop",
        action="call",
        section="account",
        result="failed",
        detail="GET /rest/2.0/x?access_token=24.secretvalue&app_id=1",
    )
    [run] = store.list_runs()
    assert run.steps[0].detail == "GET /rest/2.0/x?access_token=****&app_id=1"


def test_concurrent_steps_of_one_run_are_all_kept(store, opener):
    run_id = store.start_run(command="apply", user="ci", host="h", plan_checksum=None)
    connections = [opener() for _ in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(
            pool.map(
                lambda i: connections[i % 8].record_step(
                    run_id, app_id=i, app=f"a{i}", action="x", section="s", result="ok"
                ),
                range(40),
            )
        )
    [run] = store.list_runs()
    assert sorted(s.seq for s in run.steps) == list(range(1, 41))


def test_an_unknown_run_is_an_error(store):
    with pytest.raises(StateError, match="no run r-nope"):
        store.record_step("r-nope", app_id=1, app="a", action="x", section="s", result="ok")
    with pytest.raises(StateError, match="no run r-nope"):
        store.finish_run("r-nope", "failed")
