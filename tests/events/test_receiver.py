"""The receiver over real HTTP: what is stored, what is refused, and that nothing escapes."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

with warnings.catch_warnings():  # starlette asks for httpx2; the httpx client works the same here
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from smartpay_apply.events import crypto
from smartpay_apply.events.app import ReceiverSettings, create_receiver
from smartpay_apply.events.hooks import CommandHook
from tests.events.conftest import TOKEN, Receiver, ReceiverFactory
from tests.support.waiting import wait_for


def event(
    app_id: int = 101,
    name: str = "APP_PAYMENT_CREATE_ACCOUNT_PASS",
    when: str = "2026-11-25 10:00:00",
    **extra: Any,
) -> bytes:
    return json.dumps(
        {"appId": app_id, "tpAppId": 9, "eventTime": when, "event": name, **extra}
    ).encode()


def post(receiver: Receiver, body: Any, path: str = "/", **kwargs: Any) -> httpx.Response:
    if isinstance(body, dict):
        return httpx.post(receiver.url + path, json=body, timeout=10, **kwargs)
    return httpx.post(receiver.url + path, content=body, timeout=10, **kwargs)


def test_a_signed_encrypted_event_is_stored_and_answered_success(receiver: Receiver) -> None:
    response = post(receiver, receiver.envelope(event(reason="ok")))
    assert (response.status_code, response.text) == (200, "success")
    [stored] = receiver.store.list_events()
    assert (stored.app_id, stored.tp_app_id, stored.event) == (
        101,
        9,
        "APP_PAYMENT_CREATE_ACCOUNT_PASS",
    )
    assert stored.event_time.isoformat() == "2026-11-25T10:00:00+08:00"


def test_replayed_event_is_stored_once_and_still_answered_success(receiver: Receiver) -> None:
    envelope = receiver.envelope(event())
    for _ in range(3):
        assert post(receiver, envelope).text == "success"
    # A redelivery re-encrypted by Baidu (new nonce, new random prefix) is the same event too.
    assert post(receiver, receiver.envelope(event(), nonce="other")).text == "success"
    assert len(receiver.store.list_events()) == 1


def test_bad_signature_is_refused_and_nothing_stored(receiver: Receiver) -> None:
    envelope = receiver.envelope(event())
    envelope["MsgSignature"] = "0" * 40
    response = post(receiver, envelope)
    assert response.status_code == 403
    assert "signature" in response.text
    assert receiver.store.list_events() == []


def test_tampered_ciphertext_is_refused_signed_or_not(receiver: Receiver) -> None:
    envelope = receiver.envelope(event())
    raw = bytearray(base64.b64decode(envelope["Encrypt"]))
    raw[-5] ^= 0x40
    tampered = base64.b64encode(bytes(raw)).decode()
    assert post(receiver, {**envelope, "Encrypt": tampered}).status_code == 403
    # Even re-signed by someone who knows the token, the garbled last block fails the padding
    # check (or, if its last byte happens to look like padding, the client-id check).
    resigned = {
        **envelope,
        "Encrypt": tampered,
        "MsgSignature": crypto.signature(TOKEN, envelope["TimeStamp"], envelope["Nonce"], tampered),
    }
    response = post(receiver, resigned)
    assert response.status_code in (400, 403)
    assert "padding" in response.text or "client id" in response.text or "length" in response.text
    assert receiver.store.list_events() == []


def test_wrong_client_id_is_refused(receiver: Receiver) -> None:
    response = post(receiver, receiver.envelope(event(), client_id="another-tp"))
    assert response.status_code == 403
    assert receiver.store.list_events() == []


@pytest.mark.parametrize(
    "body",
    [
        os.urandom(512),
        b"\x00\xff garbage",
        b"{not json",
        b"[]",
        b'{"Encrypt": 5, "MsgSignature": "x"}',
    ],
)
def test_garbage_bodies_get_a_4xx_and_store_nothing(receiver: Receiver, body: bytes) -> None:
    response = post(receiver, body, headers={"Content-Type": "application/json"})
    assert 400 <= response.status_code < 500
    assert receiver.store.list_events() == []


def test_a_1_mb_body_is_refused_with_413(receiver: Receiver) -> None:
    big = json.dumps({"Encrypt": "A" * (1024 * 1024)}).encode()
    response = post(receiver, big)
    assert response.status_code == 413
    assert receiver.store.list_events() == []


def test_malformed_event_inside_a_valid_envelope_is_refused(receiver: Receiver) -> None:
    response = post(receiver, receiver.envelope(b'{"appId": "x", "event": "E"}'))
    assert response.status_code == 400
    assert "appId" in response.text
    assert receiver.store.list_events() == []


def test_plaintext_is_refused_unless_allowed(receiver_factory: ReceiverFactory) -> None:
    strict = receiver_factory()
    response = post(strict, event())
    assert response.status_code == 400
    assert "plaintext" in response.text
    assert strict.store.list_events() == []
    lenient = receiver_factory(allow_plaintext=True, name="lenient.db")
    assert post(lenient, event()).text == "success"
    assert len(lenient.store.list_events()) == 1


def test_url_verification_echoes_only_when_signed(receiver: Receiver) -> None:
    signed = {
        "signature": crypto.signature(TOKEN, "1700000000", "abc"),
        "timestamp": "1700000000",
        "nonce": "abc",
        "echoStr": "echo-me",
    }
    response = httpx.post(receiver.url + "/", data=signed)
    assert (response.status_code, response.text) == (200, "echo-me")
    assert httpx.get(receiver.url + "/tp/auth", params=signed).text == "echo-me"
    forged = {**signed, "signature": "f" * 40}
    assert httpx.post(receiver.url + "/", data=forged).status_code == 403


def test_health(receiver: Receiver) -> None:
    response = httpx.get(receiver.url + "/healthz")
    assert (response.status_code, response.text) == (200, "ok")


def test_a_store_failure_is_a_503_so_baidu_retries(receiver: Receiver) -> None:
    receiver.store.close()
    response = post(receiver, receiver.envelope(event()))
    assert response.status_code == 503
    assert httpx.get(receiver.url + "/healthz").status_code == 503


@pytest.mark.slow
async def test_200_concurrent_deliveries_are_all_stored(receiver: Receiver) -> None:
    envelopes = [receiver.envelope(event(app_id=1000 + i)) for i in range(200)]
    limits = httpx.Limits(max_connections=200)
    async with httpx.AsyncClient(base_url=receiver.url, timeout=60, limits=limits) as client:
        responses = await asyncio.gather(*(client.post("/", json=e) for e in envelopes))
    assert [r.text for r in responses] == ["success"] * 200
    stored = await asyncio.to_thread(receiver.store.list_events)
    assert sorted(e.app_id for e in stored) == list(range(1000, 1200))


@pytest.mark.slow
def test_on_event_command_gets_the_event_json(
    receiver_factory: ReceiverFactory, tmp_path: Path
) -> None:
    out = tmp_path / "hook-out"
    script = tmp_path / "hook.py"
    script.write_text(
        "import sys, pathlib, json\n"
        f"target = pathlib.Path({str(out)!r})\n"
        "data = json.load(sys.stdin)\n"
        "with target.open('a') as f: f.write(json.dumps(data) + '\\n')\n"
    )
    hook = CommandHook(f"{sys.executable} {script}")
    receiver = receiver_factory(on_event=hook)
    envelope = receiver.envelope(event(name="APP_PAYMENT_CREATE_ACCOUNT_FAIL", reason="资料不全"))
    assert post(receiver, envelope).text == "success"
    assert post(receiver, envelope).text == "success"  # a redelivery does not run it again
    assert post(receiver, receiver.envelope(event(app_id=202))).text == "success"
    wait_for(lambda: out.exists() and len(out.read_text().splitlines()) >= 2)
    records = sorted(
        (json.loads(line) for line in out.read_text().splitlines()), key=lambda d: d["app_id"]
    )
    assert [(d["app_id"], d["event"]) for d in records] == [
        (101, "APP_PAYMENT_CREATE_ACCOUNT_FAIL"),
        (202, "APP_PAYMENT_CREATE_ACCOUNT_PASS"),
    ]
    assert records[0]["reason"] == "资料不全"
    assert records[0]["event_time"] == "2026-11-25T10:00:00+08:00"


def test_a_failing_hook_does_not_change_the_answer(receiver_factory: ReceiverFactory) -> None:
    receiver = receiver_factory(
        on_event=CommandHook(f"{sys.executable} -c 'import sys; sys.exit(4)'")
    )
    assert post(receiver, receiver.envelope(event())).text == "success"
    assert len(receiver.store.list_events()) == 1


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3)
    ),
    max_leaves=8,
)
_envelope_like = st.fixed_dictionaries(
    {},
    optional={
        "Encrypt": st.text(max_size=80) | st.integers(),
        "MsgSignature": st.text(max_size=45),
        "TimeStamp": st.text(max_size=12) | st.integers(),
        "Nonce": st.text(max_size=12) | _json_values,
        "echoStr": st.text(max_size=12) | _json_values,
    },
)


@pytest.fixture
def in_process(receiver: Receiver) -> Iterator[TestClient]:
    """The same receiver app in-process (fast enough for hundreds of fuzz examples)."""
    with TestClient(create_receiver(receiver.settings, receiver.store)) as client:
        yield client


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.binary(max_size=300)
    | _envelope_like.map(lambda d: json.dumps(d).encode())
    | _json_values.map(lambda v: json.dumps(v).encode()),
    path=st.sampled_from(["/", "/tp/auth"]),
)
@pytest.mark.slow
def test_fuzz_no_input_escapes_the_handler(
    receiver: Receiver, in_process: TestClient, body: bytes, path: str
) -> None:
    response = in_process.post(path, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code in (400, 403, 405, 413), response.text
    assert receiver.store.list_events() == []


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(message=st.binary(max_size=200) | _json_values.map(lambda v: json.dumps(v).encode()))
@example(message=b'{"EVENT":[]}')  # found by this test: an unhashable event name was a 503
@pytest.mark.slow
def test_fuzz_signed_envelopes_with_arbitrary_content(
    receiver: Receiver, in_process: TestClient, message: bytes
) -> None:
    """Correctly signed and encrypted, but the content is anything: a 4xx, never a 5xx."""
    for path in ("/", "/tp/auth"):
        response = in_process.post(path, json=receiver.envelope(message))
        assert response.status_code in (200, 400), response.text


def test_random_bodies_over_real_http(receiver: Receiver) -> None:
    with httpx.Client(base_url=receiver.url, timeout=10) as client:
        for size in (0, 1, 17, 100, 4096, 65536):
            body = os.urandom(size)
            response = client.post(
                "/", content=body, headers={"Content-Type": "application/octet-stream"}
            )
            assert 400 <= response.status_code < 500
    assert receiver.store.list_events() == []


@pytest.mark.postgres
async def test_concurrent_deliveries_and_redeliveries_on_postgresql(
    postgres_url: str, state_key: str, tmp_path: Path
) -> None:
    """Two receivers (replicas) share one PostgreSQL store; Baidu redelivers to both."""
    from smartpay_apply.state import open_store
    from tests.events.conftest import AES_KEY_TEXT, CLIENT_ID, serve_in_thread

    settings = ReceiverSettings(TOKEN, crypto.aes_key(AES_KEY_TEXT), CLIENT_ID)
    stores = [open_store(postgres_url, base_dir=tmp_path) for _ in range(2)]
    try:
        with (
            serve_in_thread(create_receiver(settings, stores[0])) as first,
            serve_in_thread(create_receiver(settings, stores[1])) as second,
        ):
            helper = Receiver(first, stores[0], settings, tmp_path / "unused")
            envelopes = [helper.envelope(event(app_id=5000 + i)) for i in range(100)]
            async with httpx.AsyncClient(
                timeout=60, limits=httpx.Limits(max_connections=200)
            ) as client:
                responses = await asyncio.gather(
                    *(client.post(url + "/", json=e) for e in envelopes for url in (first, second))
                )
        assert [r.text for r in responses] == ["success"] * 200
        stored = await asyncio.to_thread(stores[0].list_events)
        assert sorted(e.app_id for e in stored) == list(range(5000, 5100))
    finally:
        for store in stores:
            store.close()
