"""`smartpay-apply output APP` end to end against the sandbox over HTTP."""

from __future__ import annotations

import json
from pathlib import Path

from tests.plan.project import Project
from tests.support.projects import spec_document


def test_output_prints_the_integration_values(tmp_path: Path, sandbox_factory, run_cli) -> None:  # type: ignore[no-untyped-def]
    sandbox = sandbox_factory(audit_policy="manual")
    project = Project(tmp_path / "project", sandbox.base_url)
    project.onboard(sandbox, spec_document("shop-a", 1001))
    project.write_spec(spec_document("shop-b", 1002))
    remote = sandbox.app_state(1001)["payment_service"]  # the sandbox record holds the outputs

    result = run_cli("output", "shop-a", "--format", "json", cwd=project.root)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["app"] == "shop-a" and values["app_id"] == 1001
    for name in ("pm_app_id", "pm_app_key", "deal_id", "platform_public_key"):
        assert values[name] == remote[name] and values[name]

    text = run_cli("output", "1001", cwd=project.root)
    assert text.returncode == 0, text.stderr
    assert f"  pm_app_id            {remote['pm_app_id']}" in text.stdout
    assert "  pm_app_key           (sensitive: shown with --format json)" in text.stdout
    assert str(remote["pm_app_key"]) not in text.stdout

    missing = run_cli("output", "shop-b", cwd=project.root)
    assert missing.returncode == 1
    assert "shop-b: no payment service is bound yet (Baidu reports none)" in missing.stderr


def test_output_of_an_unknown_app_names_the_argument_not_an_option(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    project = Project(tmp_path / "project", "http://127.0.0.1:9")
    project.write_spec(spec_document("shop-a", 1001))
    result = run_cli("output", "shop-x", cwd=project.root)
    assert result.returncode == 1
    assert result.stderr == "Error: APP shop-x: no such mini-program in the specs (known: shop-a)\n"
