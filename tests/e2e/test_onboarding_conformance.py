"""Onboarding from nothing against the strict sandbox, in Baidu's documented order.

The real CLI in a subprocess, the sandbox over real HTTP, and — in half of the cases — the real
event receiver taking the sandbox's encrypted pushes. What must hold, whatever the path:
- every accepted write is sent exactly once (a refused paymentservice/create while the
  developer config is still in review is an answer, not a write: it changes nothing);
- the developer config is sent only once the account is approved (never a 60016), and the
  payment service only once the developer config is (with the receiver: never refused at all);
- no run exits 1 while audits are merely in review (exit 2 is "in review").
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.apply.project import Project
from tests.events.conftest import (  # noqa: F401 - fixtures used by name
    AES_KEY_TEXT,
    CLIENT_ID,
    TOKEN,
    receiver_factory,
    state_key,
)

pytestmark = pytest.mark.slow

APPS = {"shop-a": 4101, "shop-b": 4102}
AUDIT_DELAY = 0.4
#: What each mini-program needs written, in order (image uploads are TP calls, counted apart).
ONBOARDING = ["/account/create", "/developconfig/submit", "/paymentservice/create"]
TP_TOKEN = "sandbox-tp"


def accepted_writes(sandbox: Any, app_id: int) -> list[str]:
    """The POSTs of one mini-program that Baidu accepted (errno 0), in order."""
    return [
        _short(call["path"])
        for call in sandbox.calls(app_id=app_id)
        if call["method"] == "POST" and call.get("errno") == 0
    ]


def refusals(sandbox: Any, app_id: int) -> list[tuple[str, int]]:
    return [
        (_short(call["path"]), call["errno"])
        for call in sandbox.calls(app_id=app_id)
        if call.get("errno") not in (0, None)
    ]


def _short(path: str) -> str:
    return path.removeprefix("/rest/2.0/smartapp/pay")


def make_project(root: Path, sandbox: Any, *, with_receiver: bool) -> Project:
    settings: dict[str, Any] = {"credentials": {"tp_access_token": TP_TOKEN}}
    if with_receiver:
        settings["events"] = {
            "token": TOKEN,
            "encoding_aes_key": AES_KEY_TEXT,
            "tp_client_id": CLIENT_ID,
        }
    project = Project(root, sandbox.base_url, state="state.db", **settings)
    for app, app_id in APPS.items():
        project.add(app, app_id)
    return project


def assert_onboarded_once(sandbox: Any, *, with_receiver: bool) -> None:
    uploads = [c for c in sandbox.calls(path="/file/2.0/smartapp/upload/image") if c["errno"] == 0]
    assert len(uploads) == 2 * len(APPS)  # front and back, once each
    for app_id in APPS.values():
        state = sandbox.app_state(app_id)
        assert state["account"]["status"] == 4
        assert state["bind_service"]["open_status"] == 2
        assert accepted_writes(sandbox, app_id) == ONBOARDING
        refused = refusals(sandbox, app_id)
        # Never sent before its turn: no 60016 (account not approved), no 60013.
        assert not [r for r in refused if r[1] in (60013, 60016)], refused
        if with_receiver:
            assert refused == []  # the create waited for the PASS event
        else:
            assert {r for r in refused} <= {("/paymentservice/create", 60014)}, refused


@pytest.mark.parametrize("with_receiver", [False, True], ids=["no-receiver", "receiver"])
def test_onboarding_with_wait(
    run_cli: Any,
    sandbox_factory: Any,
    receiver_factory: Any,  # noqa: F811
    tmp_path: Path,
    with_receiver: bool,
) -> None:
    push: dict[str, Any] = receiver_factory().push_settings() if with_receiver else {}
    sandbox = sandbox_factory(audit_delay=AUDIT_DELAY, **push)
    project = make_project(tmp_path, sandbox, with_receiver=with_receiver)

    applied = run_cli(
        "apply", "--auto-approve", "--wait", "--wait-timeout", "90s", cwd=project.root
    )
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert_onboarded_once(sandbox, with_receiver=with_receiver)
    planned = run_cli("plan", "--detailed-exitcode", cwd=project.root)
    assert planned.returncode == 0, planned.stdout + planned.stderr


@pytest.mark.parametrize("with_receiver", [False, True], ids=["no-receiver", "receiver"])
def test_onboarding_with_repeated_plain_applies(
    run_cli: Any,
    sandbox_factory: Any,
    receiver_factory: Any,  # noqa: F811
    tmp_path: Path,
    with_receiver: bool,
) -> None:
    """A cron job running plain `apply`: each run does what it can, 2 while in review."""
    push: dict[str, Any] = receiver_factory().push_settings() if with_receiver else {}
    sandbox = sandbox_factory(audit_delay=AUDIT_DELAY, **push)
    project = make_project(tmp_path, sandbox, with_receiver=with_receiver)

    codes = []
    for _ in range(30):
        applied = run_cli("apply", "--auto-approve", cwd=project.root)
        codes.append(applied.returncode)
        assert applied.returncode in (0, 2), applied.stdout + applied.stderr
        if applied.returncode == 0:
            break
        time.sleep(AUDIT_DELAY)
    assert codes[-1] == 0, codes
    assert codes[0] == 2  # the first run submits the accounts and reports them in review
    assert_onboarded_once(sandbox, with_receiver=with_receiver)
    planned = run_cli("plan", "--detailed-exitcode", cwd=project.root)
    assert planned.returncode == 0, planned.stdout + planned.stderr
