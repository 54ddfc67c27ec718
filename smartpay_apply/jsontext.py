"""Indented JSON text, exactly as `json.dumps(document, ensure_ascii=False, indent=2)` writes
it, written by orjson wherever orjson can; and the compact, key-sorted text checksums hash.

Why: the standard library writes indented JSON with its pure-Python encoder (its C encoder is
for compact output only): 30-70 ms for a plan of 1,000 mini-programs, added to the plan's
wall time after its last answer (issue 16), and 450 ms for the status of 5,000. orjson writes
the same bytes for text, integers, booleans, null, lists and objects with text keys, ten times
faster; what it refuses (integers beyond 64 bits, lone surrogates, non-text keys) goes to the
standard library, so the output never changes. Not for floats: the two spell some of them
differently (1e16), and none of our documents holds one.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def compact_sorted(document: Any) -> str:
    """`json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))`,
    by orjson where it writes the same text (its compact form has no spaces either).

    Why: apply's planner hashes every observation it decides on (engine/observe.py
    `observed_checksum`): 1,500 times for 500 mini-programs, ~0.05 ms each by json (issue 16).
    """
    try:
        return orjson.dumps(document, option=orjson.OPT_SORT_KEYS).decode("utf-8")
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def indented(document: Any) -> str:
    """`document` as indented JSON text (Chinese kept readable), without a final newline."""
    try:
        return orjson.dumps(document, option=orjson.OPT_INDENT_2).decode("utf-8")
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json.dumps(document, ensure_ascii=False, indent=2)
