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
from tests.support.waiting import wait_for

SPEC = """\
app: shop
app_id: 3101
account:
  business_scope: 餐饮服务
  business_province: 北京市
  business_city: 北京市
  business_detail_address: 海淀区上地十街10号
  legal_person: 张三
  legal_id: 11010519491231002X
  id_card_front: images/front.png
  id_card_back: images/back.png
developer_config:
  tp_public_key: ${file:keys/tp.pem}
  pay_notify_url: https://example.com/notify
  refund_audit_url: https://example.com/audit
  refund_succ_url: https://example.com/done
payment_service:
  app_name: 北京小店
  service_phone: "13514310000"
  bank_account: 北京小店餐饮有限公司
  bank_card: "6217000010001234"
  bank_name: 招商银行
  bank_branch: 招商银行北京上地支行
  open_province: 北京市
  open_city: 海淀区
  payment_days: 1
  commission_rate: 6
  pool_cash_pledge: 1000
  day_max_frozen_amount: 10000
"""


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
    applied = run_cli("apply", "--auto-approve", "--wait", "--wait-timeout", "60s", "--format", "json",
                      cwd=tmp_path, env=env)
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
