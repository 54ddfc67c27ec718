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


def test_serve_prints_its_url_serves_and_stops_cleanly(tmp_path: Path) -> None:
    state = tmp_path / "world.json"
    env = {**os.environ, "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "smartpay_apply", "sandbox", "serve", "--port", "0", "--state", str(state),
         "--audit-policy", "manual", "--token", "my-token=777"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path,
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
            body = http.get("/rest/2.0/smartapp/pay/account/auditstatus", params={"access_token": "my-token"}).json()
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
