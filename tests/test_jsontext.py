"""`jsontext.indented` writes exactly what json.dumps(ensure_ascii=False, indent=2) writes:
plans and the status document are read by pipelines that may compare them byte for byte."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from smartpay_apply.jsontext import indented

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
