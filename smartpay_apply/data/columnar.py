"""A page of wire rows converted column by column, in a handful of C-level operations.

Why: converting is the exporter's hottest loop (13 fields x 100,000 rows for the orders), and a
per-row converter pays Python's cost per field: a regular-expression call per amount, a
`datetime.fromisoformat` per time. Taken a column at a time, a page needs one `join` and one
regular expression per amount or time column, one type check per column and one date check
per distinct day (bench/README.md, issue 16).

This is only a fast path. It answers None whenever a page is not entirely in the canonical
forms Baidu sends (a missing field, an id sent as a number is fine, but an amount such as
"1,234.50", a time in another format, a value that is not text...), and the caller then uses
the per-row converter (`columns.format_rows`), which is the reference: every value this path
returns is exactly what that converter returns for it (tests/data/test_columnar.py checks it).
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

#: How a column is checked in bulk: its converter's canonical form.
TEXT, AMOUNT, TIME, OTHER = "text", "amount", "time", "other"

_AMOUNT = r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?"
#: "YYYY-MM-DD HH:MM:SS" with the hour, minute and second in range: together with a real date
#: (checked once per distinct day) exactly what `datetime.fromisoformat` accepts of this form.
_TIME = r"[0-9]{4}-[0-9]{2}-[0-9]{2} (?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
_AMOUNTS = re.compile(f"{_AMOUNT}(?:\n{_AMOUNT})*").fullmatch
_TIMES = re.compile(f"{_TIME}(?:\n{_TIME})*").fullmatch
_TEXT_TYPES = frozenset({str, type(None)})
_STR_ONLY = frozenset({str})
_not_none = functools.partial(operator.is_not, None)

Convert = Callable[[Any], str | None]
Column = Sequence[Any]


def convert_page(
    sources: tuple[str, ...],
    kinds: tuple[str, ...],
    converts: tuple[Convert, ...],
    items: Sequence[Any],
) -> list[tuple[str | None, ...]] | None:
    """Rows in column order for `items` (JSON objects), or None: use the per-row converter.

    `sources` are the wire fields, `kinds` how each is checked (TEXT, AMOUNT, TIME, OTHER) and
    `converts` each column's converter (applied per value where a column is not canonical).
    """
    if len(sources) < 2 or items.__class__ is not list or not items:
        return None
    try:
        by_column = list(zip(*_picked(sources, items), strict=True))
        out = [
            _column(kind, convert, values)
            for kind, convert, values in zip(kinds, converts, by_column, strict=True)
        ]
    except (ValueError, TypeError, ArithmeticError, AttributeError, KeyError):
        return None  # the per-row converter says which row and field, or converts it
    return list(zip(*out, strict=True))


def _picked(sources: tuple[str, ...], items: list[Any]) -> list[tuple[Any, ...]]:
    """Each item's values of `sources`, in order (None for a missing field, as `get` gives)."""
    try:
        return list(map(operator.itemgetter(*sources), items))
    except KeyError:
        return [tuple(map(item.get, sources)) for item in items]


def _column(kind: str, convert: Convert, values: Column) -> Column:
    types = set(map(type, values))
    if kind == TEXT:
        return values if types <= _TEXT_TYPES else tuple(map(convert, values))
    if kind == AMOUNT and types <= _TEXT_TYPES:
        if str not in types:
            return values  # all null: None
        present = values if len(types) == 1 else list(filter(_not_none, values))
        if _all_match(_AMOUNTS, present):
            return values  # canonical amounts stay as sent; null stays None
    if kind == TIME and types == _STR_ONLY and _all_match(_TIMES, values):
        return _iso_times(values)
    return tuple(map(convert, values))


def _all_match(fullmatch: Callable[[str], Any], values: Column) -> bool:
    """Whether every value matches: one match over the values joined by newlines (a value with
    a newline of its own makes the count of newlines differ, and is refused)."""
    joined = "\n".join(values)
    return joined.count("\n") == len(values) - 1 and fullmatch(joined) is not None


def _iso_times(values: Column) -> list[str]:
    """Canonical Baidu times -> "YYYY-MM-DDTHH:MM:SS+08:00"; ValueError for a date that does
    not exist (2019-02-30), which sends the page to the per-row converter."""
    for day in {value[:10] for value in values}:
        date.fromisoformat(day)
    joined = "\n".join(values).replace(" ", "T") + "+08:00"
    return joined.replace("\n", "+08:00\n").split("\n")
