"""Output into a pipe that closes early (`smartpay-apply state show | head -1`): no bug notice,
and exit 0 — the reader has what it wanted (data exports too: tests/data)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.parametrize(
    "args", [["state", "show"], ["state", "history"], ["lock", "list"], ["schema"]]
)
def test_a_closed_stdout_is_not_an_internal_error(tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "smartpay.yaml").write_text("version: 1\n", encoding="utf-8")
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader (`head`) is gone before the command writes
    try:
        process = subprocess.run(
            [sys.executable, "-m", "smartpay_apply", *args],
            cwd=tmp_path,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    finally:
        os.close(write_end)
    assert "Internal error" not in process.stderr
    assert "Traceback" not in process.stderr
    assert process.stderr == ""
    assert process.returncode == 0
