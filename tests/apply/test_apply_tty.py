"""apply on a terminal: the confirmation prompt and typing the app's name for a payout change.

stdin is a real pseudo-terminal (pty), so the CLI sees a TTY exactly as it would for a person.
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from typing import Any

from tests.apply.project import NEW_BANK_CARD, Project, writes


def run_on_tty(project: Project, answers: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI with a pty as stdin, `answers` typed in advance (the line discipline buffers them)."""
    primary, secondary = pty.openpty()
    try:
        os.write(primary, answers.encode())
        env = {**os.environ, "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"}
        return subprocess.run(
            [sys.executable, "-m", "smartpay_apply", *args],
            cwd=project.root,
            env=env,
            stdin=secondary,
            capture_output=True,
            text=True,
            timeout=180,
        )
    finally:
        os.close(secondary)
        os.close(primary)


def test_terminal_confirmation_and_payout_consent(
    project: Project, apply_cli: Any, sandbox: Any
) -> None:
    project.add("shop-a", 1001)

    # Anything but "yes" cancels: nothing is written.
    process = run_on_tty(project, "no\n", "apply")
    assert process.returncode == 1, process.stdout + process.stderr
    assert "Do you want to perform these actions? Only 'yes' will be accepted." in process.stderr
    assert "Apply cancelled: nothing was changed." in process.stderr
    assert writes(sandbox.calls()) == []

    process = run_on_tty(project, "yes\n", "apply", "--wait")
    assert process.returncode == 0, process.stdout + process.stderr
    assert "/paymentservice/create" in writes(sandbox.calls())

    # A payout change: the wrong name refuses it (and nothing is left to confirm) ...
    project.change_payment("shop-a", bank_card=NEW_BANK_CARD)
    sandbox.clear_calls()
    process = run_on_tty(project, "shop-b\n", "apply")
    assert process.returncode == 1, process.stdout + process.stderr
    assert "shop-a (app_id 1001) changes where payouts go: bank_card." in process.stderr
    assert "--allow-payout-change shop-a" in process.stdout
    assert writes(sandbox.calls()) == []

    # ... typing it allows it, then "yes" runs it.
    process = run_on_tty(project, "shop-a\nyes\n", "apply")
    assert process.returncode == 2, process.stdout + process.stderr
    assert writes(sandbox.calls()) == ["/paymentservice/updatebindservice"]
    assert NEW_BANK_CARD not in process.stdout + process.stderr
