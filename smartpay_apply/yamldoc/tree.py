"""The positioned YAML tree: every key and value knows where it was written.

`read.py` builds it from a file; the spec loader and the project config walk it (merge
defaults, resolve references) and turn it into model input (`convert.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from smartpay_apply.yamldoc.problems import Location, Problem


@dataclass(slots=True)
class Scalar:
    """A leaf: its typed value (None, bool, int, Decimal or str) and its source text."""

    value: Any
    text: str
    plain: bool
    loc: Location


@dataclass(slots=True)
class Entry:
    """A mapping entry: where its key was written, and its value."""

    key_loc: Location
    value: Tree


@dataclass(slots=True)
class MapNode:
    """A mapping with string keys, in source order."""

    entries: dict[str, Entry]
    loc: Location


@dataclass(slots=True)
class SeqNode:
    """A sequence."""

    items: list[Tree]
    loc: Location


Tree = Scalar | MapNode | SeqNode


@dataclass
class ReadResult:
    """The documents of one file (None for an empty document) and what was wrong with it."""

    documents: list[Tree | None] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def to_python(tree: Tree | None) -> Any:
    """Plain Python data (dicts, lists, typed scalars) from a tree."""
    if tree is None:
        return None
    if isinstance(tree, Scalar):
        return tree.value
    if isinstance(tree, SeqNode):
        return [to_python(item) for item in tree.items]
    return {key: to_python(entry.value) for key, entry in tree.entries.items()}
