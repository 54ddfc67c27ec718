"""The push envelope of Baidu's message-and-event URL: signature and AES decryption.

Exactly as docs/openapi-facts.md describes it:

- signature = sha1_hex("".join(sorted([token, TimeStamp, Nonce, Encrypt]))) (plain string sort);
- key = base64decode(EncodingAESKey + "="), 32 bytes; AES-256-CBC with IV = key[:16] and no
  cipher padding, then a PKCS#7-style pad of block size 32 is stripped;
- plaintext = 16 random bytes + 4-byte big-endian length L + L bytes of JSON + TP client id.

Every failure raises `EnvelopeError` with a short reason that is safe to log (never the key,
the token or the plaintext). `encrypt` exists so tests and tools can build real envelopes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import struct
from typing import TYPE_CHECKING

from smartpay_apply.errors import SmartpayError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers import Cipher, modes

PAD_BLOCK = 32
_RANDOM_PREFIX = 16
_KEY_SHAPE = re.compile(r"[A-Za-z0-9]{43}")


class EnvelopeError(SmartpayError):
    """A push that must be refused: bad signature, bad padding, wrong client id, bad shape."""


def signature(token: str, *parts: str) -> str:
    """sha1 hex of the token and the parts, sorted as plain strings and concatenated."""
    return hashlib.sha1("".join(sorted([token, *parts])).encode("utf-8")).hexdigest()


def verify_signature(token: str, expected: str, *parts: str) -> None:
    """Raise EnvelopeError unless `expected` is the signature of token + parts (constant time)."""
    actual = signature(token, *parts)
    if not hmac.compare_digest(
        actual.encode(), expected.strip().lower().encode("utf-8", "replace")
    ):
        raise EnvelopeError("signature mismatch")


def aes_key(encoding_aes_key: str) -> bytes:
    """EncodingAESKey (43 chars of [A-Za-z0-9]) -> the 32-byte AES key."""
    if not _KEY_SHAPE.fullmatch(encoding_aes_key):
        raise SmartpayError("EncodingAESKey must be 43 characters of [A-Za-z0-9]")
    return base64.b64decode(encoding_aes_key + "=")


def decrypt(key: bytes, encrypted: str, expected_client_id: str | None = None) -> bytes:
    """The JSON message inside `Encrypt`; checks padding, length and (if given) the client id."""
    try:
        ciphertext = base64.b64decode(encrypted, validate=True)
    except (binascii.Error, ValueError):
        raise EnvelopeError("Encrypt is not base64") from None
    if not ciphertext or len(ciphertext) % 16:
        raise EnvelopeError("ciphertext length is not a multiple of the AES block")
    decryptor = _cipher(key).decryptor()
    padded = decryptor.update(ciphertext) + decryptor.finalize()
    plaintext = _unpad(padded)
    if len(plaintext) < _RANDOM_PREFIX + 4:
        raise EnvelopeError("plaintext too short")
    (length,) = struct.unpack(">I", plaintext[_RANDOM_PREFIX : _RANDOM_PREFIX + 4])
    body_start = _RANDOM_PREFIX + 4
    if length > len(plaintext) - body_start:
        raise EnvelopeError("message length exceeds the plaintext")
    message = plaintext[body_start : body_start + length]
    client_id = plaintext[body_start + length :]
    if expected_client_id is not None and not hmac.compare_digest(
        client_id, expected_client_id.encode("utf-8")
    ):
        raise EnvelopeError("client id does not match the configured tp_client_id")
    return message


def _unpad(padded: bytes) -> bytes:
    pad = padded[-1]
    if not 1 <= pad <= PAD_BLOCK or pad > len(padded) or padded[-pad:] != bytes([pad]) * pad:
        raise EnvelopeError("bad padding")
    return padded[:-pad]


def encrypt(
    key: bytes, message: bytes, client_id: str, *, random_prefix: bytes | None = None
) -> str:
    """The inverse of `decrypt` (base64 text), as Baidu builds it."""
    prefix = random_prefix if random_prefix is not None else os.urandom(_RANDOM_PREFIX)
    plain = prefix + struct.pack(">I", len(message)) + message + client_id.encode("utf-8")
    pad = PAD_BLOCK - len(plain) % PAD_BLOCK
    plain += bytes([pad]) * pad
    encryptor = _cipher(key).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode("ascii")


def _cipher(key: bytes) -> Cipher[modes.CBC]:
    """AES-256-CBC with the key's first 16 bytes as IV, as Baidu seals push events.

    cryptography is imported here, by the first event sealed or opened: plan and apply only
    ask whether a receiver is configured (`aes_key`), which takes ~20 ms less (issue 16).
    """
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    return Cipher(algorithms.AES(key), modes.CBC(key[:16]))
