"""`smartpay-apply import --update` against the sandbox over real HTTP: the diff first, the
question (a terminal, --yes, or a refusal), and what is written or only reported."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.importing.fleet import console_values, fleet_project, git, open_in_console
from tests.support.cli import invoke

CARDS = {
    "SMARTPAY_APP_3001_BANK_CARD": str(console_values(0)["bank_card"]),
    "SMARTPAY_APP_3002_BANK_CARD": str(console_values(1)["bank_card"]),
}
HAND_WRITTEN = """\
# A shop written by hand before the import existed.
app: tea-hz
app_id: 3003
credentials:
  access_token: ${env:TEA_TOKEN:-sandbox-3003}   # its own token

payment_service:
  app_name: '小店 2 号'          # single quotes, kept
  service_phone: "4008001234"
  bank_account: 第2号商贸有限公司
  bank_card: ${env:TEA_CARD:-6214830100000002}
  bank_name: 建设银行
  bank_branch: 建设银行杭州市第2支行
  open_province: 浙江省
  open_city: 杭州市
  payment_days: 14
  pool_cash_pledge: "200"        # a quoted number stays quoted
  day_max_frozen_amount: 9998
"""


@pytest.fixture
def sandbox(sandbox_factory: Any) -> Any:
    handle = sandbox_factory(quirks=("numbers_as_strings", "padded_strings", "decimal_amounts"))
    for index, app_id in enumerate((3001, 3002, 3003)):
        open_in_console(handle, app_id, console_values(index))
    return handle


@pytest.fixture
def root(sandbox: Any, tmp_path: Path) -> Path:
    project = fleet_project(tmp_path / "project", sandbox.base_url)
    assert invoke("import", "3001", "3002", cwd=project).returncode == 0
    (project / "specs" / "tea-hz.yaml").write_text(HAND_WRITTEN, encoding="utf-8")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "specs")
    return project


def run_on_tty(root: Path, answer: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI with a pseudo-terminal as stdin and `answer` typed in advance."""
    primary, secondary = pty.openpty()
    try:
        os.write(primary, answer.encode())
        return subprocess.run(
            [sys.executable, "-m", "smartpay_apply", *args],
            cwd=root,
            env={**os.environ, "NO_COLOR": "1", **CARDS},
            stdin=secondary,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        os.close(secondary)
        os.close(primary)


def test_without_a_terminal_or_yes_the_diff_is_shown_and_nothing_written(
    root: Path, sandbox: Any
) -> None:
    sandbox.put_payment_service(3001, {"app_name": "新名字"})
    result = invoke("import", "--update", cwd=root, env=CARDS)
    assert result.returncode == 1
    assert '~ app-3001 (3001): payment_service.app_name: "小店 0 号" -> "新名字"' in result.stdout
    assert "-  app_name: 小店 0 号\n+  app_name: 新名字\n" in result.stdout
    assert "confirm on a terminal, or pass --yes (nothing was written)" in result.stderr
    assert git(root, "status", "--porcelain") == ""


def test_on_a_terminal_only_yes_writes(root: Path, sandbox: Any) -> None:
    sandbox.put_payment_service(3002, {"bank_name": "中国银行"})
    refused = run_on_tty(root, "no\n", "import", "--update")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "Write these changes to 1 file(s)? Only 'yes' will be accepted." in refused.stderr
    assert "import --update cancelled: nothing was written" in refused.stderr
    assert git(root, "status", "--porcelain") == ""
    accepted = run_on_tty(root, "yes\n", "import", "--update")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert "(a payout field: Baidu already pays there)" in accepted.stdout
    assert "Updated specs/app-3002.yaml" in accepted.stdout
    assert git(root, "diff", "--numstat") == "1\t1\tspecs/app-3002.yaml\n"


def test_a_hand_written_spec_keeps_its_comments_quotes_and_references(
    root: Path, sandbox: Any
) -> None:
    sandbox.put_payment_service(3003, {"app_name": "龙井 新茶舍", "pool_cash_pledge": 300})
    result = invoke("import", "--update", "tea-hz", "--yes", cwd=root, env=CARDS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert git(root, "diff", "--numstat") == "2\t2\tspecs/tea-hz.yaml\n"
    assert (root / "specs" / "tea-hz.yaml").read_text(encoding="utf-8") == HAND_WRITTEN.replace(
        "app_name: '小店 2 号'", "app_name: '龙井 新茶舍'"
    ).replace('pool_cash_pledge: "200"', 'pool_cash_pledge: "300"')
    assert "6214830100000002" not in result.stdout + result.stderr  # the default's card
    plan = invoke("plan", "--detailed-exitcode", cwd=root, env=CARDS)
    assert plan.returncode == 0, plan.stdout + plan.stderr


def test_a_changed_card_is_reported_and_never_written(root: Path, sandbox: Any) -> None:
    new_card = "6222021202041234567"
    sandbox.put_payment_service(3001, {"bank_card": new_card})
    result = invoke("import", "--update", "--yes", cwd=root, env=CARDS)
    assert result.returncode == 0, result.stderr
    assert (
        "! app-3001 (3001): payment_service.bank_card changed at Baidu (****0000 -> ****4567): "
        "set SMARTPAY_APP_3001_BANK_CARD to Baidu's value; a sensitive value is never written "
        "into a file"
    ) in result.stderr
    assert "Nothing to write" in result.stdout
    assert new_card not in result.stdout + result.stderr
    assert git(root, "status", "--porcelain") == ""
    env = {**CARDS, "SMARTPAY_APP_3001_BANK_CARD": new_card}
    assert invoke("plan", "--detailed-exitcode", cwd=root, env=env).returncode == 0


def test_dry_run_and_named_apps(root: Path, sandbox: Any) -> None:
    sandbox.put_payment_service(3001, {"app_name": "一号"})
    sandbox.put_payment_service(3002, {"app_name": "二号"})
    dry = invoke("import", "--update", "--dry-run", cwd=root, env=CARDS)
    assert dry.returncode == 0, dry.stderr
    assert "Dry run: 2 file(s) would change; nothing written." in dry.stdout
    assert git(root, "status", "--porcelain") == ""
    one = invoke("import", "--update", "3002", "--yes", cwd=root, env=CARDS)
    assert one.returncode == 0, one.stderr
    assert git(root, "diff", "--numstat") == "1\t1\tspecs/app-3002.yaml\n"
    unknown = invoke("import", "--update", "nope", "--yes", cwd=root, env=CARDS)
    assert unknown.returncode == 1
    assert "APP nope: no such mini-program in the specs" in unknown.stderr
