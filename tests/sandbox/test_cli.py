"""`smartpay-apply sandbox serve` as a user runs it: a real process, stopped with Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest


@pytest.mark.slow
def test_serve_prints_its_url_serves_and_stops_cleanly(tmp_path: Path) -> None:
    state = tmp_path / "world.json"
    env = {**os.environ, "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "smartpay_apply",
            "sandbox",
            "serve",
            "--port",
            "0",
            "--state",
            str(state),
            "--audit-policy",
            "manual",
            "--token",
            "my-token=777",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("Sandbox listening on http://127.0.0.1:"), line
        base = line.split()[-1]
        with httpx.Client(base_url=base, timeout=10) as http:
            for _ in range(100):
                try:
                    http.get("/_sandbox/health")
                    break
                except httpx.TransportError:
                    time.sleep(0.05)
            body = http.get(
                "/rest/2.0/smartapp/pay/account/auditstatus", params={"access_token": "my-token"}
            ).json()
            assert body["errno"] == 0
            assert http.get("/_sandbox/config").json()["audit_policy"] == "manual"
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "Sandbox stopped." in err and "Traceback" not in err
    assert "777" in json.loads(state.read_text())["apps"]


def test_bad_settings_are_one_clear_line(run_cli: Any) -> None:
    result = run_cli("sandbox", "serve", "--port", "0", "--aes-key", "too-short")
    assert result.returncode == 1
    assert "encoding_aes_key" in result.stderr and "43 characters" in result.stderr
    assert "Traceback" not in result.stderr
    result = run_cli("sandbox", "serve", "--port", "0", "--token", "no-app-id")
    assert result.returncode == 1 and "TOKEN=APP_ID" in result.stderr


def test_admin_commands_steer_the_projects_embedded_world(run_cli: Any, tmp_path: Path) -> None:
    (tmp_path / "smartpay.yaml").write_text(
        "version: 1\nendpoint: sandbox\nsandbox:\n  audit_policy: manual\n", encoding="utf-8"
    )
    # Something to decide: an account submitted through the embedded world, as `apply` would.
    import asyncio

    import httpx

    from smartpay_apply.sandbox.embedded import EMBEDDED_BASE_URL, embedded_transport
    from tests.sandbox.helpers import account_form, call

    async def submit() -> None:
        transport = embedded_transport(tmp_path / ".smartpay" / "sandbox", audit_policy="manual")
        async with httpx.AsyncClient(transport=transport, base_url=EMBEDDED_BASE_URL) as http:
            assert (await call(http, "POST", "account/create", 42, await account_form(http, 42)))[
                "errno"
            ] == 0

    asyncio.run(submit())
    shown = run_cli("sandbox", "show", "42")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["pending"] == ["account"]
    rejected = run_cli("sandbox", "reject", "42", "account", "--reason", "照片不清晰")
    assert (
        rejected.returncode == 0
        and "APP_PAYMENT_CREATE_ACCOUNT_FAIL (照片不清晰)" in rejected.stdout
    )
    again = run_cli("sandbox", "approve", "42", "account")
    assert again.returncode == 1 and "no account audit is pending" in again.stderr
    assert "Traceback" not in again.stderr
    policy = run_cli("sandbox", "policy", "42", "approve", "--section", "account")
    assert policy.returncode == 0, policy.stderr
    listed = run_cli("sandbox", "calls", "--app-id", "42")
    assert "POST /rest/2.0/smartapp/pay/account/create app=42" in listed.stdout
    assert run_cli("sandbox", "reset").returncode == 0
    gone = run_cli("sandbox", "show", "42")
    assert gone.returncode == 1 and gone.stdout == ""
    assert "no such mini-program in the sandbox: 42" in gone.stderr


def test_admin_commands_talk_to_a_served_sandbox(run_cli: Any, sandbox: Any) -> None:
    sandbox.set_policy(43, "manual")
    import httpx

    from tests.sandbox.helpers import DEVELOPER

    url = sandbox.upload(b"\x89PNG\r\n\x1a\n....")
    with httpx.Client(base_url=sandbox.base_url, params={"access_token": "sandbox-43"}) as http:
        form = {
            "business_scope": "软件开发",
            "business_province": "北京市",
            "business_city": "海淀区",
            "business_detail_address": "上地",
            "legal_person": "张三",
            "legal_id": "11010519491231002X",
            "id_card_front_url": url,
            "id_card_back_url": url,
        }
        http.post("/rest/2.0/smartapp/pay/account/create", data=form)
        result = run_cli("sandbox", "approve", "43", "account", "--url", sandbox.base_url)
        assert result.returncode == 0 and "APP_PAYMENT_CREATE_ACCOUNT_PASS" in result.stdout
        http.post("/rest/2.0/smartapp/pay/developconfig/submit", data=DEVELOPER)
    assert sandbox.app_state(43)["pending"] == ["developer_config"]
    result = run_cli("sandbox", "approve", "43", "developer_config", "--url", sandbox.base_url)
    assert result.returncode == 0 and "APP_PAYMENT_UPDATE_DEVELOP_CONFIG_PASS" in result.stdout
    assert sandbox.app_state(43)["pending"] == []
    unreachable = run_cli("sandbox", "show", "1", "--url", "http://127.0.0.1:9")
    assert unreachable.returncode == 1 and "cannot reach the sandbox" in unreachable.stderr
