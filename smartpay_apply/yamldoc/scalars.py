"""The YAML 1.2 core schema for scalars: which tag a plain scalar has, and its value.

Values are exact: a float is a Decimal (`.inf` and `.nan` included), an integer too long for
`int()` a Decimal, so that a field's range check (spec/numbers.py) can say what is wrong
instead of the conversion crashing or hanging.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

TAG_STR = "tag:yaml.org,2002:str"
TAG_INT = "tag:yaml.org,2002:int"
TAG_FLOAT = "tag:yaml.org,2002:float"
TAG_BOOL = "tag:yaml.org,2002:bool"
TAG_NULL = "tag:yaml.org,2002:null"
TAG_MAP = "tag:yaml.org,2002:map"
TAG_SEQ = "tag:yaml.org,2002:seq"
TAG_MERGE = "tag:yaml.org,2002:merge"

_NULL = re.compile(r"(?:~|null|Null|NULL|)\Z")
_BOOL = re.compile(r"(?:true|True|TRUE|false|False|FALSE)\Z")
_INT = re.compile(r"(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)\Z")
_FLOAT = re.compile(
    r"(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))\Z"
)


#: First characters a non-string plain scalar can start with; anything else is text at once.
_TYPED_STARTS = frozenset("0123456789+-.~nNtTfF<")


def resolve_plain(text: str) -> str:
    """The YAML 1.2 core-schema tag of a plain (unquoted) scalar."""
    if text and text[0] not in _TYPED_STARTS:
        return TAG_STR
    if _NULL.match(text):
        return TAG_NULL
    if _BOOL.match(text):
        return TAG_BOOL
    if _INT.match(text):
        return TAG_INT
    if _FLOAT.match(text):
        return TAG_FLOAT
    if text == "<<":
        return TAG_MERGE
    return TAG_STR


def construct(tag: str, text: str) -> Any:
    if tag == TAG_STR:
        return text
    if tag == TAG_NULL:
        return None
    if tag == TAG_BOOL:
        return text.lower() == "true"
    if tag == TAG_INT:
        if text.startswith("0o"):
            return int(text[2:], 8)
        if text.startswith("0x"):
            return int(text[2:], 16)
        if len(text) > _MAX_INT_DIGITS:
            return Decimal(
                text
            )  # int() refuses more than 4300 digits; a field's range check says why
        return int(text)
    return _float(text)


#: Python's int() refuses decimal text longer than 4300 digits (CVE-2020-10735).
_MAX_INT_DIGITS = 4000
_SPECIAL_FLOATS = {"inf": "Infinity", "nan": "NaN"}


def _float(text: str) -> Decimal:
    """A YAML float as an exact Decimal: `.inf`, `-.Inf` and `.nan` included, and an exponent
    too large for Decimal (`1e99999999999999999999`) as an infinity (out of every range)."""
    sign, body = ("-", text[1:]) if text[:1] in "+-" else ("", text)
    special = _SPECIAL_FLOATS.get(body[1:].lower()) if body[:1] == "." else None
    if special is not None:
        return Decimal(("-" if text.startswith("-") else "") + special)
    try:
        return Decimal(text)
    except InvalidOperation:
        if not _FLOAT.match(text):
            raise
        return Decimal(f"{sign}Infinity")
