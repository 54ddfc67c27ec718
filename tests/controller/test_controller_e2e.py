"""`smartpay-apply controller` end to end: a real process, the strict sandbox over real HTTP
pushing encrypted events to it, no other command but the sandbox's approvals (and, where a
person must act, the command that person runs).

What must hold: every write Baidu accepts is sent exactly once (the sandbox's call log has each
answer's errno); audits are followed by their pushed events, not by polling (`--resync 10m`);
a rejection waits for the spec to change; a console edit of a no-audit field is repaired at the
next resync, a payout-field drift is not, without consent; SIGTERM ends cleanly.
"""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

import pytest

from smartpay_apply.state import open_store
from tests.controller.conftest import (
    ONBOARDING,
    UPLOAD,
    ControlledProject,
    accepted_writes,
    onboarded,
    refused_writes,
)
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow

APPS_STATE = 'smartpay_apps{{section="{section}",state="{state}"}}'


def store_of(world: ControlledProject) -> Any:
    return open_store(world.project.state, base_dir=world.root)


def test_twenty_mini_programs_onboard_from_nothing_on_the_sandboxs_approvals(
    controller_project: Any, start_controller: Any
) -> None:
    world = controller_project(apps=20)
    sandbox = world.sandbox
    controller = start_controller(world, "--resync", "10m", "--log-format", "json")

    for app_id in world.apps.values():
        assert wait_for(lambda app_id=app_id: onboarded(sandbox, app_id), 120), controller.log()
    for app_id in world.apps.values():
        assert accepted_writes(sandbox, app_id) == ONBOARDING
        assert refused_writes(sandbox, app_id) == []  # each step waited for its turn
    uploads = [c for c in sandbox.calls(path=UPLOAD) if c["errno"] == 0]
    assert len(uploads) == 2 * len(world.apps)

    # The fleet as /metrics shows it, once the last events were handled.
    in_sync = APPS_STATE.format(section="payment_service", state="in_sync")
    assert wait_for(lambda: controller.metrics().get(in_sync) == 20), controller.metrics()
    seen = controller.metrics()
    # Every developer config and payment service was sent on an event (resync is 10 min).
    assert seen["smartpay_controller_event_to_write_seconds_count"] >= 40
    assert seen['smartpay_controller_reconciles_total{outcome="failed"}'] == 0

    assert controller.stop() == 0
    lines = controller.log().splitlines()
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert any(r.get("outcome") == "in_sync" and r.get("app") == "shop-00" for r in records)
    assert not any("sandbox-81" in line for line in lines)  # no access token in the log
    with store_of(world) as store:
        assert store.list_locks() == []
        runs = store.list_runs(limit=500)
        assert {run.command for run in runs} == {"controller"}
        assert all(run.status in ("pending", "succeeded") for run in runs)


def test_a_rejected_developer_config_is_blocked_until_the_spec_is_fixed(
    controller_project: Any, start_controller: Any
) -> None:
    world = controller_project(apps=1)
    sandbox = world.sandbox
    (app, app_id) = next(iter(world.apps.items()))
    sandbox.set_policy(app_id, "reject", section="developer_config", reason="退款审核地址无法访问")
    controller = start_controller(world, "--resync", "10m")

    blocked = APPS_STATE.format(section="developer_config", state="blocked")
    assert wait_for(lambda: controller.metrics().get(blocked) == 1, 60), controller.log()
    with store_of(world) as store:
        [seen] = store.list_observations([app_id])
    block = seen.summary["controller"]
    assert block["outcome"] == "blocked"
    assert block["sections"]["developer_config"] == "blocked"
    assert any("退款审核地址无法访问" in error for error in block["errors"])
    assert "退款审核地址无法访问" in controller.log()
    assert accepted_writes(sandbox, app_id) == ONBOARDING[:2]

    # Baidu's reviewer will accept a fixed URL; the spec is fixed in the watched files.
    sandbox.set_policy(app_id, None, section="developer_config")
    document = world.project.documents[app]
    document["developer_config"]["refund_audit_url"] = "https://tp.example.test/refund/audit-v2"
    world.project.write_spec(document)

    assert wait_for(lambda: onboarded(sandbox, app_id), 60), controller.log()
    assert accepted_writes(sandbox, app_id) == [
        "/account/create",
        "/developconfig/submit",
        "/developconfig/submit",
        "/paymentservice/create",
    ]
    assert refused_writes(sandbox, app_id) == []

    # SIGHUP loads the specs again (and does not end the process).
    controller.process.send_signal(signal.SIGHUP)
    assert wait_for(lambda: "specs reloaded (SIGHUP)" in controller.log()), controller.log()
    assert controller.process.poll() is None
    assert controller.stop() == 0


