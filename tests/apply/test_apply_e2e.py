"""`smartpay-apply apply` end to end: the real CLI in a subprocess, the sandbox over real HTTP,
the state store on SQLite and on PostgreSQL. The sandbox's call log says what was really sent."""

from __future__ import annotations

from typing import Any

from tests.apply.conftest import app_result, result_json
from tests.apply.project import (
    BANK_CARD,
    LEGAL_ID,
    NEW_BANK_CARD,
    Project,
    paths,
    refused,
    writes,
)


def test_onboarding_from_nothing_with_wait(project: Project, apply_cli: Any, sandbox: Any) -> None:
    for number, app in enumerate(("shop-a", "shop-b", "shop-c")):
        project.add(app, 1001 + number)

    process = apply_cli("apply", "--auto-approve", "--wait", "--format", "json")
    assert process.returncode == 0, process.stdout + process.stderr
    document = result_json(process)
    assert document["format_version"] == 1
    assert document["summary"]["done"] == 3
    steps = [(s["action"], s["result"]) for s in app_result(document, "shop-b")["steps"]]
    # No event receiver: the create is tried after the developer config; while Baidu still
    # reviews that, the answer is 60014 ("in review", a wait) and the create is tried again.
    assert [step for step in steps if step[1] != "in_review"] == [
        ("create_account", "submitted"),
        ("submit_developer_config", "submitted"),
        ("create_payment_service", "submitted"),
    ]
    assert {step for step in steps if step[1] == "in_review"} <= {
        ("create_payment_service", "in_review")
    }
    # Waiting was shown on stderr, Terraform-style.
    assert "shop-a: account: in review [" in process.stderr
    assert "shop-a: payment service: approved" in process.stderr
    # Secrets never reach the output (the plan in the JSON masks them; details name fields only).
    for secret in (BANK_CARD, LEGAL_ID, "b.bdstatic.com", "sandbox-1001"):
        assert secret not in process.stdout + process.stderr

    for app_id in (1001, 1002, 1003):
        state = sandbox.app_state(app_id)
        assert state["account"]["status"] == 4
        assert state["bind_service"]["open_status"] == 2
        assert writes(sandbox.calls(app_id=app_id)) == [
            "/account/create",
            "/developconfig/submit",
            "/paymentservice/create",
        ]
        assert {r for r in refused(sandbox.calls(app_id=app_id))} <= {
            ("/paymentservice/create", 60014)
        }
    uploads = writes(sandbox.calls(path="/file/2.0/smartapp/upload/image"))
    assert uploads == ["/upload/image"] * 6  # front and back of each, as the TP
    with project.store() as store:
        for app_id in (1001, 1002, 1003):
            assert store.get_submission(app_id, "account") is not None
            assert store.get_submission(app_id, "developer_config") is not None
        (run,) = store.list_runs(limit=1)
        assert run.status == "succeeded"
        assert [
            step.action for step in run.steps if step.app_id == 1001 and step.result != "in_review"
        ] == ["create_account", "submit_developer_config", "create_payment_service"]

    # A second apply does nothing: no write at all, exit 0, plan in sync.
    sandbox.clear_calls()
    again = apply_cli("apply", "--auto-approve", "--wait")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "No changes" in again.stdout
    assert writes(sandbox.calls()) == []
    assert apply_cli("plan", "--detailed-exitcode").returncode == 0


def test_without_wait_submits_and_reports_what_is_in_review(
    project: Project, apply_cli: Any, sandbox: Any
) -> None:
    sandbox.set_policy(1001, "manual")
    project.add("shop-a", 1001)

    process = apply_cli("apply", "--auto-approve", "--format", "json")
    assert process.returncode == 2, process.stdout + process.stderr
    shop = app_result(result_json(process), "shop-a")
    assert shop["status"] == "in_review"
    assert [p["section"] for p in shop["pending"]] == ["account"]
    # The developer config waits for the account's approval (Baidu answers 60016 before).
    assert writes(sandbox.calls(app_id=1001)) == ["/account/create"]

    # Still in review: apply submits nothing and says so again.
    sandbox.clear_calls()
    process = apply_cli("apply", "--auto-approve")
    assert process.returncode == 2
    assert "in review" in process.stdout
    assert writes(sandbox.calls()) == []

    # Approved meanwhile: the developer config goes; the create is tried and Baidu, still
    # reviewing the developer config, answers 60014: in review, not a failure.
    sandbox.approve(1001, "account")
    sandbox.clear_calls()
    process = apply_cli("apply", "--auto-approve")
    assert process.returncode == 2, process.stdout + process.stderr
    assert writes(sandbox.calls()) == ["/developconfig/submit"]
    assert refused(sandbox.calls()) == [("/paymentservice/create", 60014)]
    assert "developer config not approved yet" in process.stdout

    sandbox.approve(1001, "developer_config")
    sandbox.clear_calls()
    process = apply_cli("apply", "--auto-approve")
    assert process.returncode == 2, process.stdout + process.stderr
    assert writes(sandbox.calls()) == ["/paymentservice/create"]
    sandbox.approve(1001, "payment_service")
    assert apply_cli("apply", "--auto-approve").returncode == 0


