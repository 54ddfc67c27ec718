"""The sandbox pushes to the receiver over real HTTP, as Baidu would (encrypted, signed)."""

from __future__ import annotations

from typing import Any

import pytest

from smartpay_apply.api.client import OpenApi
from smartpay_apply.api.models import AccountCreateRequest
from smartpay_apply.api.tokens import StaticToken
from smartpay_apply.credentials import vault
from tests.events.conftest import AES_KEY_TEXT, CLIENT_ID, TOKEN, Receiver, ReceiverFactory
from tests.support.files import PNG
from tests.support.waiting import wait_for


@pytest.fixture
def pushing_sandbox(receiver: Receiver, sandbox_factory: Any) -> Any:
    return sandbox_factory(**receiver.push_settings(), audit_policy="manual", push_retry_delay=0.05)


async def submit_account(base_url: str, app_id: int) -> None:
    async with OpenApi(base_url) as api:
        app = api.app(StaticToken(f"sandbox-{app_id}"))
        tp = api.tp("sandbox-tp")  # uploads take the TP's own token
        front = await tp.upload_image(PNG, "front.png")
        back = await tp.upload_image(PNG + b"b", "back.png")
        await app.create_account(
            AccountCreateRequest(
                business_scope="零售",
                business_province="北京",
                business_city="北京",
                business_detail_address="海淀区上地十街10号",
                legal_person="张三",
                legal_id="110101199003077777",
                id_card_front_url=front,
                id_card_back_url=back,
            )
        )


async def test_audit_outcomes_pushed_by_the_sandbox_are_stored(
    receiver: Receiver, pushing_sandbox: Any
) -> None:
    await submit_account(pushing_sandbox.base_url, 4242)
    pushed = pushing_sandbox.reject(4242, "account", "证件模糊")
    stored = wait_for(lambda: receiver.store.list_events(4242))
    assert [(e.event, e.reason) for e in stored] == [
        ("APP_PAYMENT_CREATE_ACCOUNT_FAIL", "证件模糊")
    ]
    assert stored[0].tp_app_id == pushing_sandbox.config.tp_app_id
    assert pushed["event"] == "APP_PAYMENT_CREATE_ACCOUNT_FAIL"
    deliveries = wait_for(
        lambda: [d for d in pushing_sandbox.events()["deliveries"] if "delivered" in d]
    )
    assert deliveries[0]["delivered"] is True
    assert deliveries[0]["attempts"] == 1


def test_ticket_and_authorization_pushes_become_encrypted_secrets(
    receiver: Receiver, pushing_sandbox: Any
) -> None:
    ticket = pushing_sandbox.tp_ticket()
    assert wait_for(lambda: receiver.store.get_secret(vault.TICKET_KEY) is not None)
    assert vault.read(receiver.store, vault.TICKET_KEY).value == ticket

    code = pushing_sandbox.tp_authorize(77)
    key = vault.authorization_code_key(77)
    assert wait_for(lambda: receiver.store.get_secret(key) is not None)
    stored_code = vault.read(receiver.store, key)
    assert stored_code.value == code
    assert stored_code.expires_at is not None and stored_code.fresh()
    # The receiver keeps the code first, then records the event (storage.py): wait for both.
    assert wait_for(lambda: [e.event for e in receiver.store.list_events(77)]) == ["AUTHORIZED"]

    receiver.store.put_secret(vault.refresh_token_key(77), "rt-to-forget")
    pushing_sandbox.tp_unauthorize(77)
    assert wait_for(lambda: receiver.store.get_secret(key) is None)
    assert receiver.store.get_secret(vault.refresh_token_key(77)) is None
    assert wait_for(lambda: len(receiver.store.list_events(77)) == 2)

    raw = receiver.db_path.read_bytes()
    for secret in (ticket, code, "rt-to-forget"):
        assert secret.encode() not in raw


def test_plaintext_pushes_need_the_opt_in(
    receiver_factory: ReceiverFactory, sandbox_factory: Any
) -> None:
    lenient = receiver_factory(allow_plaintext=True, name="lenient.db")
    sandbox = sandbox_factory(webhook=f"{lenient.url}/tp/auth", plaintext_push=True)
    sandbox.tp_authorize(5)
    assert wait_for(lambda: lenient.store.list_events(5))


def test_one_url_for_both_kinds_of_push(receiver: Receiver, sandbox_factory: Any) -> None:
    """A TP that configured the same URL for audit events and authorization events."""
    sandbox = sandbox_factory(
        webhook=f"{receiver.url}/",
        push_token=TOKEN,
        encoding_aes_key=AES_KEY_TEXT,
        tp_client_id=CLIENT_ID,
    )
    ticket = sandbox.tp_ticket()
    assert wait_for(lambda: receiver.store.get_secret(vault.TICKET_KEY) is not None)
    assert vault.read(receiver.store, vault.TICKET_KEY).value == ticket
    sandbox.tp_authorize(78)
    assert wait_for(lambda: receiver.store.get_secret(vault.authorization_code_key(78)) is not None)
