"""Audit decisions are pushed to the webhook, encrypted and signed as openapi-facts.md says.

The receiver and the decryption here are written independently of the sandbox's own code.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

AES_KEY = "Zk5wT3FxR2xYb0p3VXNkS2FrQ2p5YkRhT2xRcW1ZcEx"
assert len(AES_KEY) == 43
PUSH_TOKEN = "verify-token-123"
CLIENT_ID = "tp-client-key-xyz"


class Receiver:
    """A webhook on 127.0.0.1 that stores every body; fails the first `fail_first` deliveries."""

    def __init__(self, fail_first: int = 0) -> None:
        self.bodies: list[bytes] = []
        self.failures_left = fail_first
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if receiver.failures_left > 0:
                    receiver.failures_left -= 1
                    self.send_response(500)
                    self.end_headers()
                    return
                receiver.bodies.append(body)
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"success")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/events"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, count: int, timeout: float = 15) -> list[bytes]:
        deadline = time.monotonic() + timeout
        while len(self.bodies) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return list(self.bodies)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def open_envelope(body: bytes) -> tuple[dict[str, Any], str]:
    """Check the signature, decrypt; returns (message, trailing client id)."""
    envelope = json.loads(body)
    assert set(envelope) == {"Nonce", "TimeStamp", "Encrypt", "MsgSignature"}
    parts = sorted([PUSH_TOKEN, envelope["TimeStamp"], envelope["Nonce"], envelope["Encrypt"]])
    assert hashlib.sha1("".join(parts).encode()).hexdigest() == envelope["MsgSignature"]
    key = base64.b64decode(AES_KEY + "=")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = decryptor.update(base64.b64decode(envelope["Encrypt"])) + decryptor.finalize()
    pad = plain[-1]
    assert 1 <= pad <= 32 and len(plain) % 32 == 0
    plain = plain[:-pad]
    (length,) = struct.unpack(">I", plain[16:20])
    message = json.loads(plain[20 : 20 + length])
    return message, plain[20 + length :].decode()


def onboard_over_http(base_url: str, app_id: int) -> None:
    from tests.sandbox.helpers import DEVELOPER, PNG, SERVICE

    with httpx.Client(base_url=base_url, params={"access_token": f"sandbox-{app_id}"}) as http:
        urls = [
            http.post(
                "/file/2.0/smartapp/upload/image",
                params={"access_token": "sandbox-tp"},  # uploads take the TP's token
                files={"multipartFile": ("a.png", PNG + side, "image/png")},
            ).json()["data"]
            for side in (b"f", b"b")
        ]
        form = {
            "business_scope": "软件开发",
            "business_province": "广东省",
            "business_city": "深圳市",
            "business_detail_address": "南山区科技园",
            "legal_person": "李四",
            "legal_id": "440300199001011234",
            "id_card_front_url": urls[0],
            "id_card_back_url": urls[1],
        }
        assert http.post("/rest/2.0/smartapp/pay/account/create", data=form).json()["errno"] == 0
        deadline = time.monotonic() + 15
        while http.get("/rest/2.0/smartapp/pay/account/auditstatus").json()["data"]["status"] != 4:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert (
            http.post("/rest/2.0/smartapp/pay/developconfig/submit", data=DEVELOPER).json()["errno"]
            == 0
        )
        # audit_delay 0: the developer config is approved by the time the next request comes.
        assert (
            http.post(
                "/rest/2.0/smartapp/pay/paymentservice/create",
                data={**SERVICE, "bank_branch": "拒绝支行"},
            ).json()["errno"]
            == 0
        )


def test_decisions_are_pushed_encrypted_and_signed(
    sandbox_factory: Any, receiver: Receiver
) -> None:
    box = sandbox_factory(
        audit_delay=0,
        webhook=receiver.url,
        push_token=PUSH_TOKEN,
        encoding_aes_key=AES_KEY,
        tp_client_id=CLIENT_ID,
        tp_app_id=4242,
    )
    onboard_over_http(box.base_url, 321)
    opened = [open_envelope(body) for body in receiver.wait_for(3)]
    assert {client for _, client in opened} == {CLIENT_ID}
    events = {m["event"]: m for m, _ in opened}
    assert set(events) == {
        "APP_PAYMENT_CREATE_ACCOUNT_PASS",
        "APP_PAYMENT_UPDATE_DEVELOP_CONFIG_PASS",
        "APP_PAYMENT_CREATE_PAYMENT_FAIL",  # the 拒绝 rule
    }
    passed = events["APP_PAYMENT_CREATE_ACCOUNT_PASS"]
    assert passed["appId"] == 321 and passed["tpAppId"] == 4242 and "reason" not in passed
    assert time.strptime(passed["eventTime"], "%Y-%m-%d %H:%M:%S")
    assert "bank_branch" in events["APP_PAYMENT_CREATE_PAYMENT_FAIL"]["reason"]


def test_plaintext_push_and_manual_rejection(sandbox_factory: Any, receiver: Receiver) -> None:
    box = sandbox_factory(audit_policy="manual", webhook=receiver.url, plaintext_push=True)
    from tests.sandbox.helpers import PNG

    with httpx.Client(base_url=box.base_url, params={"access_token": "sandbox-55"}) as http:
        url = http.post(
            "/file/2.0/smartapp/upload/image",
            params={"access_token": "sandbox-tp"},
            files={"multipartFile": ("a.png", PNG, "image/png")},
        ).json()["data"]
        form = {
            "business_scope": "软件开发",
            "business_province": "北京市",
            "business_city": "海淀区",
            "business_detail_address": "上地",
            "legal_person": "王五",
            "legal_id": "11010519491231002X",
            "id_card_front_url": url,
            "id_card_back_url": url,
        }
        http.post("/rest/2.0/smartapp/pay/account/create", data=form)
    assert box.app_state(55)["pending"] == ["account"]
    box.reject(55, "account", "身份证照片模糊")
    (body,) = receiver.wait_for(1)
    message = json.loads(body)
    assert (
        message["event"] == "APP_PAYMENT_CREATE_ACCOUNT_FAIL"
        and message["reason"] == "身份证照片模糊"
    )
    assert message["appId"] == 55


def test_failed_deliveries_are_retried(sandbox_factory: Any) -> None:
    receiver = Receiver(fail_first=2)
    try:
        box = sandbox_factory(
            audit_policy="manual", webhook=receiver.url, plaintext_push=True, push_retry_delay=0.05
        )
        box.tp_authorize(66)  # an AUTHORIZED push to the same URL
        (body,) = receiver.wait_for(1)
        message = json.loads(body)
        assert message["event"] == "AUTHORIZED" and message["appId"] == 66
        assert message["authorizationCode"]
        deadline = time.monotonic() + 15
        while "delivered" not in box.events()["deliveries"][0] and time.monotonic() < deadline:
            time.sleep(0.05)  # the receiver stores the body before the sandbox reads its answer
        deliveries = box.events()["deliveries"]
        assert deliveries[0]["attempts"] == 3 and deliveries[0]["delivered"] is True
    finally:
        receiver.close()