def test_rejection_stops_with_reason_then_resubmission(
    project: Project, apply_cli: Any, sandbox: Any
) -> None:
    sandbox.set_policy(1001, "reject", section="account", reason="身份证照片模糊")
    document = project.add("shop-a", 1001)
    key = {"SMARTPAY_STATE_KEY": "test-state-key-apply"}  # lets the store keep uploaded image URLs

    process = apply_cli("apply", "--auto-approve", "--wait", env=key)
    assert process.returncode == 1, process.stdout + process.stderr
    assert "account: rejected by Baidu: 身份证照片模糊" in process.stdout
    assert "shop-a: account: rejected: 身份证照片模糊" in process.stderr
    assert "/paymentservice/create" not in writes(sandbox.calls())

    # Unchanged spec: still blocked, nothing resubmitted.
    sandbox.clear_calls()
    assert apply_cli("apply", "--auto-approve", "--wait", env=key).returncode == 1
    assert writes(sandbox.calls()) == []

    # The spec is fixed: the account is resubmitted (the same id-card files are not uploaded
    # again), approved, and onboarding completes. The developer config was never sent while
    # the account was not approved: it goes now, once.
    sandbox.set_policy(1001, None, section="account")
    document["account"]["business_detail_address"] = "上地十街 10 号 2 层"
    project.write_spec(document)
    process = apply_cli("apply", "--auto-approve", "--wait", env=key)
    assert process.returncode == 0, process.stdout + process.stderr
    assert writes(sandbox.calls()) == [
        "/account/create",
        "/developconfig/submit",
        "/paymentservice/create",
    ]
    assert "reused the earlier upload of id_card_front, id_card_back" in process.stdout


def test_update_paths_pick_the_right_endpoint(
    project: Project, apply_cli: Any, sandbox: Any
) -> None:
    project.add("shop-a", 1001)
    assert apply_cli("apply", "--auto-approve", "--wait").returncode == 0

    # Only no-audit fields: paymentservice/update, immediate, exit 0.
    sandbox.clear_calls()
    project.change_payment("shop-a", app_name="新小店", pool_cash_pledge=2000)
    process = apply_cli("apply", "--auto-approve")
    assert process.returncode == 0, process.stdout + process.stderr
    assert writes(sandbox.calls()) == ["/paymentservice/update"]
    assert sandbox.app_state(1001)["bind_service"]["app_name"] == "新小店"

    # An audited field: updatebindservice, then in review (exit 2) without --wait.
    sandbox.clear_calls()
    project.change_payment("shop-a", payment_days=14)
    process = apply_cli("apply", "--auto-approve")
    assert process.returncode == 2, process.stdout + process.stderr
    assert writes(sandbox.calls()) == ["/paymentservice/updatebindservice"]

    # Both kinds at once, with --wait: the no-audit update first, then the audited one.
    sandbox.settle()
    sandbox.clear_calls()
    project.change_payment("shop-a", service_phone="13900139000", day_max_frozen_amount=8000)
    process = apply_cli("apply", "--auto-approve", "--wait")
    assert process.returncode == 0, process.stdout + process.stderr
    assert writes(sandbox.calls()) == [
        "/paymentservice/update",
        "/paymentservice/updatebindservice",
    ]
    assert "/paymentservice/auditstatus" in paths(sandbox.calls())
    bound = sandbox.app_state(1001)["bind_service"]
    assert (bound["service_phone"], bound["day_max_frozen_amount"], bound["open_status"]) == (
        "13900139000",
        8000,
        2,
    )


