"""Build positioned trees from the YAML parser's events, recording problems, never raising.

The tree is built from the parser's events with an explicit stack, not from composed nodes:
the C composer recurses once per nesting level and overflows the C stack on input like
`[[[[...` (a crash, not an exception); it also costs a Python node object, a resolver call
and two resolver-path calls per value that the tree does not need.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import InvalidOperation
from pathlib import Path
from typing import Any

from ruamel.yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)

from smartpay_apply.yamldoc.problems import Location, Problem
from smartpay_apply.yamldoc.scalars import (
    TAG_BOOL,
    TAG_FLOAT,
    TAG_INT,
    TAG_MAP,
    TAG_MERGE,
    TAG_NULL,
    TAG_SEQ,
    TAG_STR,
    construct,
    resolve_plain,
)
from smartpay_apply.yamldoc.tree import Entry, MapNode, ReadResult, Scalar, SeqNode, Tree

#: Node visits per document: stops "billion laughs" alias expansion.
MAX_NODES_PER_DOCUMENT = 100_000
MAX_DEPTH = 64

_KNOWN_SCALAR_TAGS = {TAG_STR, TAG_INT, TAG_FLOAT, TAG_BOOL, TAG_NULL}
_TOO_BIG = "document too large or nested too deeply (aliases expand too far)"


class Abort(Exception):
    """Stop reading a file whose structure is abusive (too deep, alias bomb)."""


_SKIP: Any = object()  # a key whose entry is dropped (a problem was recorded)
_MERGE: Any = object()  # the `<<` key


@dataclass(slots=True)
class _Frame:
    """An open mapping or sequence while its events arrive."""

    loc: Location
    anchor: str | None
    start_size: int
    is_map: bool
    items: list[Tree] = field(default_factory=list)
    entries: dict[str, Entry] = field(default_factory=dict)
    merged: dict[str, Entry] = field(default_factory=dict)
    key: Any = None  # None: a key is expected next; else (name, loc), _SKIP or _MERGE


class EventBuilder:
    """Builds one Tree per document from events; records problems instead of raising.

    Aliases share the anchored tree (no copy); `size` counts the tree as if aliases were
    expanded, so an alias bomb stops at MAX_NODES_PER_DOCUMENT instead of exhausting memory in
    a later walk. A document with a problem stops being built but its events are still read
    (the parser must reach the next document).
    """

    def __init__(self, display: Path) -> None:
        self.display = display
        self.result = ReadResult()
        self._start_document()

    def _start_document(self) -> None:
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[Tree, int]] = {}
        self.open_anchors: set[str] = set()
        self.root: Tree | None = None
        self.size = 0
        self.failed = False

    def loc(self, event: Any) -> Location:
        mark = event.start_mark
        return Location(self.display, mark.line + 1, mark.column + 1)

    def problem(self, where: Location | None, message: str) -> None:
        self.result.problems.append(Problem.at(where, self.display, "", message))

    def fail(self, where: Location | None, message: str) -> None:
        """Stop building this document (its remaining events are read and ignored)."""
        self.problem(where, message)
        self.failed = True

    def abort(self, where: Location | None) -> None:
        """Stop reading the file: its structure is too deep or expands too far."""
        self.problem(where, _TOO_BIG)
        raise Abort

    def feed(self, event: Any) -> None:
        if self.failed:
            if event.__class__ is DocumentEndEvent:
                self._start_document()
            return
        kind = event.__class__
        if kind is ScalarEvent:
            self.scalar(event)
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            self.open(event, kind is MappingStartEvent)
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            self.close()
        elif kind is AliasEvent:
            self.alias(event)
        elif kind is DocumentEndEvent:
            root = self.root
            if isinstance(root, Scalar) and root.value is None:
                root = None  # an empty document (only comments, or `---` alone)
            self.result.documents.append(root)
            self._start_document()

    def scalar(self, event: Any) -> None:
        text = event.value
        explicit = _event_tag(event)
        if explicit is None or explicit == "!":
            plain = not event.style
            tag = resolve_plain(text) if plain else TAG_STR
            if tag is TAG_STR:
                mark = event.start_mark
                loc = Location(self.display, mark.line + 1, mark.column + 1)
                self.size += 1
                self.attach(loc, Scalar(text, text, plain, loc), event.anchor, 1)
                return
            if tag is TAG_MERGE:
                self.add(event, _MERGE, 1)
                return
        else:
            plain = False
            tag = explicit
            if tag not in _KNOWN_SCALAR_TAGS:
                message = "(allowed: plain values, !!str, !!int, !!float, !!bool, !!null)"
                self.fail(self.loc(event), f"unsupported YAML tag {_short(tag)} {message}")
                return
        try:
            value = construct(tag, text)
        except (ValueError, InvalidOperation):
            self.fail(self.loc(event), f"not a valid {tag.rsplit(':', 1)[-1]} value")
            return
        self.add(event, Scalar(value, text, plain, self.loc(event)), 1)

    def open(self, event: Any, is_map: bool) -> None:
        explicit = _event_tag(event)
        if (
            explicit is not None
            and explicit != "!"
            and explicit != (TAG_MAP if is_map else TAG_SEQ)
        ):
            self.fail(self.loc(event), f"unsupported YAML tag {_short(explicit)}")
            return
        if len(self.stack) >= MAX_DEPTH:
            self.abort(self.loc(event))
        anchor = event.anchor
        if anchor is not None:
            self.open_anchors.add(anchor)
        self.stack.append(_Frame(self.loc(event), anchor, self.size, is_map))

    def close(self) -> None:
        frame = self.stack.pop()
        tree: Tree
        if frame.is_map:
            entries = frame.entries
            for key, entry in frame.merged.items():
                entries.setdefault(key, entry)
            tree = MapNode(entries, frame.loc)
        else:
            tree = SeqNode(frame.items, frame.loc)
        if frame.anchor is not None:
            self.open_anchors.discard(frame.anchor)
        self.size += 1
        self.attach(frame.loc, tree, frame.anchor, self.size - frame.start_size)

    def alias(self, event: Any) -> None:
        name = event.anchor
        if name in self.open_anchors:
            self.fail(
                self.loc(event), "an alias refers to a node that contains it (recursive YAML)"
            )
            return
        anchored = self.anchors.get(name)
        if anchored is None:
            self.fail(self.loc(event), f"invalid YAML: found undefined alias {name!r}")
            return
        tree, size = anchored
        self.add(event, tree, size, anchor=None)

    def add(self, event: Any, tree: Any, size: int, anchor: str | None = "") -> None:
        """A finished value (scalar or alias) at `event`."""
        self.size += size
        self.attach(self.loc(event), tree, event.anchor if anchor == "" else anchor, size)

    def attach(self, loc: Location, tree: Any, anchor: str | None, size: int) -> None:
        """Put a finished value (begun at `loc`) where it belongs: the root, a sequence, or a
        mapping's key or value."""
        if self.size > MAX_NODES_PER_DOCUMENT:
            self.abort(loc)
        if anchor is not None and tree is not _MERGE:
            self.anchors[anchor] = (tree, size)
        if not self.stack:
            self.root = None if tree is _MERGE else tree
            return
        frame = self.stack[-1]
        if not frame.is_map:
            if tree is not _MERGE:
                frame.items.append(tree)
            return
        if frame.key is None:
            self.key(frame, tree, loc)
            return
        key, frame.key = frame.key, None
        if key is _SKIP:
            return
        if key is _MERGE:
            self.merge(frame, tree, loc)
            return
        name, key_loc = key
        frame.entries[name] = Entry(key_loc, tree)

    def key(self, frame: _Frame, tree: Any, loc: Location) -> None:
        if tree is _MERGE:
            frame.key = _MERGE
            return
        if not isinstance(tree, Scalar):
            self.problem(loc, "a key must be a plain name, not a list or mapping")
            frame.key = _SKIP
            return
        name = tree.text
        if name in frame.entries:
            first = frame.entries[name].key_loc
            self.problem(loc, f"duplicate key {name!r} (first at line {first.line})")
            frame.key = _SKIP
            return
        frame.key = (name, tree.loc)

    def merge(self, frame: _Frame, tree: Any, loc: Location) -> None:
        """`<<: *anchor` or `<<: [*a, *b]`: earlier sources win, explicit keys win over all."""
        sources = tree.items if isinstance(tree, SeqNode) else [tree]
        for source in sources:
            if not isinstance(source, MapNode):
                self.problem(loc, "`<<` merges mappings only")
                continue
            for name, entry in source.entries.items():
                frame.merged.setdefault(name, entry)


def _event_tag(event: Any) -> str | None:
    """An event's explicit tag as text (None when it has none), without ruamel's URI decoding
    of resolved tags."""
    ctag = getattr(event, "ctag", None)
    if ctag is None or isinstance(ctag, str):
        return ctag
    if ctag.handle is None and isinstance(ctag.suffix, str):
        return str(ctag.suffix)
    return str(ctag)


def _short(tag: str | None) -> str:
    return str(tag).replace("tag:yaml.org,2002:", "!!")
