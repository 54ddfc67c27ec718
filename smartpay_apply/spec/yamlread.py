"""Read YAML into a small tree that remembers where every key and value came from.

Why not `YAML(typ="rt")`: every error must name file:line:column, but the round-trip loader
is 4-5x slower than the C parser (docs/specs.md, bench/bench_validate.py). Instead the C
parser composes nodes (each keeps its `start_mark`) with a tiny YAML 1.2 core-schema
resolver, and this module turns the nodes into `Scalar`/`MapNode`/`SeqNode` values. A plain
scalar keeps its source text, so `bank_card: 0012345678` stays "0012345678" for a string
field instead of becoming the integer 12345678.

Everything a user can write wrong (broken YAML, duplicate keys, alias bombs, unknown tags,
non-UTF-8 bytes, huge files) becomes a `Problem`, never an exception.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)

from smartpay_apply.spec.errors import Problem
from smartpay_apply.spec.models import Location

#: A spec file larger than this is refused before parsing (a spec is a few KB).
MAX_FILE_BYTES = 10 * 1024 * 1024
#: Node visits per document: stops "billion laughs" alias expansion.
MAX_NODES_PER_DOCUMENT = 100_000
MAX_DEPTH = 64

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


def read_text(path: Path, display: Path) -> tuple[str | None, Problem | None]:
    """The file's text, or a problem: missing, a directory, too large, binary or not UTF-8."""
    try:
        if path.is_dir():
            return None, Problem.at(None, display, "", "is a directory, not a YAML file")
        if path.exists() and not path.is_file():  # a device or pipe could block or never end
            return None, Problem.at(None, display, "", "not a regular file")
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return None, Problem.at(
                None, display, "", f"file too large ({size} bytes; at most {MAX_FILE_BYTES})"
            )
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            return None, Problem.at(
                None, display, "", f"file too large (more than {MAX_FILE_BYTES} bytes)"
            )
    except FileNotFoundError:
        return None, Problem.at(None, display, "", "no such file")
    except OSError as error:
        return None, Problem.at(None, display, "", f"cannot read: {error.strerror or error}")
    return decode(data, display)


def decode(data: bytes, display: Path) -> tuple[str | None, Problem | None]:
    """UTF-8 text (a BOM is allowed); a clear problem for binary or other encodings."""
    if b"\x00" in data[:8192]:
        return None, Problem.at(None, display, "", "not a text file (binary data)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        return None, Problem(
            str(display), line, column, "", "not valid UTF-8 (save the file as UTF-8)"
        )
    return text, None


def parse(text: str, display: Path) -> ReadResult:
    """Every document of `text` as a Tree, or the problems that stopped parsing."""
    builder = _EventBuilder(display)
    try:
        for event in _events(text):
            builder.feed(event)
    except _Abort:
        pass  # the problem is recorded; the rest of the file is not worth parsing
    except MarkedYAMLError as error:
        builder.result.problems.append(_yaml_problem(error, display))
    except YAMLError as error:
        builder.result.problems.append(_reader_problem(error, text, display))
    return builder.result


def read_file(path: Path, display: Path | None = None) -> ReadResult:
    """Read and parse a YAML file; `display` is the path shown in messages."""
    shown = display or path
    text, problem = read_text(path, shown)
    if problem is not None or text is None:
        return ReadResult(problems=[problem] if problem else [])
    return parse(text, shown)


# --- events ------------------------------------------------------------------------------
#
# The tree is built from the parser's events with an explicit stack, not from composed nodes:
# the C composer recurses once per nesting level and overflows the C stack on input like
# `[[[[...` (a crash, not an exception); it also costs a Python node object, a resolver call
# and two resolver-path calls per value that the tree does not need.


def _events(text: str) -> Iterator[Any]:
    """The parser's events for `text`, from the C parser when ruamel.yaml.clib is present."""
    try:
        from _ruamel_yaml import CParser  # type: ignore[import-not-found]
    except ImportError:  # pragma: no cover - clib is a declared dependency on CPython
        from ruamel.yaml import YAML

        yield from YAML(typ="safe", pure=True).parse(text)
        return
    parser = CParser(text)
    try:
        while parser.check_event():
            yield parser.get_event()
    finally:
        parser.dispose()


_KNOWN_SCALAR_TAGS = {TAG_STR, TAG_INT, TAG_FLOAT, TAG_BOOL, TAG_NULL}
_TOO_BIG = "document too large or nested too deeply (aliases expand too far)"


class _Abort(Exception):
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


class _EventBuilder:
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
        raise _Abort

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
            value = _construct(tag, text)
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


def _construct(tag: str, text: str) -> Any:
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


def _yaml_problem(error: MarkedYAMLError, display: Path) -> Problem:
    mark = error.problem_mark or error.context_mark
    what = " ".join(part for part in (error.context, error.problem) if part) or "invalid YAML"
    message = f"invalid YAML: {what}"
    if mark is None:
        return Problem.at(None, display, "", message)
    return Problem(str(display), mark.line + 1, mark.column + 1, "", message)


def _reader_problem(error: YAMLError, text: str, display: Path) -> Problem:
    position = getattr(error, "position", None)
    character = getattr(error, "character", None)
    what = f"character #x{character:04x}" if isinstance(character, int) else "a character"
    message = f"invalid YAML: {what} is not allowed in YAML"
    if not isinstance(position, int):
        return Problem.at(None, display, "", message)
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    return Problem(str(display), line, column, "", message)


def to_python(tree: Tree | None) -> Any:
    """Plain Python data (dicts, lists, typed scalars) from a tree."""
    if tree is None:
        return None
    if isinstance(tree, Scalar):
        return tree.value
    if isinstance(tree, SeqNode):
        return [to_python(item) for item in tree.items]
    return {key: to_python(entry.value) for key, entry in tree.entries.items()}