def test_saved_plan_applies_and_stale_plan_is_refused(
    project: Project, apply_cli: Any, sandbox: Any
) -> None:
    project.add("shop-a", 1001)
    project.add("shop-b", 1002)
    assert apply_cli("apply", "--auto-approve", "--wait").returncode == 0

    # A saved plan is applied as it is (no prompt needed: saving it was the review).
    project.change_payment("shop-a", app_name="新名字")
    assert apply_cli("plan", "--out", "plan.json").returncode == 0
    sandbox.clear_calls()
    process = apply_cli("apply", "plan.json")
    assert process.returncode == 0, process.stdout + process.stderr
    assert writes(sandbox.calls()) == ["/paymentservice/update"]

    # The world moved after the plan was saved: refused per mini-program, nothing written.
    project.change_payment("shop-a", app_name="再改名")
    project.change_payment("shop-b", app_name="乙店")
    assert apply_cli("plan", "--out", "plan.json").returncode == 0
    assert (
        apply_cli("apply", "--auto-approve", "--app", "shop-b").returncode == 0
    )  # changes shop-b remotely
    project.change_payment("shop-a", app_name="第三个名字")  # and shop-a's spec changes
    sandbox.clear_calls()
    process = apply_cli("apply", "plan.json", "--format", "json")
    assert process.returncode == 1, process.stdout + process.stderr
    document = result_json(process)
    for app in ("shop-a", "shop-b"):
        entry = app_result(document, app)
        assert entry["status"] == "refused"
        assert entry["errors"][0].startswith("stale plan: run plan again")
    assert writes(sandbox.calls()) == []


def test_refuses_without_confirmation_when_not_a_terminal(
    project: Project, apply_cli: Any, sandbox: Any
) -> None:
    project.add("shop-a", 1001)
    process = apply_cli("apply")
    assert process.returncode == 1
    assert "--auto-approve" in process.stderr
    assert "Traceback" not in process.stderr
    assert sandbox.calls() == []


def test_money_guard_consent_and_threshold(project: Project, apply_cli: Any, sandbox: Any) -> None:
    apps = [f"shop-{letter}" for letter in "abcd"]
    for number, app in enumerate(apps):
        project.add(app, 1001 + number)
    assert apply_cli("apply", "--auto-approve", "--wait").returncode == 0

    # One payout change without consent: that mini-program is refused, the others go on.
    project.change_payment("shop-a", bank_card=NEW_BANK_CARD)
    project.change_payment("shop-b", app_name="乙店")  # no payout change
    sandbox.clear_calls()
    process = apply_cli("apply", "--auto-approve", "--format", "json")
    assert process.returncode == 1, process.stdout + process.stderr
    document = result_json(process)
    shop_a = app_result(document, "shop-a")
    assert shop_a["status"] == "refused"
    assert "--allow-payout-change shop-a" in shop_a["errors"][0]
    assert app_result(document, "shop-b")["status"] == "done"
    assert [c["app_id"] for c in sandbox.calls() if c["method"] == "POST"] == [1002]
    assert NEW_BANK_CARD not in process.stdout + process.stderr

    # Payout changes in 3 of 4 (75% > the default 25%): the whole run is refused, even with
    # consent for each, unless --force.
    for app in apps[1:3]:
        project.change_payment(app, open_city="朝阳区")
    consent = [arg for app in apps[:3] for arg in ("--allow-payout-change", app)]
    sandbox.clear_calls()
    process = apply_cli("apply", "--auto-approve", *consent)
    assert process.returncode == 1, process.stdout + process.stderr
    assert "3 of 4 managed mini-programs (75%) would change where payouts go" in process.stderr
    assert "--force" in process.stderr
    assert writes(sandbox.calls()) == []

    process = apply_cli("apply", "--auto-approve", "--force", *consent)
    assert process.returncode == 2, process.stdout + process.stderr
    assert "Warning: --force" in process.stderr
    assert sorted(
        c["app_id"] for c in sandbox.calls() if c["path"].endswith("/updatebindservice")
    ) == [1001, 1002, 1003]
    assert NEW_BANK_CARD not in process.stdout + process.stderr


def test_wait_timeout_reports_what_is_still_in_review(
    project: Project, apply_cli: Any, sandbox: Any
) -> None:
    sandbox.set_policy(1001, "manual")  # nobody decides the audit
    project.add("shop-a", 1001)
    process = apply_cli(
        "apply", "--auto-approve", "--wait", "--wait-timeout", "1s", "--format", "json"
    )
    assert process.returncode == 2, process.stdout + process.stderr
    assert "shop-a: account: still in review, stopped waiting (--wait-timeout)" in process.stderr
    shop = app_result(result_json(process), "shop-a")
    assert shop["pending"] == [
        {"section": "account", "detail": "account still in review when --wait-timeout ran out"}
    ]
    assert "/paymentservice/create" not in writes(sandbox.calls())
