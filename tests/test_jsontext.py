"""`jsontext.indented` writes exactly what json.dumps(ensure_ascii=False, indent=2) writes:
plans and the status document are read by pipelines that may compare them byte for byte."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from smartpay_apply.jsontext import compact_sorted, indented

# Every code point, lone surrogates and control characters included.
TEXT = st.text(st.characters(codec=None, categories=None), max_size=12)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**63 - 3, max_value=2**64 + 3),  # around orjson's limits
    st.integers(min_value=-(2**63) - 3, max_value=-(2**63) + 3),
    TEXT,
)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)),
    max_leaves=30,
)


def standard(document: Any) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2)


@settings(max_examples=200)
@given(DOCUMENTS)
def test_the_same_text_as_the_standard_library(document: Any) -> None:
    assert indented(document) == standard(document)


def test_every_character_of_the_basic_plane_is_written_the_same() -> None:
    text = "".join(chr(code) for code in range(0x10000))
    document = {"text": text, "empty": {}, "none": [], "nested": [{"a": [1, None, True]}]}
    assert indented(document) == standard(document)


def test_what_orjson_refuses_is_written_by_the_standard_library() -> None:
    document = {"big": 10**30, "lone": "\ud800", 1: "integer key"}
    assert indented(document) == standard(document)


def standard_sorted(document: Any) -> str:
    return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


@settings(max_examples=300)
@given(DOCUMENTS)
def test_compact_sorted_is_the_standard_librarys_text(document: Any) -> None:
    """observed_checksum hashes this text: a saved plan's checksum is compared with the one
    apply computes, by another version of the tool maybe — one byte of difference would make
    every saved plan stale."""
    try:
        expected = standard_sorted(document)
    except TypeError:  # keys json cannot sort (an int beside a text): never in a checksum
        return
    assert compact_sorted(document) == expected


def test_compact_sorted_writes_what_orjson_refuses_by_the_standard_library() -> None:
    document = {"big": 10**30, "lone": "\ud800", "b": [{"z": 1, "a": None}], "a": "中文"}
    assert compact_sorted(document) == standard_sorted(document)


def test_compact_sorted_orders_keys_by_code_point() -> None:
    document = {"é": 1, "z": 2, "中": 3, "A": 4, "\U0001f600": 5, "ｚ": 6}
    assert compact_sorted(document) == standard_sorted(document)
