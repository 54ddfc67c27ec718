"""Bytes a spec project points at: an ID-card image and the TP's RSA public key."""

from __future__ import annotations

import functools
import struct
import zlib

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

#: PNG-signed bytes: enough for the upload endpoints, which check the signature only.
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def tiny_png() -> bytes:
    """A valid 1x1 PNG (for the spec loader, which reads the image)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff"))
        + chunk(b"IEND", b"")
    )


@functools.cache
def public_key_pem() -> bytes:
    """An RSA public key in PEM (SubjectPublicKeyInfo), generated once per test session."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