def test_a_console_edit_is_repaired_and_a_payout_drift_waits_for_consent(
    controller_project: Any, start_controller: Any, run_cli: Any
) -> None:
    world = controller_project(apps=2)
    sandbox = world.sandbox
    (renamed, renamed_id), (moved, moved_id) = world.apps.items()
    controller = start_controller(world, "--resync", "2s")
    for app_id in world.apps.values():
        assert wait_for(lambda app_id=app_id: onboarded(sandbox, app_id), 60), controller.log()
    name = world.project.documents[renamed]["payment_service"]["app_name"]
    branch = world.project.documents[moved]["payment_service"]["bank_branch"]

    sandbox.put_payment_service(renamed_id, {"app_name": "控制台改的名字"})
    sandbox.put_payment_service(moved_id, {"bank_branch": "招商银行北京分行"})

    # The no-audit field is put back at the next resync, with paymentservice/update.
    assert wait_for(lambda: sandbox.app_state(renamed_id)["bind_service"]["app_name"] == name, 30)
    assert accepted_writes(sandbox, renamed_id) == [*ONBOARDING, "/paymentservice/update"]
    # The payout field is not: reported in /metrics, the observation and the log.
    assert wait_for(lambda: controller.metrics().get("smartpay_apps_awaiting_consent") == 1, 30)
    assert sandbox.app_state(moved_id)["bind_service"]["bank_branch"] == "招商银行北京分行"
    assert accepted_writes(sandbox, moved_id) == ONBOARDING
    with store_of(world) as store:
        [seen] = store.list_observations([moved_id])
    assert seen.summary["controller"]["outcome"] == "awaiting_consent"
    assert (
        f"smartpay-apply approve {moved} --payout-change" in seen.summary["controller"]["message"]
    )
    assert "payout change (bank_branch) awaits consent" in controller.log()
    # ... and in `status`, and on the status page the controller serves under /ui/.
    shown = run_cli("status", "--format", "json", cwd=world.root)
    assert shown.returncode == 0, shown.stderr
    entry = next(a for a in json.loads(shown.stdout)["apps"] if a["app_id"] == moved_id)
    assert entry["controller"]["outcome"] == "awaiting_consent"
    text = run_cli("status", "--app", moved, cwd=world.root).stdout
    assert "drift (awaiting consent)" in text
    page = controller.get(f"/ui/app/{moved_id}")
    assert (
        page.status_code == 200 and f"smartpay-apply approve {moved} --payout-change" in page.text
    )
    api = controller.get("/ui/api/status").json()
    assert {a["app_id"] for a in api["apps"]} == {renamed_id, moved_id}

    approved = run_cli("approve", moved, "--payout-change", cwd=world.root)
    assert approved.returncode == 0, approved.stderr
    assert f"Payout change of {moved}" in approved.stdout

    assert wait_for(
        lambda: (
            sandbox.app_state(moved_id)["bind_service"]["bank_branch"] == branch
            and onboarded(sandbox, moved_id)
        ),
        30,
    ), controller.log()
    assert accepted_writes(sandbox, moved_id) == [*ONBOARDING, "/paymentservice/updatebindservice"]
    assert wait_for(lambda: controller.metrics().get("smartpay_apps_awaiting_consent") == 0, 30)
    with store_of(world) as store:
        assert store.get_consent(moved_id, "payout_change") is None  # used once
    assert controller.stop() == 0
    assert accepted_writes(sandbox, renamed_id) == [*ONBOARDING, "/paymentservice/update"]


