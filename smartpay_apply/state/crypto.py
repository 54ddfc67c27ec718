"""Encryption at rest for secrets (tokens, tickets, codes) and uploaded id-card URLs.

Key: `SMARTPAY_STATE_KEY` from the environment, any string — use a long random one, e.g.
`python -c "import secrets; print(secrets.token_urlsafe(32))"`. The AES key is derived with
HKDF-SHA256 (salt: the store's random salt, info: "smartpay-apply/state/secrets/v1"), so one
SMARTPAY_STATE_KEY gives each store its own key.

Stored format: `v1.<kid>.<base64url(nonce[12] || AES-256-GCM ciphertext+tag)>` where `kid` is 8
hex digits identifying the derived key (HMAC of the key, so it reveals nothing) — a wrong
SMARTPAY_STATE_KEY is then a clear error, not a decryption failure. The row's purpose and name
("secret:app/1/refresh_token", "image:<sha256>") are the GCM associated data, so a ciphertext
copied into another row does not decrypt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from typing import TYPE_CHECKING

from smartpay_apply.errors import StateError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_ENV = "SMARTPAY_STATE_KEY"
FORMAT = "v1"
_INFO = b"smartpay-apply/state/secrets/v1"


def key_from_environment() -> str | None:
    """SMARTPAY_STATE_KEY, or None when unset or empty."""
    value = os.environ.get(KEY_ENV, "")
    return value or None


class SecretBox:
    """Encrypts and decrypts values of one store with the key derived from SMARTPAY_STATE_KEY.

    cryptography is imported by the first box made: ~20 ms that every command opening a store
    without SMARTPAY_STATE_KEY (plan, apply, status...) would pay for nothing (issue 16).
    """

    def __init__(self, passphrase: str, salt: bytes) -> None:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=_INFO).derive(
            passphrase.encode()
        )
        self._aead: AESGCM = AESGCM(key)
        self.kid = hmac.new(key, b"key-id", hashlib.sha256).hexdigest()[:8]

    def encrypt(self, purpose: str, plaintext: str) -> str:
        """`plaintext` sealed for the row named by `purpose`, in the stored format."""
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), purpose.encode())
        return f"{FORMAT}.{self.kid}.{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def decrypt(self, purpose: str, stored: str) -> str:
        """The plaintext of a stored value, or a StateError saying why it cannot be read."""
        from cryptography.exceptions import InvalidTag

        try:
            version, kid, body = stored.split(".", 2)
        except ValueError:
            raise StateError(f"stored {purpose} is not in a known format") from None
        if version != FORMAT:
            raise StateError(f"stored {purpose} uses format {version!r}, unknown to this version")
        if kid != self.kid:
            raise StateError(
                f"stored {purpose} was encrypted with a different {KEY_ENV} "
                f"(key id {kid}, the current key is {self.kid})"
            )
        try:
            raw = base64.urlsafe_b64decode(body.encode())
            return self._aead.decrypt(raw[:12], raw[12:], purpose.encode()).decode()
        except (InvalidTag, ValueError):
            raise StateError(f"stored {purpose} is damaged or was tampered with") from None
