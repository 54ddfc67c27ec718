"""A fast reader for the plain YAML most spec files are written in, without positions.

Why: `validate` of 2,000 specs spent half its time building the positioned tree from the C
parser's events in Python (bench/README.md), and positions are needed only where something is
wrong. Most spec files are block mappings of `key: value` lines; this module reads exactly that
subset, line by line with one regular expression, into plain data, and declines (returns None)
anything else. The caller then reads the file with positions (`read.parse`), which also happens
for every file with a problem, so every message keeps its file:line:column.

One language, not two: a plain scalar's type comes from the same YAML 1.2 core schema as the
positioned reader's (`scalars.resolve_plain` / `construct`), and what is accepted is small
enough to be read the same way by any YAML parser. tests/spec/test_simple_yaml.py checks, over
the examples, the fuzz corpus and the YAML 1.1/1.2 edge cases, that whatever this reader
accepts, the positioned reader reads to the same data.

Accepted: `key:` lines (keys of letters, digits and `_`) nested by spaces; a value that is a
plain scalar on one line, or a single- or double-quoted one without escapes; comments; blank
lines; one leading `---`; `{}` and `[]` (empty). Declined: everything else (sequences, flow collections, anchors,
aliases, tags, merge keys, block and multi-line scalars, escapes, tabs, several documents,
directives, duplicate keys, characters YAML does not allow or reads as line breaks).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import InvalidOperation
from typing import Any

from smartpay_apply.yamldoc.scalars import TAG_MERGE, TAG_NULL, TAG_STR, construct, resolve_plain


class Typed:
    """A plain scalar the core schema reads as a number or boolean: its value and source text.

    The text matters where a string is expected (`bank_card: 0012345678` stays "0012345678"),
    as in the positioned tree's `Scalar.text`. (A plain class: a frozen dataclass's __init__
    costs several times more, and there is one per number in every spec.)
    """

    __slots__ = ("text", "value")

    def __init__(self, value: Any, text: str) -> None:
        self.value = value
        self.text = text

    def __eq__(self, other: object) -> bool:
        # by representation: Decimal("NaN") is a value like any other here
        return isinstance(other, Typed) and self._key() == other._key()

    def _key(self) -> tuple[type, str, str]:
        return type(self.value), repr(self.value), self.text

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"Typed({self.value!r}, {self.text!r})"


@dataclass
class SimpleDoc:
    """One document read without positions: plain data (`Typed` for numbers and booleans),
    and the 1-based (line, column) of each top-level value (for messages naming a spec)."""

    data: dict[str, Any]
    where: dict[str, tuple[int, int]] = field(default_factory=dict)


# Characters a YAML reader refuses, or reads as line breaks (\x85, \u2028, \u2029), a BOM
# inside the text, tabs and carriage returns: any of them sends the file to the full reader.
_UNUSUAL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")
#: `key:` and what follows the colon's space (a key is letters, digits and `_`).
_KEY_LINE = re.compile(r"( *)([A-Za-z_][A-Za-z0-9_]*):(?: (.*))?\Z")
#: First characters that make a value something other than a one-line plain scalar.
_INDICATORS = frozenset("?:,[]{}#&*!|>'\"%@`")
#: First characters after which a value may be anything but text (quotes, indicators, and
#: what a number, boolean or null starts with): the others are plain text at once.
_SPECIAL_STARTS = _INDICATORS | frozenset("-\"'0123456789+.~nNtTfF<")
#: Beyond these the full reader decides (it stops at 64 levels and 100,000 nodes).
MAX_DEPTH = 8
MAX_KEYS = 10_000


class _Declined(Exception):
    """The document is not in the subset (raised from inside a line)."""


def read_simple(text: str) -> SimpleDoc | None:
    """The document in `text` as plain data, or None when it is not in the plain subset."""
    if _UNUSUAL.search(text):
        return None
    try:
        return _read(text)
    except _Declined:
        return None


def _read(text: str) -> SimpleDoc | None:
    root: dict[str, Any] = {}
    where: dict[str, tuple[int, int]] = {}
    # Open mappings, innermost last: (indent, mapping).
    stack: list[tuple[int, dict[str, Any]]] = [(0, root)]
    pending: tuple[int, dict[str, Any], str] | None = None  # a key whose value is below it
    started = False
    keys = 0
    match_key = _KEY_LINE.match
    for number, line in enumerate(text.split("\n"), start=1):
        content = line.lstrip(" ")
        if not content or content[0] == "#":
            continue  # a blank or comment line
        match = match_key(line)
        if match is None:
            if not started and content == line and line.rstrip(" ") == "---":
                started = True  # one document start marker before the content
                continue
            return None
        started = True
        keys += 1
        indent = len(line) - len(content)
        key = match.group(2)
        if pending is not None:
            parent_indent, parent, parent_key = pending
            pending = None
            if indent > parent_indent:  # the pending key's value is this nested mapping
                child: dict[str, Any] = {}
                parent[parent_key] = child
                stack.append((indent, child))
        while stack[-1][0] > indent:
            stack.pop()
        if stack[-1][0] != indent or len(stack) > MAX_DEPTH or keys > MAX_KEYS:
            return None  # an indentation no open mapping has, or too deep or large
        mapping = stack[-1][1]
        if key in mapping:
            return None  # a duplicate key: the full reader reports it
        rest = match.group(3)
        value_text = rest.lstrip(" ") if rest else ""
        if not value_text or value_text[0] == "#":
            mapping[key] = None  # unless a nested mapping follows
            pending = (indent, mapping, key)
            continue
        mapping[key] = _value(value_text)
        if len(stack) == 1:  # where a spec's name and app_id are written, for messages
            where[key] = (number, len(line) - len(value_text) + 1)
    if not root:
        return None  # empty, or only comments: the full reader says what it holds
    return SimpleDoc(root, where)


def _value(text: str) -> Any:
    """The value at the start of `text` (what follows `key: `, comment and spaces included)."""
    first = text[0]
    if first not in _SPECIAL_STARTS and ": " not in text and " #" not in text:
        value = text.rstrip(" ")
        if value[-1] != ":":
            return value  # text at once: most values are
    if first == '"' or first == "'":
        end = text.find(first, 1)
        if end < 0:
            raise _Declined  # several lines, or not closed
        _after(text[end + 1 :])
        inner = text[1:end]
        if first == '"' and "\\" in inner:
            raise _Declined  # escapes: the full reader decodes them
        return inner
    if first == "{" or first == "[":
        if text[1:2] != ("}" if first == "{" else "]"):
            raise _Declined  # a flow collection
        _after(text[2:])
        return {} if first == "{" else []
    if first in _INDICATORS or (first == "-" and text[1:2] in ("", " ")):
        raise _Declined
    cut = text.find(" #")
    return _plain((text if cut < 0 else text[:cut]).rstrip(" "))


def _after(text: str) -> None:
    """What may follow a quoted or flow value on its line: nothing, or spaces and a comment."""
    if text and not (text[0] == " " and text.lstrip(" ")[:1] in ("", "#")):
        raise _Declined


def _plain(plain: str) -> Any:
    """A plain scalar's value by the core schema (`Typed` for numbers and booleans)."""
    if ": " in plain or plain.endswith(":"):
        raise _Declined  # a mapping inside a plain scalar: an error the full reader words
    tag = resolve_plain(plain)
    if tag is TAG_STR:
        return plain
    if tag is TAG_NULL:
        return None
    if tag is TAG_MERGE:
        raise _Declined
    try:
        return Typed(construct(tag, plain), plain)
    except (ValueError, InvalidOperation):
        raise _Declined from None
