"""The `sandbox` admin commands as a user runs them: never at Baidu, never creating files by
accident, secrets never printed in clear, one time format (issue 14 items 8 and 18)."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.sandbox.helpers import DEVELOPER, SERVICE

BEIJING_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+08:00$")


class Recorder:
    """An HTTP server that is not a sandbox: answers every request `status` with `body` and
    records (method, path) of each request."""

    def __init__(self, status: int, body: bytes, content_type: str) -> None:
        self.requests: list[tuple[str, str]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                recorder.requests.append((self.command, self.path))
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(
    params=[
        (404, b"<html>not found</html>", "text/html"),
        (200, b'{"ok": true}', "application/json"),  # answers anything, but is no sandbox
        (200, b'{"errno": 0, "msg": "success"}', "application/json"),
    ],
    ids=["404", "ok-to-anything", "openapi-like"],
)
def not_a_sandbox(request: pytest.FixtureRequest) -> Iterator[Recorder]:
    recorder = Recorder(*request.param)
    yield recorder
    recorder.close()


def test_sandbox_reset_sends_nothing_to_a_server_that_is_not_a_sandbox(
    run_cli: Any, not_a_sandbox: Recorder
) -> None:
    result = run_cli("sandbox", "reset", "--url", not_a_sandbox.url)
    assert result.returncode == 1, result.stdout
    assert "is not a sandbox" in result.stderr and "Traceback" not in result.stderr
    # Only the health probe went out: no POST, no admin call.
    assert not_a_sandbox.requests == [("GET", "/_sandbox/health")]


def test_every_admin_command_probes_before_it_sends(run_cli: Any) -> None:
    server = Recorder(200, b'{"ok": true}', "application/json")
    try:
        for args in (
            ("approve", "42", "account"),
            ("reject", "42", "account", "--reason", "x"),
            ("policy", "42", "approve"),
            ("show", "42"),
            ("calls",),
        ):
            server.requests.clear()
            result = run_cli("sandbox", *args, "--url", server.url)
            assert result.returncode == 1 and "is not a sandbox" in result.stderr, args
            assert server.requests == [("GET", "/_sandbox/health")], args
    finally:
        server.close()


@pytest.mark.parametrize(
    ("where", "endpoint"),
    [
        ("config", "https://openapi.baidu.com"),
        ("env", "https://OpenAPI.Baidu.com/"),
        ("url", "http://x.baidu.com:80"),
    ],
)
def test_sandbox_reset_refuses_baidu_itself_before_sending_anything(
    run_cli: Any, tmp_path: Path, where: str, endpoint: str
) -> None:
    config = f"version: 1\nendpoint: {endpoint if where == 'config' else 'sandbox'}\n"
    (tmp_path / "smartpay.yaml").write_text(config, encoding="utf-8")
    if where == "url":
        result = run_cli("sandbox", "reset", "--url", endpoint)
    else:
        env = {"SMARTPAY_ENDPOINT": endpoint} if where == "env" else {}
        result = run_cli("sandbox", "reset", env=env)
    assert result.returncode == 1
    assert "is Baidu's openapi, not a sandbox" in result.stderr, result.stderr
    assert not (tmp_path / ".smartpay").exists()


def test_a_missing_world_file_is_an_error_and_is_not_created(run_cli: Any, tmp_path: Path) -> None:
    typo = tmp_path / "typo.json"
    for args in (("show", "1"), ("calls",), ("approve", "1", "account"), ("policy", "1", "manual")):
        result = run_cli("sandbox", *args, "--state", str(typo))
        assert result.returncode == 1
        assert f"no such world file: {typo}" in result.stderr
    assert list(tmp_path.iterdir()) == []
    # reset makes an empty world where it is told to.
    assert run_cli("sandbox", "reset", "--state", str(typo)).returncode == 0
    assert json.loads(typo.read_text())["apps"] == {}


def _onboard(sandbox: Any, app_id: int) -> None:
    """An approved service over real HTTP with the documented order."""
    url = sandbox.upload(b"\x89PNG\r\n\x1a\nfront")
    form = {
        "business_scope": "软件开发",
        "business_province": "北京市",
        "business_city": "海淀区",
        "business_detail_address": "上地",
        "legal_person": "张三",
        "legal_id": "11010519491231002X",
        "id_card_front_url": url,
        "id_card_back_url": url,
        "legal_card_end_time": "9999-12-31",
    }
    pay = "/rest/2.0/smartapp/pay"
    with httpx.Client(base_url=sandbox.base_url, params={"access_token": f"sandbox-{app_id}"}) as h:
        assert h.post(f"{pay}/account/create", data=form).json()["errno"] == 0
        sandbox.approve(app_id, "account")
        assert h.post(f"{pay}/developconfig/submit", data=DEVELOPER).json()["errno"] == 0
        sandbox.approve(app_id, "developer_config")
        service = {**SERVICE, "bank_phone_number": "13800138000"}
        assert h.post(f"{pay}/paymentservice/create", data=service).json()["errno"] == 0
        sandbox.approve(app_id, "payment_service")


def test_show_prints_no_secret_in_clear(run_cli: Any, sandbox_factory: Any) -> None:
    box = sandbox_factory(audit_policy="manual")
    _onboard(box, 501)
    state = box.app_state(501)
    pm_app_key = state["payment_service"]["pm_app_key"]
    result = run_cli("sandbox", "show", "501", "--url", box.base_url)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for secret in (
        SERVICE["bank_card"],
        "11010519491231002X",
        "13800138000",
        pm_app_key,
        "bdstatic",
    ):
        assert secret not in out
    shown = json.loads(out)
    assert shown["bind_service"]["bank_card"] == "110****0510"
    assert shown["payment_service"]["approved"]["bank_card"] == "110****0510"
    submitted = shown["account"]["submitted"]
    assert submitted["legal_id"].startswith("sha256:")
    assert submitted["id_card_front_url"].startswith("sha256:")
    assert submitted["legal_card_end_time"] == "9999-12-31"  # what was sent, visible
    assert shown["payment_service"]["submitted"]["bank_phone_number"].startswith("sha256:")
    assert shown["payment_service"]["pm_app_key"].startswith("sha256:")


def test_show_of_an_app_the_sandbox_never_saw_is_an_error(run_cli: Any, sandbox: Any) -> None:
    result = run_cli("sandbox", "show", "999", "--url", sandbox.base_url)
    assert result.returncode == 1 and result.stdout == ""
    assert "no such mini-program in the sandbox: 999" in result.stderr
    assert 999 not in sandbox.apps()  # looking did not create it


def test_calls_print_beijing_iso_times_in_text_and_json(run_cli: Any, sandbox: Any) -> None:
    with httpx.Client(base_url=sandbox.base_url) as http:
        for app_id in (7, 8):
            http.get(
                "/rest/2.0/smartapp/pay/account/auditstatus",
                params={"access_token": f"sandbox-{app_id}"},
            )
    text = run_cli("sandbox", "calls", "--url", sandbox.base_url)
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert len(lines) == 2
    for line, app_id in zip(lines, (7, 8), strict=True):
        moment, method, path, app = line.split()
        assert BEIJING_ISO.match(moment), moment
        assert (method, path, app) == (
            "GET",
            "/rest/2.0/smartapp/pay/account/auditstatus",
            f"app={app_id}",
        )
    for flag in (("--format", "json"), ("--json",)):
        result = run_cli("sandbox", "calls", *flag, "--app-id", "8", "--url", sandbox.base_url)
        assert result.returncode == 0, result.stderr
        (row,) = json.loads(result.stdout)
        assert set(row) == {"method", "path", "app_id", "time"} and row["app_id"] == 8
        assert BEIJING_ISO.match(row["time"])
        assert row["time"] == lines[1].split()[0]


def test_a_whole_app_policy_replaces_the_per_section_ones(run_cli: Any, sandbox: Any) -> None:
    target = ("--url", sandbox.base_url)
    assert (
        run_cli("sandbox", "policy", "61", "manual", "--section", "account", *target).returncode
        == 0
    )
    assert (
        run_cli(
            "sandbox", "policy", "61", "reject", "--section", "payment_service", *target
        ).returncode
        == 0
    )
    result = run_cli("sandbox", "policy", "61", "approve", *target)
    assert result.returncode == 0 and "61: all sections -> approve" in result.stdout
    assert sandbox.app_state(61)["policy"] == {"*": {"policy": "approve", "reason": None}}
    run_cli("sandbox", "policy", "61", "manual", "--section", "account", *target)
    result = run_cli("sandbox", "policy", "61", "default", *target)
    assert result.returncode == 0 and "61: all sections -> default" in result.stdout
    assert sandbox.app_state(61)["policy"] == {}


def test_reading_a_fresh_projects_sandbox_creates_nothing(run_cli: Any, tmp_path: Path) -> None:
    (tmp_path / "smartpay.yaml").write_text("version: 1\nendpoint: sandbox\n", encoding="utf-8")
    shown = run_cli("sandbox", "show", "5")
    assert shown.returncode == 1 and "no such mini-program in the sandbox: 5" in shown.stderr
    listed = run_cli("sandbox", "calls", "--format", "json")
    assert listed.returncode == 0 and json.loads(listed.stdout) == []
    assert not (tmp_path / ".smartpay").exists()
