"""Interrupted and failing exports against a slow sandbox, through the real CLI.

A killed export and one stopped by a page that keeps failing both leave no final file; the
same command run again resumes and produces exactly the file a clean run writes. (Other
parameters rewriting the partial file is covered with a fake page source in
test_pages_resume.py.)
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from smartpay_apply.sandbox.config import SandboxConfig
from smartpay_apply.sandbox.server import running_server
from tests.data.conftest import SMALL_EXPORT as EXPORT
from tests.data.conftest import SMALL_EXPORT_SANDBOX as SETTINGS
from tests.data.conftest import onboard, write_project

LATENCY_MS = 80


class Sandbox:
    """One sandbox for this module (its data never changes; faults are reset per test)."""

    def __init__(self, base_url: str) -> None:
        import httpx

        self.base_url = base_url
        self.http = httpx.Client(base_url=base_url, timeout=10)

    def set_faults(self, **faults: float) -> None:
        assert self.http.put("/_sandbox/faults", json=faults).status_code == 200

    def clear_faults(self) -> None:
        assert self.http.delete("/_sandbox/faults").status_code == 200


@pytest.fixture(scope="module")
def module_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Any:
    config = SandboxConfig().with_overrides(
        state_file=tmp_path_factory.mktemp("sandbox") / "world.json", **SETTINGS
    )
    with running_server(config) as base_url:
        onboard(base_url, 21)
        yield Sandbox(base_url)


@pytest.fixture(scope="module")
def clean_export(module_sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The file an uninterrupted export writes (the CLI, no faults)."""
    project = write_project(
        tmp_path_factory.mktemp("clean"), module_sandbox.base_url, [("shop", 21)]
    )
    subprocess.run(
        [sys.executable, "-m", "smartpay_apply", *EXPORT],
        cwd=project,
        check=True,
        capture_output=True,
    )
    return (project / "orders.csv").read_bytes()


@pytest.fixture
def slow(module_sandbox: Sandbox, tmp_path: Path) -> Any:
    module_sandbox.set_faults(latency_ms=LATENCY_MS)
    yield (
        module_sandbox,
        write_project(tmp_path / "project", module_sandbox.base_url, [("shop", 21)]),
    )
    module_sandbox.clear_faults()


def _start(project: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "smartpay_apply", *EXPORT],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_page(project: Path, page: int, process: subprocess.Popen[str]) -> int:
    """Wait until the resume sidecar records at least `page`; returns the page recorded."""
    sidecar = project / "orders.csv.partial.state"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if sidecar.exists():
            done = json.loads(sidecar.read_text())["cursor"]["page"]
            if done >= page:
                return int(done)
        assert process.poll() is None, process.communicate()
        time.sleep(0.02)
    raise AssertionError("the export made no progress")


def _rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode())))[1:]


def test_a_killed_export_resumes_to_the_same_file(
    slow: tuple[Any, Path], run_cli: Any, clean_export: bytes
) -> None:
    handle, project = slow
    process = _start(project)
    _wait_for_page(project, 5, process)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not (project / "orders.csv").exists()
    assert (project / "orders.csv.partial").exists()

    handle.clear_faults()
    resumed = run_cli(*EXPORT, cwd=project)
    assert resumed.returncode == 0, resumed.stderr
    assert "Resuming orders.csv after page" in resumed.stderr
    assert "(resumed)" in resumed.stderr
    content = (project / "orders.csv").read_bytes()
    assert content == clean_export
    rows = _rows(content)
    assert len(rows) == 370 and len({row[0] for row in rows}) == 370  # no duplicates
    assert not list(project.glob("orders.csv.partial*"))


def test_a_page_that_keeps_failing_is_named_and_leaves_no_file(
    slow: tuple[Any, Path], run_cli: Any, clean_export: bytes
) -> None:
    handle, project = slow
    process = _start(project)
    _wait_for_page(project, 3, process)
    handle.set_faults(latency_ms=0, error_rate=1.0)  # from now on every request fails
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 1
    assert stderr.startswith("Error: orders: page ")
    failed = int(stderr.split("page ")[1].split(" ")[0])
    assert f"page {failed} of 37 failed: paymentservice/orderlist" in stderr
    assert "Traceback" not in stderr
    assert not (project / "orders.csv").exists()
    partial = (project / "orders.csv.partial").read_bytes()
    assert len(_rows(partial)) == 10 * (failed - 1)  # every page before the failing one, whole

    handle.clear_faults()
    rerun = run_cli(*EXPORT, cwd=project)
    assert rerun.returncode == 0, rerun.stderr
    assert f"Resuming orders.csv after page {failed - 1}" in rerun.stderr
    assert (project / "orders.csv").read_bytes() == clean_export
