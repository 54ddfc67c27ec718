"""The whole loop: the sandbox pushes a ticket, an authorization and audit outcomes to the
receiver; `apply` gets its token through the TP flow and learns the developer config's outcome
from the stored event; an access token that expires between runs is refreshed transparently."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from smartpay_apply.credentials import vault
from tests.events.conftest import CLIENT_ID, STATE_KEY, Receiver
from tests.support.files import PNG, public_key_pem
from tests.support.specs import spec_without_credentials
from tests.support.waiting import wait_for

SPEC = spec_without_credentials("shop", 3101)


def test_pushes_credentials_and_apply_work_together(
    run_cli: Any, sandbox_factory: Any, tmp_path: Path, receiver: Receiver
) -> None:
    (tmp_path / "specs" / "images").mkdir(parents=True)
    (tmp_path / "specs" / "keys").mkdir()
    (tmp_path / "specs" / "images" / "front.png").write_bytes(PNG)
    (tmp_path / "specs" / "images" / "back.png").write_bytes(PNG + b"\x01")
    (tmp_path / "specs" / "keys" / "tp.pem").write_bytes(public_key_pem())
    (tmp_path / "specs" / "shop.yaml").write_text(SPEC, encoding="utf-8")
    store = receiver.store  # tmp_path/state.db, the store the CLI runs below use too
    sandbox = sandbox_factory(**receiver.push_settings(), audit_delay=0.3)
    (tmp_path / "smartpay.yaml").write_text(
        f"endpoint: {sandbox.base_url}\nstate: state.db\nspecs: ['specs/*.yaml']\n"
        f"events:\n  tp_client_id: {CLIENT_ID}\ncredentials:\n  tp: {{}}\n"
    )
    env = {"SMARTPAY_STATE_KEY": STATE_KEY}

    # Baidu pushes the ticket and the mini-program's authorization (with its code).
    sandbox.tp_ticket()
    sandbox.tp_authorize(3101)
    assert wait_for(lambda: store.get_secret(vault.authorization_code_key(3101)) is not None)
    assert store.get_secret(vault.TICKET_KEY) is not None

    # apply takes its token from the pushed code and waits for the pushed audit outcomes.
    applied = run_cli(
        "apply",
        "--auto-approve",
        "--wait",
        "--wait-timeout",
        "60s",
        "--format",
        "json",
        cwd=tmp_path,
        env=env,
    )
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert store.get_secret(vault.authorization_code_key(3101)) is None  # exchanged
    events = {e.event for e in store.list_events(3101)}
    assert {"APP_PAYMENT_CREATE_ACCOUNT_PASS", "APP_PAYMENT_UPDATE_DEVELOP_CONFIG_PASS"} <= events

    # Between runs the access token expires: the next run refreshes once and carries on.
    refresh_before = store.get_secret(vault.refresh_token_key(3101))
    assert sandbox.expire_token(app_id=3101) >= 1
    sandbox.clear_calls()
    planned = run_cli("plan", "--detailed-exitcode", "--format", "json", cwd=tmp_path, env=env)
    assert planned.returncode == 0, planned.stdout + planned.stderr
    assert len(sandbox.calls(path="/oauth/token")) == 1
    assert store.get_secret(vault.refresh_token_key(3101)) != refresh_before
    [app_plan] = json.loads(planned.stdout)["apps"]
    assert (app_plan["app"], app_plan["error"], app_plan["steps"]) == ("shop", None, [])
    # The developer config's outcome came only from the pushed event: plan has no note
    # saying it is still unknown.
    assert not any("not yet received" in note for note in app_plan["notes"])

    status = run_cli("auth", "status", "--format", "json", cwd=tmp_path, env=env)
    assert status.returncode == 0
    [row] = json.loads(status.stdout)["apps"]
    assert (row["app"], row["state"], row["refresh_token"]) == ("shop", "ok", True)
