"""The envelope crypto against independently built envelopes, and its refusals."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import struct

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given, settings
from hypothesis import strategies as st

from smartpay_apply.errors import SmartpayError
from smartpay_apply.events import crypto
from smartpay_apply.events.crypto import EnvelopeError

AES_KEY_TEXT = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
KEY = crypto.aes_key(AES_KEY_TEXT)
CLIENT_ID = "tp-client"
MESSAGE = json.dumps(
    {
        "appId": 101,
        "tpAppId": 9,
        "eventTime": "2019-01-14 12:45:10",
        "event": "APP_PAYMENT_CREATE_ACCOUNT_PASS",
    }
).encode()


def reference_envelope(
    message: bytes, client_id: str = CLIENT_ID, pad_byte: int | None = None
) -> str:
    """Built step by step from openapi-facts.md, without the module under test."""
    key = base64.b64decode(AES_KEY_TEXT + "=")
    plain = b"R" * 16 + struct.pack(">I", len(message)) + message + client_id.encode()
    pad = 32 - len(plain) % 32
    plain += bytes([pad if pad_byte is None else pad_byte]) * pad
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


def test_key_is_32_bytes_and_shape_is_checked() -> None:
    assert len(KEY) == 32
    with pytest.raises(SmartpayError, match="43 characters"):
        crypto.aes_key("short")


def test_decrypts_an_envelope_built_from_the_documentation() -> None:
    assert crypto.decrypt(KEY, reference_envelope(MESSAGE), CLIENT_ID) == MESSAGE
    assert crypto.decrypt(KEY, reference_envelope(MESSAGE), None) == MESSAGE


def test_encrypt_round_trips_and_pads_to_32() -> None:
    encrypted = crypto.encrypt(KEY, MESSAGE, CLIENT_ID)
    assert len(base64.b64decode(encrypted)) % 32 == 0
    assert crypto.decrypt(KEY, encrypted, CLIENT_ID) == MESSAGE
    again = crypto.encrypt(KEY, MESSAGE, CLIENT_ID)
    assert again != encrypted  # a fresh random prefix each time
    assert crypto.decrypt(KEY, again, CLIENT_ID) == MESSAGE


def test_wrong_client_id_is_refused() -> None:
    with pytest.raises(EnvelopeError, match="client id"):
        crypto.decrypt(KEY, reference_envelope(MESSAGE, client_id="someone-else"), CLIENT_ID)


def test_bad_padding_is_refused() -> None:
    with pytest.raises(EnvelopeError, match="bad padding"):
        crypto.decrypt(KEY, reference_envelope(MESSAGE, pad_byte=0), CLIENT_ID)
    with pytest.raises(EnvelopeError, match="bad padding"):
        crypto.decrypt(KEY, reference_envelope(MESSAGE, pad_byte=33), CLIENT_ID)


def test_tampered_last_block_is_refused() -> None:
    raw = bytearray(base64.b64decode(reference_envelope(MESSAGE)))
    raw[-1] ^= 0x01
    with pytest.raises(EnvelopeError):
        crypto.decrypt(KEY, base64.b64encode(bytes(raw)).decode(), CLIENT_ID)


@pytest.mark.parametrize("encrypted", ["", "not base64!", base64.b64encode(b"x" * 15).decode()])
def test_malformed_ciphertext_is_refused(encrypted: str) -> None:
    with pytest.raises(EnvelopeError):
        crypto.decrypt(KEY, encrypted, CLIENT_ID)


def test_signature_is_sha1_of_the_sorted_parts() -> None:
    parts = ["token", "1700000000", "nonce", "ENC"]
    expected = hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()
    assert crypto.signature("token", "1700000000", "nonce", "ENC") == expected
    crypto.verify_signature("token", expected, "1700000000", "nonce", "ENC")
    crypto.verify_signature("token", expected.upper(), "1700000000", "nonce", "ENC")
    with pytest.raises(EnvelopeError, match="signature"):
        crypto.verify_signature("token", expected, "1700000001", "nonce", "ENC")
    with pytest.raises(EnvelopeError, match="signature"):
        crypto.verify_signature("token", "签名", "1700000000", "nonce", "ENC")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_decoder_never_raises_anything_but_envelope_error(encrypted: str) -> None:
    with contextlib.suppress(EnvelopeError):
        crypto.decrypt(KEY, encrypted, CLIENT_ID)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=1, max_value=16).flatmap(
        lambda n: st.binary(min_size=16 * n, max_size=16 * n)
    )
)
def test_random_ciphertext_is_refused_as_an_envelope_error(ciphertext: bytes) -> None:
    """Bytes nobody encrypted for us never decode to a message (padding, length and the
    trailing client id would all have to fit): always an EnvelopeError, never a crash."""
    with pytest.raises(EnvelopeError):
        crypto.decrypt(KEY, base64.b64encode(ciphertext).decode(), CLIENT_ID)
