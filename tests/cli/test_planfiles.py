"""`is_plan_file`: a saved plan is recognised by its content, whatever the file is called."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from smartpay_apply.cli.planfiles import HEAD_BYTES, PLAN_KIND, is_plan_file
from smartpay_apply.engine.planfile import KIND, save_plan
from smartpay_apply.engine.steps import Plan
from smartpay_apply.timeutil import now
from tests.support.cli import invoke
from tests.support.projects import spec_document, write_config


def test_the_kind_is_the_one_plan_files_are_written_with() -> None:
    assert PLAN_KIND == KIND


@pytest.mark.parametrize("name", ["p.yaml", "plan.json", "plan", "specs.yml"])
def test_a_saved_plan_is_a_plan_whatever_its_name(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    save_plan(path, Plan(apps=()), created_at=now())
    assert is_plan_file(path)


def test_a_plan_written_by_the_cli_under_a_yaml_name(tmp_path: Path) -> None:
    (tmp_path / "specs").mkdir()
    write_config(tmp_path, "sandbox")
    (tmp_path / "specs" / "shop.yaml").write_text(json.dumps(spec_document("shop", 101)))
    result = invoke("plan", "--out", "p.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert is_plan_file(tmp_path / "p.yaml")
    assert not is_plan_file(tmp_path / "specs" / "shop.yaml")  # a spec in JSON form


def test_a_plan_with_reordered_keys_past_the_first_bytes(tmp_path: Path) -> None:
    document = {"apps": [{"note": "x" * (2 * HEAD_BYTES)}], "kind": KIND}
    path = tmp_path / "sorted.json"
    path.write_text(json.dumps(document, sort_keys=True))
    assert is_plan_file(path)


@pytest.mark.parametrize(
    "content",
    [
        "app: shop\napp_id: 101\n",
        "# kind: smartpay-apply plan\napp: shop\n",
        '{"app": "shop", "app_id": 101}',
        '{"kind": "something else"}',
        "",
        "\x00\x01binary",
    ],
)
def test_specs_and_other_files_are_not_plans(tmp_path: Path, content: str) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(content)
    assert not is_plan_file(path)


def test_missing_files_and_directories_are_not_plans(tmp_path: Path) -> None:
    assert not is_plan_file(tmp_path / "missing.json")
    assert not is_plan_file(tmp_path)
