"""The optional account and payment-service fields reach Baidu, end to end.

validate accepts them and plan shows them, so apply must send them. The sandbox keeps only the
documented fields (and digests of the sensitive ones), so this test looks at the wire itself: the
real sandbox app behind a small recorder of the POSTed forms, served by uvicorn over real HTTP,
driven by the real CLI.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
import uvicorn

from smartpay_apply.sandbox.app import create_app
from smartpay_apply.sandbox.config import SandboxConfig
from smartpay_apply.sandbox.server import bind
from tests.apply.conftest import app_result, result_json
from tests.apply.project import Project

OPTIONAL_ACCOUNT = {
    "legal_card_start_time": "2015-06-01",
    "legal_card_end_time": "2035-06-01",
    "license_start_time": "2019-04-01",
    "license_end_time": "长期",
    "industry_id": 217,
    "manage_permit_url": "https://permits.example.test/shop-opt.png",
}
BANK_PHONE = "13912345678"


class FormRecorder:
    """ASGI middleware: remembers each urlencoded POST body by path, then passes it on."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.forms: list[tuple[str, dict[str, str]]] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        headers = dict(scope["headers"])
        if headers.get(b"content-type", b"").startswith(b"application/x-www-form-urlencoded"):
            form = {key: values[-1] for key, values in parse_qs(body.decode()).items()}
            self.forms.append((scope["path"], form))
        sent = False

        async def replay() -> dict[str, Any]:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    def sent_to(self, suffix: str) -> list[dict[str, str]]:
        return [form for path, form in self.forms if path.endswith(suffix)]


@contextlib.contextmanager
def recording_sandbox(state_file: Path) -> Iterator[tuple[str, FormRecorder]]:
    config = SandboxConfig().with_overrides(state_file=state_file, audit_delay=0.2)
    recorder = FormRecorder(create_app(config))
    sock = bind("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(recorder, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", recorder
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture
def wire(tmp_path: Path) -> Iterator[tuple[str, FormRecorder]]:
    with recording_sandbox(tmp_path / "sandbox.json") as served:
        yield served


def test_optional_fields_are_sent_on_create_and_on_audited_update(
    tmp_path: Path, run_cli: Any, wire: tuple[str, FormRecorder]
) -> None:
    base_url, recorder = wire
    project = Project(tmp_path / "project", base_url)
    document = project.add("shop-opt", 4242, bank_phone_number=BANK_PHONE)
    document["account"].update(OPTIONAL_ACCOUNT)
    project.write_spec(document)

    def cli(*args: str) -> Any:
        return run_cli(*args, cwd=project.root)

    process = cli("apply", "--auto-approve", "--wait", "--format", "json")
    assert process.returncode == 0, process.stdout + process.stderr

    (account_form,) = recorder.sent_to("/account/create")
    for name, value in OPTIONAL_ACCOUNT.items():
        assert account_form.get(name) == str(value), name
    (create_form,) = recorder.sent_to("/paymentservice/create")
    assert create_form["bank_phone_number"] == BANK_PHONE

    # Sent and recorded alike: the next plan has nothing to do.
    assert cli("plan", "--detailed-exitcode").returncode == 0

    # An audited change resends the whole section, the optional field included.
    project.change_payment("shop-opt", payment_days=14)
    update = cli("apply", "--auto-approve", "--format", "json")
    assert update.returncode == 2, update.stdout + update.stderr
    actions = [step["action"] for step in app_result(result_json(update), "shop-opt")["steps"]]
    assert actions == ["update_bind_service"]
    (bind_form,) = recorder.sent_to("/paymentservice/updatebindservice")
    assert bind_form["payment_days"] == "14"
    assert bind_form["bank_phone_number"] == BANK_PHONE


def test_a_changed_optional_account_field_is_a_change_of_the_account(
    tmp_path: Path, run_cli: Any, wire: tuple[str, FormRecorder]
) -> None:
    """The fingerprint covers the optional fields: adding one to an approved account is `manual`."""
    base_url, _recorder = wire
    project = Project(tmp_path / "project", base_url)
    document = project.add("shop-opt", 4243)
    process = run_cli("apply", "--auto-approve", "--wait", cwd=project.root)
    assert process.returncode == 0, process.stdout + process.stderr

    document["account"]["license_start_time"] = "2020-01-01"
    project.write_spec(document)
    plan = run_cli("plan", "--format", "json", "--detailed-exitcode", cwd=project.root)
    assert plan.returncode == 2, plan.stdout + plan.stderr
    steps = result_json(plan)["apps"][0]["steps"]
    assert [(step["action"], step["section"]) for step in steps] == [("manual", "account")]
