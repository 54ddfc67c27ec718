"""`smartpay-apply plan` end to end: the real CLI in a subprocess, the sandbox over real HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from smartpay_apply.engine.planfile import load_plan
from tests.engine.factory import SECRETS
from tests.plan.project import Project
from tests.support.projects import spec_document


@pytest.fixture
def sandbox(sandbox_factory):  # type: ignore[no-untyped-def]
    """Audits decided only when a test says so."""
    return sandbox_factory(audit_policy="manual")


@pytest.fixture
def project(tmp_path: Path, sandbox) -> Project:  # type: ignore[no-untyped-def]
    return Project(tmp_path / "project", sandbox.base_url)


def actions(document: dict, app: str) -> list[str]:  # type: ignore[type-arg]
    (found,) = [a for a in document["apps"] if a["app"] == app]
    return [f"{s['action']} {s['section']}" for s in found["steps"]]


def test_fresh_apps_plan_create_steps(project: Project, run_cli, sandbox) -> None:  # type: ignore[no-untyped-def]
    project.write_spec(spec_document("shop-a", 1001))
    project.write_spec(spec_document("shop-b", 1002))
    result = run_cli("plan", cwd=project.root)
    assert result.returncode == 0, result.stderr  # pending changes are success without the flag
    assert "+! create_account (account/create, audited)" in result.stdout
    assert result.stdout.count("+! create_payment_service (paymentservice/create, audited)") == 2
    assert result.stdout.splitlines()[-1] == (
        "Plan: 4 to create, 2 to submit, 0 to update (0 audited), 2 waiting, 0 blocked; 0 in sync."
    )

    result = run_cli("plan", "--format", "json", cwd=project.root)
    document = json.loads(result.stdout)
    assert actions(document, "shop-a") == [
        "create_account account",
        "wait account",
        "submit_developer_config developer_config",
        "create_payment_service payment_service",
    ]
    # plan only reads
    assert {call["method"] for call in sandbox.calls()} == {"GET"}


def test_detailed_exitcode(project: Project, run_cli, sandbox) -> None:  # type: ignore[no-untyped-def]
    document = project.onboard(sandbox, spec_document("shop-a", 1001))
    result = run_cli("plan", "--detailed-exitcode", cwd=project.root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No changes: every mini-program matches its spec." in result.stdout

    document["payment_service"]["app_name"] = "新名字"
    project.write_spec(document)
    result = run_cli("plan", "--detailed-exitcode", cwd=project.root)
    assert result.returncode == 2, result.stderr
    assert '~ app_name: "小店支付" -> "新名字"' in result.stdout


def test_payout_change_and_audited_update_against_real_remote(
    project: Project, run_cli, sandbox
) -> None:  # type: ignore[no-untyped-def]
    document = project.onboard(sandbox, spec_document("shop-a", 1001))
    document["payment_service"].update(
        bank_card="6222020200112233445", service_phone="010-62345678"
    )
    project.write_spec(document)
    result = run_cli("plan", "--format", "json", cwd=project.root)
    plan = json.loads(result.stdout)
    assert actions(plan, "shop-a") == [
        "update_payment_service payment_service",
        "update_bind_service payment_service",
    ]
    bind = plan["apps"][0]["steps"][1]
    assert bind["changes"] == [
        {
            "field": "bank_card",
            "old": "****6543",
            "new": "****3445",
            "sensitive": True,
            "payout": True,
        }
    ]


def test_a_failing_app_is_an_error_the_others_still_plan(
    project: Project, run_cli, sandbox
) -> None:  # type: ignore[no-untyped-def]
    project.write_spec(spec_document("shop-a", 1001))
    project.write_spec(spec_document("shop-b", 1002, token="not-a-valid-token"))
    result = run_cli("plan", "--detailed-exitcode", cwd=project.root)
    assert result.returncode == 1
    assert "shop-a (app_id 1001)" in result.stdout and "+! create_account" in result.stdout
    assert "shop-b (app_id 1002)\n  ✗ error: could not observe this mini-program:" in result.stdout
    assert "Error: 1 mini-program(s) could not be observed: shop-b" in result.stderr
    assert "Traceback" not in result.stderr
    assert "not-a-valid-token" not in result.stdout + result.stderr


def test_app_filter(project: Project, run_cli) -> None:  # type: ignore[no-untyped-def]
    project.write_spec(spec_document("shop-a", 1001))
    project.write_spec(spec_document("shop-b", 1002))
    project.write_spec(spec_document("shop-c", 1003))
    result = run_cli(
        "plan", "--format", "json", "--app", "shop-b", "--app", "1003", cwd=project.root
    )
    assert result.returncode == 0, result.stderr
    assert [a["app"] for a in json.loads(result.stdout)["apps"]] == ["shop-b", "shop-c"]

    result = run_cli("plan", "--app", "shop-x", cwd=project.root)
    assert result.returncode == 1
    assert (
        "--app shop-x: no such mini-program in the specs (known: shop-a, shop-b, shop-c)"
        in result.stderr
    )


def test_out_file(project: Project, run_cli) -> None:  # type: ignore[no-untyped-def]
    project.write_spec(spec_document("shop-a", 1001))
    out = project.root / "plans" / "pr-1.json"
    result = run_cli("plan", "--out", str(out), cwd=project.root)
    assert result.returncode == 0, result.stderr
    assert f"Saved the plan to {out}" in result.stderr
    saved = load_plan(out)
    (app,) = saved.plan.apps
    assert app.app == "shop-a" and app.observed_checksum.startswith("sha256:")
    assert app.desired_checksum.startswith("sha256:")
    assert [s.action.value for s in app.steps] == [
        "create_account",
        "wait",
        "submit_developer_config",
        "create_payment_service",
    ]
    document = json.loads(out.read_text())
    assert document["format_version"] == 1 and document["kind"] == "smartpay-apply plan"
    # same world, same spec: the same checksums; a changed spec changes the desired checksum
    again = project.root / "again.json"
    run_cli("plan", "--out", str(again), cwd=project.root)
    assert load_plan(again).plan.apps[0].observed_checksum == app.observed_checksum
    project.write_spec(spec_document("shop-a", 1001, payment={"app_name": "别的名字"}))
    run_cli("plan", "--out", str(again), cwd=project.root)
    changed = load_plan(again).plan.apps[0]
    assert changed.observed_checksum == app.observed_checksum
    assert changed.desired_checksum != app.desired_checksum


def test_no_secret_in_any_format_or_plan_file(project: Project, run_cli, sandbox) -> None:  # type: ignore[no-untyped-def]
    document = project.onboard(sandbox, spec_document("shop-a", 1001))
    document["payment_service"]["bank_card"] = "6222020200112233445"  # remote keeps the old card
    document["account"]["legal_person"] = "李四"  # approved account changed: manual
    project.write_spec(document)
    project.write_spec(spec_document("shop-b", 1002))  # fresh: every secret in a create step
    out = project.root / "plan.json"
    outputs = [run_cli("plan", "--out", str(out), cwd=project.root)]
    outputs += [run_cli("plan", "--format", fmt, cwd=project.root) for fmt in ("markdown", "json")]
    texts = [r.stdout + r.stderr for r in outputs] + [out.read_text()]
    secrets = [
        *SECRETS,
        "sandbox-1001",
        "sandbox-1002",
        document["account"]["id_card_front_url"],
        document["account"]["id_card_back_url"],
    ]
    for text in texts:
        for secret in secrets:
            assert secret not in text
    assert "****3445" in texts[0] and "****6543" in texts[0]
    markdown = outputs[1].stdout
    assert markdown.startswith("### smartpay-apply plan\n")
    assert "<summary>shop-b (1002): 4 step(s)</summary>" in markdown


@pytest.mark.slow
def test_colour_only_on_a_terminal_without_no_color(tmp_path: Path) -> None:
    """Run the CLI on a pseudo-terminal: colour by default, none with NO_COLOR (or in a pipe,
    which every other test here is)."""
    import os
    import pty
    import subprocess
    import sys

    project = Project(tmp_path / "project", "sandbox")  # the embedded sandbox: no server needed
    project.write_spec(spec_document("shop-a", 1001))

    def on_tty(**env: str) -> str:
        controller, terminal = pty.openpty()
        full_env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
        process = subprocess.Popen(
            [sys.executable, "-m", "smartpay_apply", "plan"],
            cwd=project.root,
            stdin=terminal,
            stdout=terminal,
            stderr=terminal,
            env={**full_env, **env},
        )
        os.close(terminal)
        chunks = []
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait(timeout=120)
        os.close(controller)
        return b"".join(chunks).decode()

    coloured = on_tty()
    assert "\x1b[" in coloured and "create_account" in coloured
    plain = on_tty(NO_COLOR="1")
    assert "\x1b[" not in plain and "create_account" in plain


def test_plan_out_where_no_file_can_be_written_is_a_clear_error(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "smartpay.yaml").write_text("version: 1\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("a file, not a directory\n", encoding="utf-8")
    result = run_cli("plan", "--out", "notes.txt/plan.json", cwd=tmp_path)
    assert result.returncode == 1
    assert "Internal error" not in result.stderr
    assert result.stderr.startswith(
        "Error: notes.txt/plan.json: cannot write the plan file there: "
    )


def _recorded(project: Project) -> tuple[dict[str, str], int]:
    """The account's recorded outcome per app, and how many observations the store keeps."""
    from smartpay_apply.config import load_project_config
    from smartpay_apply.state import open_store

    config = load_project_config(project.root, None)
    with open_store(config.state, base_dir=config.root) as store:
        outcomes = {
            str(record.app): record.outcome
            for record in store.list_submissions()
            if record.section == "account"
        }
        return outcomes, len(store.list_observations())


