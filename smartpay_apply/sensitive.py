"""What counts as sensitive, and how it is shown.

One list for the whole tool: the API client's request logging, the plan renderers, the spec
loader and the state store all ask this module, so a field is never masked in one place and
printed in another.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

#: Field and parameter names whose values are never printed, logged or stored in clear.
SENSITIVE_FIELDS: frozenset[str] = frozenset(
    {
        "legal_id",
        "bank_card",
        "id_card_front_url",
        "id_card_back_url",
        "id_card_front",
        "id_card_back",
        "access_token",
        "refresh_token",
        "code",
        "authorization_code",
        "ticket",
        "client_secret",
        "encoding_aes_key",
        "token",
        "private_key",
        "pm_app_key",
        "paid_account",
        "multipartFile",
        "benefit_id",
        "manager_id",
        "manager_card",
    }
)

#: Fields whose tail is useful to a reviewer (which bank card?) and safe to show masked.
TAIL_FIELDS: frozenset[str] = frozenset({"bank_card", "legal_id", "paid_account"})

SENSITIVE_LABEL = "(sensitive)"


def is_sensitive(field: str) -> bool:
    """True if the last component of a dotted field path names a sensitive field."""
    return field.rsplit(".", 1)[-1] in SENSITIVE_FIELDS


def mask_tail(value: object, keep: int = 4) -> str:
    """`6217000010001234` -> `****1234`; short values are masked whole."""
    text = "" if value is None else str(value)
    if len(text) <= keep * 2:
        return "****"
    return "****" + text[-keep:]


def display(field: str, value: object) -> object:
    """The value as a human may see it: masked if the field is sensitive, unchanged otherwise."""
    if value is None or not is_sensitive(field):
        return value
    name = field.rsplit(".", 1)[-1]
    if name in TAIL_FIELDS:
        return mask_tail(value)
    return SENSITIVE_LABEL


def mask_mapping(values: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a flat mapping with every sensitive value masked (for logs and errors)."""
    return {key: display(key, value) for key, value in values.items()}


_QUERY_SECRET = re.compile(
    r"(?P<key>access_token|refresh_token|code|ticket|client_secret)=(?P<value>[^&\s\"']+)"
)


def mask_query(text: str) -> str:
    """Mask secrets in a URL or query string, e.g. `?access_token=abc` -> `?access_token=****`."""
    return _QUERY_SECRET.sub(lambda m: f"{m.group('key')}=****", text)
