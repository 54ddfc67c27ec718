"""Salted fingerprints of write-only sections (account, developer config).

Baidu never returns what was submitted for these sections, so plan compares the spec with a
fingerprint of the last submission. The fingerprint is HMAC-SHA256 keyed with the store's random
salt over the section name and the canonical JSON of the whole section, so it says "same or
different" and nothing else: without the salt nobody can test guesses of a bank card against it.

Canonical JSON: keys sorted, no whitespace, UTF-8 unescaped; Decimal as its normalised plain
string (`100.00` and `100` are the same amount); SecretStr unwrapped (for hashing only);
dates and times in ISO 8601; enums by value; pydantic models by `model_dump()`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from pydantic import BaseModel, SecretBytes, SecretStr


def decimal_text(value: Decimal) -> str:
    """Decimal('100.50') -> '100.5', Decimal('1E+2') -> '100': one spelling per amount."""
    if not value.is_finite():
        return str(value)
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def _plain(value: Any) -> Any:
    """JSON's `default`: the canonical plain form of the values specs and plans carry."""
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, SecretBytes):
        return value.get_secret_value().decode("utf-8", "replace")
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, BaseModel):
        return value.model_dump()
    if isinstance(value, set | frozenset):
        return sorted(value, key=lambda item: json.dumps(item, default=_plain, sort_keys=True))
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"cannot fingerprint a {type(value).__name__}")


def canonical_json(values: Mapping[str, Any]) -> str:
    """The one text a section's values hash as (see the module docstring)."""
    return json.dumps(
        dict(values), default=_plain, sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )


def section_fingerprint(salt: bytes, section: str, values: Mapping[str, Any]) -> str:
    """HMAC-SHA256(salt, section + NUL + canonical JSON) as 64 hex digits."""
    message = section.encode() + b"\0" + canonical_json(values).encode()
    return hmac.new(salt, message, hashlib.sha256).hexdigest()
