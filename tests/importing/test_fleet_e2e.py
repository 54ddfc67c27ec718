"""The proof of issue 19, end to end: the real CLI (subprocesses) against the sandbox over real
HTTP, serving a real server's formatting (numbers as strings, padded text, "500.00" amounts).

Fifty mini-programs are opened directly in the sandbox's console (its admin API; never through
this tool). `import` writes their specs, and plan then sees nothing to do; three are changed
in the console (one payout field among them); `import --update --yes` rewrites exactly those
three fields in place, git shows nothing else, and plan sees nothing to do again. No bank card
reaches a spec file or any output.
"""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

from tests.importing.fleet import (
    QUIRKS,
    console_values,
    fleet_project,
    git,
    open_in_console,
    secrets_env,
)

FLEET = list(range(30001, 30051))


def test_fifty_mini_programs_opened_by_hand_come_under_management(
    sandbox_factory: Any, run_cli: Any, tmp_path: Path
) -> None:
    sandbox = sandbox_factory(quirks=QUIRKS)
    cards = []
    for index, app_id in enumerate(FLEET):
        values = console_values(index)
        open_in_console(sandbox, app_id, values)
        cards.append(values["bank_card"])
    root = fleet_project(tmp_path / "fleet", sandbox.base_url)
    sandbox.clear_calls()

    imported = run_cli("import", *map(str, FLEET), "--secrets-file", "secrets.env", cwd=root)
    assert imported.returncode == 0, imported.stderr
    assert f"Imported {len(FLEET)} mini-program(s); 0 skipped" in imported.stdout
    writes = [c for c in sandbox.calls() if c["method"] != "GET"]
    assert writes == []  # read calls only
    specs = sorted((root / "specs").glob("*.yaml"))
    assert [p.name for p in specs] == [f"app-{app_id}.yaml" for app_id in FLEET]
    secrets = root / "secrets.env"
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    env = secrets_env(secrets)
    assert sorted(env.values()) == sorted(cards)
    texts = [p.read_text(encoding="utf-8") for p in specs]
    no_secret_in(cards, imported.stdout, imported.stderr, *texts)
    assert "  pool_cash_pledge: 1700\n" in (root / "specs" / "app-30018.yaml").read_text()

    plan = run_cli("plan", "--detailed-exitcode", cwd=root, env=env)
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert f"{len(FLEET)} in sync" in plan.stdout
    no_secret_in(cards, plan.stdout, plan.stderr)

    git(root, "add", "specs")
    git(root, "commit", "-q", "-m", "import the fleet")

    # Three changes made by hand in the console, a payout field (the branch) among them.
    sandbox.put_payment_service(30004, {"app_name": "改名后的 小店"})
    sandbox.put_payment_service(30018, {"bank_branch": "工商银行上海陆家嘴支行"})
    sandbox.put_payment_service(30043, {"pool_cash_pledge": 9000})
    drift = run_cli("plan", "--detailed-exitcode", cwd=root, env=env)
    assert drift.returncode == 2, drift.stdout + drift.stderr

    updated = run_cli("import", "--update", "--yes", cwd=root, env=env)
    assert updated.returncode == 0, updated.stdout + updated.stderr
    no_secret_in(cards, updated.stdout, updated.stderr)
    assert git(root, "diff", "--numstat").splitlines() == [
        "1\t1\tspecs/app-30004.yaml",
        "1\t1\tspecs/app-30018.yaml",
        "1\t1\tspecs/app-30043.yaml",
    ]
    assert changed(git(root, "diff", "-U0")) == [
        "-  app_name: 小店 3 号",
        "+  app_name: 改名后的 小店",
        "-  bank_branch: 工商银行浦东新区第17支行",
        "+  bank_branch: 工商银行上海陆家嘴支行",
        "-  pool_cash_pledge: 4200",
        "+  pool_cash_pledge: 9000",
    ]

    again = run_cli("plan", "--detailed-exitcode", cwd=root, env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    accepted = git(root, "diff")
    nothing = run_cli("import", "--update", "--yes", cwd=root, env=env)
    assert nothing.returncode == 0, nothing.stderr
    assert "Nothing to write" in nothing.stdout
    assert git(root, "diff") == accepted


def changed(diff: str) -> list[str]:
    return [
        line
        for line in diff.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def no_secret_in(cards: list[str], *texts: str) -> None:
    for text in texts:
        for card in cards:
            assert card not in text