def test_sigterm_finishes_the_write_under_way_records_it_and_exits_0(
    controller_project: Any, start_controller: Any
) -> None:
    # Every answer takes 3 s to arrive: Baidu has accepted account/create long before the
    # controller has read the answer.
    world = controller_project(apps=1, slow_body_ms=3000)
    sandbox = world.sandbox
    app_id = next(iter(world.apps.values()))
    controller = start_controller(world, "--resync", "10m")
    assert wait_for(lambda: accepted_writes(sandbox, app_id) == ["/account/create"], 60)

    assert controller.stop(signal.SIGTERM) == 0
    log = controller.log()
    assert "controller: stopping" in log and "controller: stopped" in log
    with store_of(world) as store:
        assert store.get_submission(app_id, "account") is not None  # recorded before exit
        [run] = store.list_runs()
        assert [(s.action, s.result) for s in run.steps] == [("create_account", "submitted")]
        assert run.status in ("aborted", "pending")
        assert store.list_locks() == []


def test_one_controller_per_sqlite_store_and_a_busy_port_are_one_line_each(
    controller_project: Any, start_controller: Any
) -> None:
    from tests.conftest import free_port

    world = controller_project(apps=1)
    first = start_controller(world, "--resync", "10m")
    second = start_controller(world, "--resync", "10m", port=free_port(), ready=False)
    assert second.process.wait(60) == 1
    assert "another controller (" in second.log()
    assert "SQLite serves one controller" in second.log() and "Traceback" not in second.log()
    busy = start_controller(world, ready=False)  # first's port
    assert busy.process.wait(60) == 1
    assert f"cannot listen on 127.0.0.1:{world.port}" in busy.log()
    assert first.stop() == 0


def test_once_uses_applys_exit_codes_and_the_controllers_policy(
    controller_project: Any, run_cli: Any
) -> None:
    """--once from cron: no receiver, so the payment-service create is tried after the
    developer config (60014 while it is in review is a wait, exit 2)."""
    world = controller_project(apps=3, pushes=False)
    sandbox = world.sandbox
    (first, first_id), (held, held_id), (flagged, flagged_id) = world.apps.items()
    document = world.project.documents[flagged]
    world.project.write_spec({**document, "suspend": True})

    suspended = run_cli("suspend", held, "--reason", "migrating", cwd=world.root)
    assert suspended.returncode == 0 and f"Suspended {held}" in suspended.stdout

    codes = []
    for _ in range(40):
        once = run_cli("controller", "--once", cwd=world.root)
        codes.append(once.returncode)
        assert once.returncode in (0, 2), once.stdout + once.stderr
        if once.returncode == 0:
            break
        wait_for(lambda: False, 0.3)
    assert codes[0] == 2 and codes[-1] == 0, codes
    assert onboarded(sandbox, first_id)
    assert sandbox.calls(app_id=held_id) == [] and sandbox.calls(app_id=flagged_id) == []

    resumed = run_cli("resume", held, cwd=world.root)
    assert resumed.returncode == 0 and f"Resumed {held}" in resumed.stdout
    once = run_cli("controller", "--once", "--format", "json", cwd=world.root)
    assert once.returncode == 2, once.stderr
    statuses = {app["app"]: app["status"] for app in json.loads(once.stdout)["apps"]}
    assert statuses[held] == "in_review" and accepted_writes(sandbox, held_id) == ONBOARDING[:1]

    world.project.change_payment(first, bank_card="6222020200112233445")
    refused = run_cli("controller", "--once", cwd=world.root)
    assert refused.returncode == 1
    assert f"smartpay-apply approve {first} --payout-change" in refused.stderr
    assert accepted_writes(sandbox, first_id) == ONBOARDING
    assert run_cli("approve", first, "--payout-change", cwd=world.root).returncode == 0
    sent = run_cli("controller", "--once", cwd=world.root)
    assert sent.returncode == 2, sent.stdout + sent.stderr
    assert accepted_writes(sandbox, first_id) == [*ONBOARDING, "/paymentservice/updatebindservice"]
    assert sandbox.calls(app_id=flagged_id) == []  # suspend: true in its spec


def test_a_bad_resync_and_a_missing_receiver_key_are_one_line_errors(
    controller_project: Any, run_cli: Any, tmp_path: Path
) -> None:
    world = controller_project(apps=1)
    bad = run_cli("controller", "--resync", "500ms", cwd=world.root)
    assert bad.returncode == 1
    assert bad.stderr.strip() == "Error: '500ms' is out of range (allowed: from 1s to 24h)"
    plain = controller_project(apps=1, pushes=False)
    missing = run_cli("controller", cwd=plain.root)
    assert missing.returncode == 1
    assert missing.stderr.startswith("Error: controller needs the message token and EncodingAESKey")
