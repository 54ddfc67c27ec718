"""`smartpay-apply events serve` and `events list` as a user runs them (real processes, real HTTP)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from smartpay_apply.events import crypto
from tests.conftest import free_port
from tests.events.conftest import AES_KEY_TEXT, CLIENT_ID, STATE_KEY, TOKEN


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "smartpay.yaml").write_text(
        "endpoint: sandbox\nstate: state.db\nspecs: ['specs/*.yaml']\n"
        f"events:\n  tp_client_id: {CLIENT_ID}\n"
    )
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "shop.yaml").write_text(
        "app: shop\napp_id: 101\ncredentials:\n  access_token: x\n"
    )
    return tmp_path


def envelope(message: dict[str, Any]) -> dict[str, str]:
    encrypted = crypto.encrypt(
        crypto.aes_key(AES_KEY_TEXT), json.dumps(message).encode(), CLIENT_ID
    )
    return {
        "Nonce": "n",
        "TimeStamp": "1700000000",
        "Encrypt": encrypted,
        "MsgSignature": crypto.signature(TOKEN, "1700000000", "n", encrypted),
    }


def test_serve_refuses_to_start_without_the_secrets(run_cli: Any, project: Path) -> None:
    result = run_cli(
        "events",
        "serve",
        "--port",
        str(free_port()),
        cwd=project,
        env={"SMARTPAY_STATE_KEY": STATE_KEY},
    )
    assert result.returncode == 1
    assert "events serve needs the message token and EncodingAESKey" in result.stderr
    assert "SMARTPAY_EVENTS_TOKEN" in result.stderr
    bad_key = run_cli(
        "events",
        "serve",
        cwd=project,
        env={
            "SMARTPAY_EVENTS_TOKEN": TOKEN,
            "SMARTPAY_EVENTS_AES_KEY": "short",
            "SMARTPAY_STATE_KEY": STATE_KEY,
        },
    )
    assert bad_key.returncode == 1
    assert "SMARTPAY_EVENTS_AES_KEY: must be 43 characters of [A-Za-z0-9]" in bad_key.stderr
    assert "short" not in bad_key.stderr


def test_serve_stores_pushes_runs_the_hook_and_list_shows_them(run_cli: Any, project: Path) -> None:
    port = free_port()
    hook_out = project / "hook.jsonl"
    # The hook takes 3 s: a shutdown right after the pushes must wait for it.
    hook = (
        f'{sys.executable} -c "import sys, time; data = sys.stdin.read(); time.sleep(3); '
        f"open({str(hook_out)!r}, 'a').write(data)\""
    )
    env = {
        **os.environ,
        "SMARTPAY_STATE_KEY": STATE_KEY,
        "SMARTPAY_EVENTS_TOKEN": TOKEN,
        "SMARTPAY_EVENTS_AES_KEY": AES_KEY_TEXT,
        "NO_COLOR": "1",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "smartpay_apply",
            "-v",
            "events",
            "serve",
            "--port",
            str(port),
            "--on-event",
            hook,
        ],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, (
                "events serve did not come up"
            )
            time.sleep(0.1)
        fail = {
            "appId": 101,
            "tpAppId": 9,
            "eventTime": "2026-11-25 09:00:00",
            "event": "APP_PAYMENT_CREATE_ACCOUNT_FAIL",
            "reason": "证件模糊",
        }
        other = {
            "appId": 202,
            "tpAppId": 9,
            "eventTime": "2026-11-25 09:30:00",
            "event": "APP_PAYMENT_CREATE_ACCOUNT_PASS",
        }
        assert httpx.post(url + "/", json=envelope(fail)).text == "success"
        assert httpx.post(url + "/", json=envelope(other)).text == "success"
        bad = {**envelope(other), "MsgSignature": "0" * 40}
        assert httpx.post(url + "/", json=bad).status_code == 403
    finally:
        server.send_signal(signal.SIGTERM)
        _, stderr = server.communicate(timeout=30)
    assert sorted(json.loads(line)["app_id"] for line in hook_out.read_text().splitlines()) == [
        101,
        202,
    ]
    assert "refused push" in stderr and "signature mismatch" in stderr
    assert TOKEN not in stderr and AES_KEY_TEXT not in stderr

    listed = run_cli("events", "list", "--app", "shop", "--format", "json", cwd=project)
    assert listed.returncode == 0, listed.stderr
    [row] = json.loads(listed.stdout)
    assert row["app"] == "shop"
    assert (row["app_id"], row["event"], row["reason"]) == (
        101,
        "APP_PAYMENT_CREATE_ACCOUNT_FAIL",
        "证件模糊",
    )
    assert row["event_time"] == "2026-11-25T09:00:00+08:00"

    text = run_cli("events", "list", cwd=project)
    assert text.returncode == 0
    assert text.stdout.splitlines() == [
        "event_time                  app   app_id  event                            reason",
        "2026-11-25 09:00:00 +08:00  shop  101     APP_PAYMENT_CREATE_ACCOUNT_FAIL  证件模糊",
        "2026-11-25 09:30:00 +08:00  -     202     APP_PAYMENT_CREATE_ACCOUNT_PASS",
    ]
    unknown = run_cli("events", "list", "--app", "nope", cwd=project)
    assert unknown.returncode == 1
    assert (
        "--app nope: no such mini-program in the specs or the state store (known: 202, shop)"
        in unknown.stderr
    )
    assert server.returncode == 0  # SIGTERM: a clean shutdown, not death by the signal
    assert "events: stopped." in stderr


def _serve(project: Path, port: int, *extra: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "SMARTPAY_STATE_KEY": STATE_KEY,
        "SMARTPAY_EVENTS_TOKEN": TOKEN,
        "SMARTPAY_EVENTS_AES_KEY": AES_KEY_TEXT,
        "NO_COLOR": "1",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "smartpay_apply", "events", "serve", "--port", str(port), *extra],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_healthy(server: subprocess.Popen[str], port: int) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert server.poll() is None and time.monotonic() < deadline, "events serve did not come up"
        time.sleep(0.1)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
@pytest.mark.slow
def test_serve_exits_0_after_a_clean_shutdown(project: Path, sig: signal.Signals) -> None:
    port = free_port()
    server = _serve(project, port)
    try:
        _wait_healthy(server, port)
    finally:
        server.send_signal(sig)
        _, stderr = server.communicate(timeout=30)
    assert server.returncode == 0, stderr
    assert stderr.splitlines()[0].startswith(f"events: listening on http://127.0.0.1:{port} ")
    assert stderr.splitlines()[-1] == "events: stopped."


@pytest.mark.slow
def test_serve_on_a_busy_port_is_one_line_and_exit_1(project: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        server = _serve(project, port)
        _, stderr = server.communicate(timeout=60)
    assert server.returncode == 1
    assert stderr == f"Error: cannot listen on 127.0.0.1:{port}: Address already in use\n"
