"""A fleet opened by hand in Baidu's console (the sandbox's console route, never this tool),
and a git-tracked project that imports it.

- `console_values(index)`: valid, varied payment-service values (a distinct bank card each);
- `open_in_console(sandbox, app_id, values)`: an approved account and an approved service;
- `fleet_project(root, base_url)`: smartpay.yaml whose only credentials are the project-wide
  `token_command` (it prints `sandbox-$SMARTPAY_APP_ID`), specs/, a git repository with
  `secrets.env` and `.smartpay/` ignored, committed;
- `git(root, *args)`, `secrets_env(path)` (the variables a secrets file sets).
"""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path
from typing import Any

from tests.support.projects import write_config

#: Every formatting quirk: numbers as strings, padded text, "500.00" amounts.
QUIRKS = ("numbers_as_strings", "padded_strings", "decimal_amounts")
TOKEN_COMMAND = "sh -c 'echo sandbox-$SMARTPAY_APP_ID'"
BANKS = ("招商银行", "工商银行", "建设银行", "中国银行")
PLACES = (("北京市", "海淀区"), ("上海市", "浦东新区"), ("浙江省", "杭州市"), ("广东省", "深圳市"))
PHONES = ("13514310000", "010-62881234", "4008001234", "0571-87654321")


def console_values(index: int) -> dict[str, Any]:
    """Valid payment-service values, different for each index (the card above all)."""
    province, city = PLACES[index % len(PLACES)]
    return {
        "app_name": f"小店 {index} 号",
        "service_phone": PHONES[index % len(PHONES)],
        "bank_account": f"第{index}号商贸有限公司",
        "bank_card": f"62148301{index:08d}",
        "bank_name": BANKS[index % len(BANKS)],
        "bank_branch": f"{BANKS[index % len(BANKS)]}{city}第{index}支行",
        "open_province": province,
        "open_city": city,
        "payment_days": (1, 7, 14, 28)[index % 4],
        "commission_rate": 6,
        "pool_cash_pledge": 100 * index,
        "day_max_frozen_amount": 10000 - index,
    }


def open_in_console(sandbox: Any, app_id: int, values: dict[str, Any]) -> None:
    sandbox.set_account_status(app_id, 4, "审核通过")
    sandbox.put_payment_service(app_id, values)


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.test", *args],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def fleet_project(root: Path, base_url: str, **settings: Any) -> Path:
    """A committed project at `root` whose credentials are the project-wide token_command."""
    root.mkdir(parents=True, exist_ok=True)
    settings.setdefault("credentials", {"token_command": TOKEN_COMMAND})
    write_config(root, base_url, **settings)
    (root / "specs").mkdir(exist_ok=True)
    (root / ".gitignore").write_text("secrets.env\n.smartpay/\n", encoding="utf-8")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "project")
    return root


def secrets_env(path: Path) -> dict[str, str]:
    """The variables a secrets file sets (what `set -a; . FILE` would export)."""
    found: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            (found[name],) = shlex.split(value)
    return found
