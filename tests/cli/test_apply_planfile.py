"""`plan --out p.yaml` then the printed `apply p.yaml` applies the plan (issue 14 item 11):
a saved plan is recognised by its content, whatever its name."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import REPO_ROOT
from tests.support.cli import invoke


def test_a_plan_saved_under_a_yaml_name_is_applied_as_a_plan(tmp_path: Path) -> None:
    project = tmp_path / "quickstart"
    shutil.copytree(
        REPO_ROOT / "examples" / "quickstart", project, ignore=shutil.ignore_patterns(".smartpay")
    )
    planned = invoke("plan", "--out", "p.yaml", cwd=project)
    assert planned.returncode == 0, planned.stderr
    assert "apply it with `smartpay-apply apply p.yaml`" in planned.stderr
    applied = invoke("apply", "p.yaml", cwd=project)
    # Applied as a saved plan: no confirmation asked (the plan was the review), the accounts
    # submitted and now in review.
    assert applied.returncode == 2, applied.stdout + applied.stderr
    assert "Apply complete: 3 mini-program(s): 0 done, 3 in review" in applied.stdout
