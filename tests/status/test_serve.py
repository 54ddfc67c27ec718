"""`smartpay-apply status serve` as a process: where it may listen, credentials, a clean stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import CliRunner, free_port
from tests.support.projects import write_config
from tests.support.waiting import wait_for


def start(root: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    full = {**os.environ, "NO_COLOR": "1", "PYTHONUNBUFFERED": "1", **(env or {})}
    return subprocess.Popen(
        [sys.executable, "-m", "smartpay_apply", "status", "serve", *args],
        cwd=root,
        env=full,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def servers() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def answer(url: str, **headers: str) -> httpx.Response | None:
    try:
        return httpx.get(url, headers=headers, timeout=2)
    except httpx.TransportError:
        return None


def test_beyond_localhost_credentials_are_required(tmp_path: Path, run_cli: CliRunner) -> None:
    write_config(tmp_path, "sandbox")
    result = run_cli("status", "serve", "--host", "0.0.0.0", "--port", str(free_port()))
    assert result.returncode == 1
    assert result.stderr.startswith("Error: status serve --host 0.0.0.0: a page reachable")
    assert "Traceback" not in result.stderr and "listening" not in result.stderr


def test_a_configured_secret_is_resolved_only_by_serve(tmp_path: Path, run_cli: CliRunner) -> None:
    write_config(tmp_path, "sandbox", status={"token": "${env:STATUS_TEST_TOKEN}"})
    assert run_cli("status").returncode == 0  # the listing never needs it
    result = run_cli("status", "serve", "--port", str(free_port()))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Error: smartpay.yaml:6:19: status.token: environment variable STATUS_TEST_TOKEN is not "
        "set (used as ${env:STATUS_TEST_TOKEN}; set it or give a default: "
        "${env:STATUS_TEST_TOKEN:-value})"
    ]


def test_served_with_a_token_on_every_address(
    tmp_path: Path, servers: list[subprocess.Popen[str]]
) -> None:
    write_config(tmp_path, "sandbox", status={"token": "${env:STATUS_TEST_TOKEN}"})
    port = free_port()
    server = start(
        tmp_path, "--host", "0.0.0.0", "--port", str(port), env={"STATUS_TEST_TOKEN": "s3cret"}
    )
    servers.append(server)
    base = f"http://127.0.0.1:{port}"
    assert wait_for(lambda: answer(base + "/")), server.stderr
    assert answer(base + "/").status_code == 401  # type: ignore[union-attr]
    bearer = {"authorization": "Bearer s3cret"}
    home = answer(base + "/", **bearer)
    ui = answer(base + "/ui/", **bearer)
    assert home is not None and ui is not None
    assert (home.status_code, ui.status_code) == (200, 200)
    assert "Fleet status" in home.text and "Fleet status" in ui.text
    assert 'href="/ui/static/status.css"' in ui.text and 'href="/static/status.css"' in home.text
    redirect = httpx.get(base + "/ui", follow_redirects=False)
    assert (redirect.status_code, redirect.headers["location"]) == (308, "/ui/")
    server.send_signal(signal.SIGTERM)
    assert server.wait(20) == 0
    err = server.stderr.read() if server.stderr else ""
    assert f"status: listening on http://0.0.0.0:{port}/" in err
    assert "credentials required" in err and err.rstrip().endswith("status: stopped.")
    assert "s3cret" not in err
