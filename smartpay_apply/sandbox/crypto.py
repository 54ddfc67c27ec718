"""Baidu's push encryption and signature (openapi-facts.md, 审核消息推送), the sending side.

key = b64decode(EncodingAESKey + "="), AES-256-CBC with IV key[:16], plaintext
= 16 random bytes + 4-byte big-endian length + JSON + TP client id, padded PKCS#7-style to a
multiple of 32; MsgSignature = sha1 of the sorted [token, TimeStamp, Nonce, Encrypt].
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

PAD_BLOCK = 32


def aes_key(encoding_aes_key: str) -> bytes:
    """The 32-byte key of a 43-character EncodingAESKey."""
    if len(encoding_aes_key) != 43 or not encoding_aes_key.isalnum():
        raise ValueError("EncodingAESKey must be 43 characters [A-Za-z0-9]")
    key = base64.b64decode(encoding_aes_key + "=")
    if len(key) != 32:
        raise ValueError("EncodingAESKey does not decode to 32 bytes")
    return key


def pad(data: bytes) -> bytes:
    n = PAD_BLOCK - len(data) % PAD_BLOCK
    return data + bytes([n]) * n


def encrypt(message: bytes, encoding_aes_key: str, client_id: str) -> str:
    """The base64 `Encrypt` value for one JSON message."""
    key = aes_key(encoding_aes_key)
    plain = os.urandom(16) + struct.pack(">I", len(message)) + message + client_id.encode("utf-8")
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    cipher = encryptor.update(pad(plain)) + encryptor.finalize()
    return base64.b64encode(cipher).decode("ascii")


def signature(token: str, timestamp: str, nonce: str, encrypted: str) -> str:
    return hashlib.sha1(
        "".join(sorted([token, timestamp, nonce, encrypted])).encode("utf-8")
    ).hexdigest()


def envelope(
    message: bytes, token: str, encoding_aes_key: str, client_id: str, timestamp: int
) -> dict[str, str]:
    """The pushed body: {Nonce, TimeStamp, Encrypt, MsgSignature}."""
    nonce = secrets.token_hex(8)
    stamp = str(timestamp)
    encrypted = encrypt(message, encoding_aes_key, client_id)
    return {
        "Nonce": nonce,
        "TimeStamp": stamp,
        "Encrypt": encrypted,
        "MsgSignature": signature(token, stamp, nonce, encrypted),
    }
