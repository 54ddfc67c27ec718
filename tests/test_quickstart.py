"""The README's main job, as a user runs it: the quickstart project against the embedded sandbox.

validate -> plan (changes pending) -> apply --auto-approve --wait -> plan (nothing left).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

QUICKSTART = Path(__file__).resolve().parent.parent / "examples" / "quickstart"


@pytest.fixture
def quickstart(tmp_path: Path) -> Path:
    project = tmp_path / "quickstart"
    shutil.copytree(QUICKSTART, project, ignore=shutil.ignore_patterns(".smartpay"))
    return project


def test_quickstart_converges_from_nothing(run_cli, quickstart):
    validated = run_cli("validate", cwd=quickstart)
    assert validated.returncode == 0, validated.stderr
    assert validated.stdout.strip() == "3 specs valid"

    before = run_cli("plan", "--format", "json", "--detailed-exitcode", cwd=quickstart)
    assert before.returncode == 2, before.stderr
    plan = json.loads(before.stdout)
    actions = {app["app"]: [step["action"] for step in app["steps"]] for app in plan["apps"]}
    # Baidu's order: the developer config behind the account's approval, then the service.
    assert actions["cafe-shanghai"] == ["create_account", "wait", "submit_developer_config"]
    assert actions["shop-beijing"] == [
        "create_account",
        "wait",
        "submit_developer_config",
        "create_payment_service",
    ]

    applied = run_cli("apply", "--auto-approve", "--wait", "--wait-timeout", "120s", cwd=quickstart)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "3 done, 0 in review, 0 failed" in applied.stdout

    after = run_cli("plan", "--format", "json", "--detailed-exitcode", cwd=quickstart)
    assert after.returncode == 0, after.stdout + after.stderr
    assert all(app["steps"] == [] for app in json.loads(after.stdout)["apps"])

    again = run_cli("apply", "--auto-approve", cwd=quickstart)
    assert again.returncode == 0
    assert "0 failed" in again.stdout


def test_quickstart_outputs_never_show_planted_secrets(run_cli, quickstart):
    env = {
        "SHOP_BEIJING_BANK_CARD": "6214830199998888",
        "SHOP_BEIJING_LEGAL_ID": "11010519491231002X",
    }
    outputs = []
    for fmt in ("text", "markdown", "json"):
        result = run_cli(
            "plan", "--format", fmt, "--out", f"plan-{fmt}.json", cwd=quickstart, env=env
        )
        assert result.returncode == 0, result.stderr
        outputs += [result.stdout, result.stderr, (quickstart / f"plan-{fmt}.json").read_text()]
    blob = "\n".join(outputs)
    assert "6214830199998888" not in blob
    assert "11010519491231002X" not in blob
    assert "****8888" in blob  # the masked tail tells a reviewer which card