def test_a_spec_with_a_problem_read_last_fails_plan_before_any_write(
    project: Project, run_cli, sandbox
) -> None:  # type: ignore[no-untyped-def]
    """plan observes each mini-program while the later spec files are still read: a problem
    in the last file still fails the run with its message, prints no plan, and leaves the
    store as it was (the outcome the observation saw is not recorded, no observation kept)."""
    project.onboard(sandbox, spec_document("shop-a", 1001))  # approved at Baidu, pending here
    project.write_spec(spec_document("shop-b", 1002))
    broken = project.root / "specs" / "zz-broken.yaml"
    broken.write_text("app: shop-z\napp_id: not-a-number\n", encoding="utf-8")
    assert _recorded(project) == ({"shop-a": "pending"}, 0)

    result = run_cli("plan", "--format", "json", cwd=project.root)
    assert result.returncode == 1
    assert result.stdout == ""
    assert "zz-broken.yaml:2:" in result.stderr and "app_id" in result.stderr
    assert "Traceback" not in result.stderr
    assert _recorded(project) == ({"shop-a": "pending"}, 0)

    broken.unlink()
    result = run_cli("plan", "--format", "json", cwd=project.root)
    assert result.returncode == 0, result.stderr
    assert _recorded(project) == ({"shop-a": "approved"}, 2)


def test_plan_lists_apps_by_name_whatever_the_file_order(project: Project, run_cli) -> None:  # type: ignore[no-untyped-def]
    """Specs are planned as their files are read; the plan still lists them sorted by app."""
    for name, (app, app_id) in {
        "1": ("shop-z", 1001),
        "2": ("shop-m", 1002),
        "3": ("shop-a", 1003),
    }.items():
        text = json.dumps(spec_document(app, app_id), ensure_ascii=False)
        (project.root / "specs" / f"{name}.yaml").write_text(text, encoding="utf-8")
    for args in (
        ("plan", "--format", "json"),
        ("plan", "--format", "json", "--app", "shop-z", "--app", "shop-a"),
    ):
        result = run_cli(*args, cwd=project.root)
        assert result.returncode == 0, result.stderr
        apps = [a["app"] for a in json.loads(result.stdout)["apps"]]
        assert apps == (["shop-a", "shop-m", "shop-z"] if len(args) == 3 else ["shop-a", "shop-z"])
