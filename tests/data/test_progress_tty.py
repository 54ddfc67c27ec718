"""A progress bar on a terminal, nothing on a pipe (stderr of the real CLI under a pty)."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.data.conftest import SMALL_EXPORT as EXPORT
from tests.data.conftest import SMALL_EXPORT_SANDBOX as SETTINGS
from tests.data.conftest import onboard, write_project


@pytest.mark.slow
def test_progress_is_drawn_on_a_tty_stderr_only(sandbox_factory: Any, tmp_path: Path) -> None:
    handle = sandbox_factory(**SETTINGS)
    onboard(handle.base_url, 21)
    handle.set_faults(latency_ms=20)
    project = write_project(tmp_path / "project", handle.base_url, [("shop", 21)])
    leader, follower = pty.openpty()
    env = {**os.environ, "TERM": "xterm", "COLUMNS": "120"}
    env.pop("NO_COLOR", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "smartpay_apply", *EXPORT],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=follower,
    )
    os.close(follower)
    drawn = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the pty closes when the CLI exits
            break
        if not chunk:
            break
        drawn += chunk
    stdout, _ = process.communicate(timeout=60)
    os.close(leader)
    assert process.returncode == 0
    assert stdout == b""
    text = drawn.decode(errors="replace")
    assert "orders shop" in text  # the bar's label
    assert "/37" in text  # pages done out of the total
    assert "Wrote orders.csv: 370 rows" in text
