"""`smartpay-apply import` against the sandbox over real HTTP (the CLI in this process): what is
written, skipped or refused, where secrets go, and what plan then shows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.engine.factory import account_values, developer_values
from tests.importing.fleet import (
    console_values,
    fleet_project,
    open_in_console,
    secrets_env,
)
from tests.support.cli import invoke


@pytest.fixture
def sandbox(sandbox_factory: Any) -> Any:
    """Three mini-programs opened in the console; 3004 has an approved account only."""
    handle = sandbox_factory(quirks=("numbers_as_strings", "padded_strings"))
    for index, app_id in enumerate((3001, 3002, 3003)):
        open_in_console(handle, app_id, console_values(index))
    handle.set_account_status(3004, 4)
    return handle


@pytest.fixture
def root(sandbox: Any, tmp_path: Path) -> Path:
    return fleet_project(tmp_path / "project", sandbox.base_url)


def card(index: int) -> str:
    return str(console_values(index)["bank_card"])


def test_without_a_secrets_file_the_variables_are_listed_without_values(root: Path) -> None:
    result = invoke("import", "3001", "3002", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "Set these environment variables before plan" in result.stdout
    assert (
        "  SMARTPAY_APP_3001_BANK_CARD  app-3001 payment_service.bank_card (Baidu's: ****0000)"
        in (result.stdout)
    )
    assert card(0) not in result.stdout + result.stderr
    assert card(1) not in result.stdout + result.stderr
    plan = invoke(
        "plan",
        "--detailed-exitcode",
        cwd=root,
        env={"SMARTPAY_APP_3001_BANK_CARD": card(0), "SMARTPAY_APP_3002_BANK_CARD": card(1)},
    )
    assert plan.returncode == 0, plan.stdout + plan.stderr


def test_importing_twice_changes_nothing(root: Path) -> None:
    first = invoke("import", "3001", cwd=root)
    assert first.returncode == 0, first.stderr
    path = root / "specs" / "app-3001.yaml"
    before = (path.read_text(encoding="utf-8"), path.stat().st_mtime_ns)
    again = invoke("import", "3001", "app-3001", cwd=root)  # by app_id and by name
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[0] == (
        "= app-3001 (3001): already has a spec (specs/app-3001.yaml): skipped"
    )
    assert "Imported 0 mini-program(s); 1 skipped (already have a spec), 0 not imported." in (
        again.stdout
    )
    assert (path.read_text(encoding="utf-8"), path.stat().st_mtime_ns) == before


def test_a_taken_file_name_is_an_error_and_the_others_are_imported(root: Path) -> None:
    other = root / "specs" / "app-3002.yaml"
    other.write_text("app: hand-made\napp_id: 9999\n", encoding="utf-8")
    result = invoke("import", "3001", "3002", "3003", cwd=root)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "Error: app-3002 (3002): specs/app-3002.yaml already exists and is not this "
        "mini-program's spec: choose other names with --name-template (e.g. --name-template "
        "'shop-{app_id}')"
    )
    assert other.read_text(encoding="utf-8") == "app: hand-made\napp_id: 9999\n"
    assert (root / "specs" / "app-3001.yaml").is_file()
    assert (root / "specs" / "app-3003.yaml").is_file()
    named = invoke("import", "3002", "--name-template", "shop-{app_id}", cwd=root)
    assert named.returncode == 0, named.stderr
    assert "app: shop-3002\n" in (root / "specs" / "shop-3002.yaml").read_text(encoding="utf-8")


def test_a_name_another_spec_uses_is_an_error(root: Path) -> None:
    (root / "specs" / "hand.yaml").write_text("app: app-3001\napp_id: 9999\n", encoding="utf-8")
    result = invoke("import", "3001", cwd=root)
    assert result.returncode == 1
    assert "app-3001 (3001): the name app-3001 is taken by specs/hand.yaml (app_id 9999)" in (
        result.stderr
    )
    assert not (root / "specs" / "app-3001.yaml").exists()


def test_from_file_names_and_dry_run_writes_nothing(root: Path, sandbox: Any) -> None:
    listing = root / "fleet.txt"
    listing.write_text("3001 shop-beijing\n3002\n", encoding="utf-8")
    result = invoke(
        "import", "--from-file", "fleet.txt", "--dry-run", "--secrets-file", "secrets.env", cwd=root
    )
    assert result.returncode == 0, result.stderr
    assert "+ specs/shop-beijing.yaml  shop-beijing (3001): payment service approved" in (
        result.stdout
    )
    assert "    bank_card: ${env:SMARTPAY_SHOP_BEIJING_BANK_CARD}" in result.stdout
    assert "Would import 2 mini-program(s)" in result.stdout
    assert "Dry run: nothing written." in result.stdout
    assert list((root / "specs").iterdir()) == []
    assert not (root / "secrets.env").exists()
    assert card(0) not in result.stdout + result.stderr


def test_a_secrets_file_git_would_pick_up_is_refused_before_anything(
    root: Path, sandbox: Any
) -> None:
    sandbox.clear_calls()
    result = invoke("import", "3001", "--secrets-file", "cards.env", cwd=root)
    assert result.returncode == 1
    assert "is inside the git work tree" in result.stderr and "not ignored" in result.stderr
    assert sandbox.calls() == []
    assert list((root / "specs").iterdir()) == []


def test_the_secrets_file_sets_what_plan_needs(root: Path) -> None:
    result = invoke("import", "3001", "3003", "--secrets-file", "secrets.env", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "Wrote 2 sensitive value(s) to secrets.env (mode 0600" in result.stdout
    env = secrets_env(root / "secrets.env")
    assert env == {"SMARTPAY_APP_3001_BANK_CARD": card(0), "SMARTPAY_APP_3003_BANK_CARD": card(2)}
    plan = invoke("plan", "--detailed-exitcode", cwd=root, env=env)
    assert plan.returncode == 0, plan.stdout + plan.stderr


def test_adding_the_sections_baidu_cannot_return_plans_an_adopt_for_each(root: Path) -> None:
    assert invoke("import", "3001", cwd=root).returncode == 0
    path = root / "specs" / "app-3001.yaml"
    sections = {"account": account_values(), "developer_config": developer_values()}
    path.write_text(path.read_text(encoding="utf-8") + _yaml_sections(sections), encoding="utf-8")
    plan = invoke(
        "plan", "--format", "json", cwd=root, env={"SMARTPAY_APP_3001_BANK_CARD": card(0)}
    )
    assert plan.returncode == 0, plan.stderr
    (app,) = json.loads(plan.stdout)["apps"]
    assert [(s["action"], s["section"]) for s in app["steps"]] == [
        ("adopt", "account"),
        ("adopt", "developer_config"),
    ]


def _yaml_sections(sections: dict[str, dict[str, Any]]) -> str:
    """The sections as YAML lines (JSON values are YAML flow scalars)."""
    lines = []
    for name, values in sections.items():
        lines.append(f"{name}:")
        lines += [f"  {k}: {json.dumps(v, ensure_ascii=False)}" for k, v in values.items()]
    return "\n".join(lines) + "\n"


def test_a_mini_program_without_a_service_gets_a_spec_managing_nothing(root: Path) -> None:
    result = invoke("import", "3004", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "app-3004 (3004): Baidu reports no payment service: the spec manages nothing yet" in (
        result.stdout
    )
    text = (root / "specs" / "app-3004.yaml").read_text(encoding="utf-8")
    assert "payment_service:\n" not in text
    assert invoke("plan", "--detailed-exitcode", cwd=root).returncode == 0


def test_what_cannot_be_imported_is_said_and_the_rest_imported(root: Path) -> None:
    result = invoke("import", "3001", "4999", "shop-nowhere", cwd=root)
    assert result.returncode == 1
    assert (
        "Error: app-4999 (4999): Baidu reports neither a payment account nor a payment service "
        "for it: nothing to import (is the app_id right?)"
    ) in result.stderr
    assert (
        "Error: shop-nowhere: not an app_id, and no spec has that name (import takes the app "
        "ids of mini-programs without a spec)"
    ) in result.stderr
    assert sorted(p.name for p in (root / "specs").iterdir()) == ["app-3001.yaml"]


def test_without_project_credentials_nothing_is_read(
    root: Path, sandbox: Any, tmp_path: Path
) -> None:
    bare = fleet_project(tmp_path / "bare", sandbox.base_url, credentials={"tp_access_token": "x"})
    sandbox.clear_calls()
    result = invoke("import", "3001", cwd=bare)
    assert result.returncode == 1
    assert "the project-wide `credentials:` default of smartpay.yaml" in result.stderr
    assert sandbox.calls() == []


def test_a_directory_plan_would_not_read_is_refused(root: Path) -> None:
    result = invoke("import", "3001", "--dir", "elsewhere", cwd=root)
    assert result.returncode == 1
    assert "are not matched by smartpay.yaml's specs: ['specs/**/*.yaml']" in result.stderr
    assert not (root / "elsewhere").exists()
    nested = invoke("import", "3001", "--dir", "specs/imported", cwd=root)
    assert nested.returncode == 0, nested.stderr
    assert (root / "specs" / "imported" / "app-3001.yaml").is_file()


def test_update_only_options_and_import_only_options_are_refused(root: Path) -> None:
    assert "--yes applies to import --update" in invoke("import", "3001", "--yes", cwd=root).stderr
    assert "--dir applies to import, not to import --update" in (
        invoke("import", "--update", "--dir", "x", cwd=root).stderr
    )
    empty = invoke("import", cwd=root)
    assert empty.returncode == 1
    assert "name the mini-programs to import" in empty.stderr


def test_the_tp_flow_as_the_project_default(
    sandbox_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Credentials of the tp: flow: authorized with `auth add APP_ID` before any spec exists,
    imported, then planned with the same default (the spec has no credentials of its own)."""
    from smartpay_apply.credentials import vault
    from smartpay_apply.state import open_store

    env = {"SMARTPAY_STATE_KEY": "import-test-state-key"}
    monkeypatch.setenv("SMARTPAY_STATE_KEY", env["SMARTPAY_STATE_KEY"])
    sandbox = sandbox_factory(tp_client_id="import-client", quirks=("numbers_as_strings",))
    open_in_console(sandbox, 3201, console_values(5))
    root = fleet_project(
        tmp_path / "tp",
        sandbox.base_url,
        events={"tp_client_id": "import-client"},
        credentials={"tp": {}},
    )
    with open_store(".smartpay/state.db", base_dir=root) as store:
        vault.write(store, vault.TICKET_KEY, vault.Expiring(sandbox.tp_ticket(), None))
    code = sandbox.tp_authorize(3201)
    added = invoke("auth", "add", "3201", "--authorization-code", code, cwd=root, env=env)
    assert added.returncode == 0, added.stderr

    imported = invoke("import", "3201", cwd=root, env=env)
    assert imported.returncode == 0, imported.stderr
    text = (root / "specs" / "app-3201.yaml").read_text(encoding="utf-8")
    assert "\ncredentials:" not in text  # the spec relies on the project's default
    plan = invoke(
        "plan",
        "--detailed-exitcode",
        cwd=root,
        env={**env, "SMARTPAY_APP_3201_BANK_CARD": card(5)},
    )
    assert plan.returncode == 0, plan.stdout + plan.stderr
