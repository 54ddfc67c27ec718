"""`smartpay-apply state forget APP [--section S]`: Terraform-style state surgery, as a user runs it.

The story it exists for (issue 14, item 4): after `sandbox reset` the store still says the
developer config was submitted, so apply never sends it again and paymentservice/create fails
with 60014 forever. Forgetting the recorded state lets the next apply converge.
"""

from __future__ import annotations

import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from smartpay_apply.state import LockOwner, open_store
from smartpay_apply.timeutil import now
from tests.support.cli import invoke

from .conftest import KEY

QUICKSTART = Path(__file__).resolve().parents[2] / "examples" / "quickstart"


@pytest.fixture
def quickstart(tmp_path: Path) -> Path:
    """The README's quick start with fast sandbox audits and a state key (images remembered)."""
    project = tmp_path / "quickstart"
    shutil.copytree(QUICKSTART, project, ignore=shutil.ignore_patterns(".smartpay"))
    config = project / "smartpay.yaml"
    config.write_text(config.read_text() + "sandbox:\n  audit_delay: 0.2\n")
    return project


@pytest.fixture
def seeded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project (spec demo-shop, 555) whose store recorded all three sections of 555."""
    monkeypatch.setenv("SMARTPAY_STATE_KEY", KEY)
    (tmp_path / "specs").mkdir()
    (tmp_path / "smartpay.yaml").write_text('version: 1\nendpoint: sandbox\nspecs: ["specs/*"]\n')
    (tmp_path / "specs" / "demo.yaml").write_text(
        "app: demo-shop\napp_id: 555\ncredentials:\n  access_token: x\n"
    )
    with open_store(".smartpay/state.db", base_dir=tmp_path) as store:
        for section in ("account", "developer_config", "payment_service"):
            store.record_submission(555, section, section[0] * 64, app="demo-shop", at=now())
    return tmp_path


def _sections(project: Path) -> list[str]:
    with open_store(".smartpay/state.db", base_dir=project) as store:
        return [s.section for s in store.list_submissions(555)]


@pytest.mark.slow
def test_after_a_sandbox_reset_forgetting_the_state_lets_apply_converge(run_cli, quickstart):
    env = {"SMARTPAY_STATE_KEY": KEY}

    def cli(*args: str) -> Any:
        return run_cli(*args, cwd=quickstart, env=env)

    first = cli("apply", "--auto-approve", "--wait", "--wait-timeout", "60s")
    assert first.returncode == 0, first.stdout + first.stderr
    assert cli("sandbox", "reset").returncode == 0
    stuck = cli("apply", "--auto-approve", "--wait", "--wait-timeout", "60s")
    assert stuck.returncode == 1
    # The store's remembered upload URLs are unknown to the reset sandbox.
    assert "errno 60011" in stuck.stdout + stuck.stderr

    forgot = cli("state", "forget", "shop-beijing", "--yes")
    assert forgot.returncode == 0, forgot.stderr
    assert forgot.stdout.startswith(
        "Forgot account, developer_config, payment_service, 2 image URL(s) of shop-beijing"
    )
    # ^ the images are uploaded again: the reset sandbox forgot them too
    forgot = cli("state", "forget", "20230002", "--section", "developer_config", "-y")
    assert forgot.returncode == 0 and "Forgot developer_config of tea-hangzhou" in forgot.stdout
    forgot = cli("state", "forget", "cafe-shanghai", "--section", "developer_config", "-y")
    assert forgot.returncode == 0, forgot.stderr

    converged = cli("apply", "--auto-approve", "--wait", "--wait-timeout", "60s")
    assert converged.returncode == 0, converged.stdout + converged.stderr
    assert cli("plan", "--detailed-exitcode").returncode == 0
    history = cli("state", "history", "shop-beijing")
    assert "state forget shop-beijing" in history.stdout
    assert "shop-beijing (20230001): forget developer_config -> forgotten" in history.stdout


def test_without_a_terminal_it_needs_yes(seeded):
    result = invoke("state", "forget", "demo-shop", cwd=seeded, input="yes\n")
    assert result.returncode == 1
    assert "Error: state forget changes the state store: confirm on a terminal, or pass --yes" in (
        result.stderr
    )
    assert "developer_config  submitted " in result.stderr  # it says what would go
    assert _sections(seeded) == ["account", "developer_config", "payment_service"]


def test_one_section_by_app_id(seeded):
    result = invoke("state", "forget", "555", "--section", "developer_config", "--yes", cwd=seeded)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Forgot developer_config of demo-shop (555) (run r-")
    assert _sections(seeded) == ["account", "payment_service"]
    again = invoke("state", "forget", "555", "--section", "developer_config", "-y", cwd=seeded)
    assert again.returncode == 0
    assert (
        again.stdout
        == "Nothing recorded for demo-shop (555) (developer_config): nothing to forget.\n"
    )


def test_an_app_under_a_running_apply_is_refused(seeded):
    with open_store(".smartpay/state.db", base_dir=seeded) as store:
        store.acquire_lock(555, LockOwner(host="ci-7", pid=42, run_id="r-live"), ttl=600)
    result = invoke("state", "forget", "demo-shop", "--yes", cwd=seeded)
    assert result.returncode == 1
    assert "mini-program 555 is locked by ci-7:42 (run r-live)" in result.stderr
    assert _sections(seeded) == ["account", "developer_config", "payment_service"]


def test_an_unknown_app_is_the_usual_error(seeded):
    result = invoke("state", "forget", "nope", "--yes", cwd=seeded)
    assert result.returncode == 1
    assert result.stderr == (
        "Error: APP nope: no such mini-program in the specs or the state store (known: demo-shop)\n"
    )


def _on_tty(project: Path, answer: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI with a pseudo-terminal as stdin and `answer` typed in advance."""
    primary, secondary = pty.openpty()
    try:
        os.write(primary, answer.encode())
        return subprocess.run(
            [sys.executable, "-m", "smartpay_apply", *args],
            cwd=project,
            env={**os.environ, "NO_COLOR": "1"},
            stdin=secondary,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        os.close(secondary)
        os.close(primary)


@pytest.mark.slow
def test_on_a_terminal_only_yes_forgets(seeded):
    refused = _on_tty(seeded, "y\n", "state", "forget", "demo-shop")
    assert refused.returncode == 1
    assert "Do you want to forget them? Only 'yes' will be accepted." in refused.stderr
    assert "cancelled: nothing was changed" in refused.stderr
    assert _sections(seeded) == ["account", "developer_config", "payment_service"]
    accepted = _on_tty(seeded, "yes\n", "state", "forget", "demo-shop", "--section", "account")
    assert accepted.returncode == 0, accepted.stderr
    assert _sections(seeded) == ["developer_config", "payment_service"]
