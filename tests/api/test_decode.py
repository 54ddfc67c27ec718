"""The client reads every answer body exactly as `json.loads` does, only faster.

`interpret.decode` decodes with msgspec where it can (issue 16); the reference is json: the
same values of the same types (an integer of any size stays an integer, a float is the same
float, bit for bit), the same None for what json cannot read.
"""

from __future__ import annotations

import json
import math
import struct
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from smartpay_apply.api.interpret import DEEP_BODY, decode


def _json(body: bytes) -> object:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


def _same(a: object, b: object) -> bool:
    """Equal values of identical types (floats bit for bit, NaN equal to NaN), dict order too;
    walked with a stack of its own, so deep nesting is compared too."""
    pending = [(a, b)]
    while pending:
        x, y = pending.pop()
        if type(x) is not type(y):
            return False
        if isinstance(x, float) and isinstance(y, float):
            same_bits = struct.pack("<d", x) == struct.pack("<d", y)
            if not (same_bits or (math.isnan(x) and math.isnan(y))):
                return False
        elif isinstance(x, list) and isinstance(y, list):
            if len(x) != len(y):
                return False
            pending.extend(zip(x, y, strict=True))
        elif isinstance(x, dict) and isinstance(y, dict):
            if list(x) != list(y):
                return False
            pending.extend((x[key], y[key]) for key in x)
        elif x != y:
            return False
    return True


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(-(10**40), 10**40),
    st.sampled_from([2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63), -(2**63) - 1, 10**30]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(), inner)),
    max_leaves=20,
)


@settings(max_examples=300)
@given(_VALUES, st.booleans(), st.booleans())
def test_any_json_text_decodes_as_json_decodes_it(
    value: Any, ascii_only: bool, spaced: bool
) -> None:
    separators = (", ", ": ") if spaced else (",", ":")
    body = json.dumps(value, ensure_ascii=ascii_only, separators=separators).encode()
    assert _same(decode(body), _json(body))


_NUMBER_TEXT = st.from_regex(
    r"-?(0|[1-9][0-9]{0,30})(\.[0-9]{1,30})?([eE][+-]?[0-9]{1,3})?", fullmatch=True
)


@settings(max_examples=500)
@given(_NUMBER_TEXT)
def test_numbers_are_the_same_integers_and_floats(text: str) -> None:
    body = f'{{"errno":0,"data":{{"amount":{text}}}}}'.encode()
    assert _same(decode(body), _json(body))


@settings(max_examples=300)
@given(st.binary(max_size=40))
def test_any_bytes_decode_as_json_decodes_them(body: bytes) -> None:
    assert _same(decode(body), _json(body))


def test_what_only_json_reads_is_still_read() -> None:
    cases = [
        b"123456789012345678901234567890",  # beyond 64 bits: an exact integer
        b"-18446744073709551617",
        b"[1e400, -1e400]",  # inf
        b"[NaN, Infinity]",
        b'"\\ud800"',  # a lone surrogate, escaped
        b'"\xed\xa0\x80"',  # and as (surrogatepass) UTF-8
        b"\xef\xbb\xbf{}",  # a byte-order mark
        '{"a": "中"}'.encode("utf-16"),
        '{"a": 1}'.encode("utf-32-le"),
        b'{"a":1,"b":2,"a":3}',  # a repeated key: the last value, the first position
        b"2.2250738585072011e-308",
        b"9007199254740993.0",
        b"0.1e-999",
        b"\xff\xfe\x00",
        b"",
        b"[1,]",
        b"1" + b"0" * 5000,  # more digits than int() accepts: not JSON for json either
    ]
    for body in cases:
        assert _same(decode(body), _json(body)), body


def _deepest_json_reads(open_: bytes, close: bytes, inner: bytes) -> int:
    low, high = 1, 5_000
    while low < high:
        middle = (low + high + 1) // 2
        if _json(open_ * middle + inner + close * middle) is None:
            high = middle - 1
        else:
            low = middle
    return low


def test_nesting_near_the_limit_is_refused_exactly_when_json_refuses_it() -> None:
    for open_, inner, close in ((b"[", b"", b"]"), (b'{"a":', b"1", b"}")):
        deepest = _deepest_json_reads(open_, close, inner)  # from this very call depth
        depths = {DEEP_BODY - 1, DEEP_BODY, *range(deepest - 3, deepest + 6), 100_000}
        for depth in sorted(depths):
            body = open_ * depth + inner + close * depth
            assert _same(decode(body), _json(body)), (open_, depth, deepest)
