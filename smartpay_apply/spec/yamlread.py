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
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.tag import Tag

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


#: One shared Tag per resolved tag: ruamel wraps every tag string in a new Tag object and
#: URI-decodes it character by character on first use, which cost more than parsing itself.
_TAG_OBJECTS: dict[str, Tag] = {}


def _shared_tag(name: str) -> Tag:
    tag = _TAG_OBJECTS.get(name)
    if tag is None:
        tag = _TAG_OBJECTS[name] = Tag(suffix=name)
    return tag


def tag_of(node: Node) -> str:
    """The node's tag as a string, without ruamel's per-node URI decoding."""
    ctag = node.ctag
    if ctag is None:
        return ""
    if ctag.handle is None and isinstance(ctag.suffix, str):
        return ctag.suffix
    return str(node.tag)


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
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return None, Problem.at(
                None, display, "", f"file too large ({size} bytes; at most {MAX_FILE_BYTES})"
            )
        data = path.read_bytes()
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
        return None, Problem(str(display), line, column, "", "not valid UTF-8 (save the file as UTF-8)")
    return text, None


def parse(text: str, display: Path) -> ReadResult:
    """Every document of `text` as a Tree, or the problems that stopped parsing."""
    result = ReadResult()
    try:
        for node in _compose_all(text):
            builder = _Builder(display)
            tree = None if node is None else builder.build(node, 0)
            if builder.problems:
                result.problems.extend(builder.problems)
            else:
                result.documents.append(tree)
    except MarkedYAMLError as error:
        result.problems.append(_yaml_problem(error, display))
    except YAMLError as error:
        result.problems.append(_reader_problem(error, text, display))
    except (RecursionError, MemoryError):
        result.problems.append(Problem.at(None, display, "", "YAML nested too deeply or too large"))
    return result


def read_file(path: Path, display: Path | None = None) -> ReadResult:
    """Read and parse a YAML file; `display` is the path shown in messages."""
    shown = display or path
    text, problem = read_text(path, shown)
    if problem is not None or text is None:
        return ReadResult(problems=[problem] if problem else [])
    return parse(text, shown)


# --- composing -----------------------------------------------------------------------------


def _compose_all(text: str) -> Iterator[Node | None]:
    """Yield each document's root node using the C parser when ruamel.yaml.clib is present."""
    try:
        from _ruamel_yaml import CParser  # type: ignore[import-not-found]
    except ImportError:  # pragma: no cover - clib is a declared dependency on CPython
        yield from _compose_all_pure(text)
        return

    loader = _c_loader_class(CParser)(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            yield _empty_to_none(node)
    finally:
        loader.dispose()


_C_LOADER: list[type] = []
_STR_TAG = _shared_tag(TAG_STR)


def _c_loader_class(parser: type) -> type:
    """A C parser that resolves tags with the small core-schema resolver above (built once)."""
    if _C_LOADER:
        return _C_LOADER[0]
    str_tag, seq_tag, map_tag = _shared_tag(TAG_STR), _shared_tag(TAG_SEQ), _shared_tag(TAG_MAP)

    class _Loader(parser):
        def descend_resolver(self, parent: Any, index: Any) -> None:
            return None

        def ascend_resolver(self) -> None:
            return None

        def resolve(self, kind: type, value: str | None, implicit: tuple[bool, bool]) -> Tag:
            if kind is ScalarNode:
                if implicit[0] and value is not None:
                    if value and value[0] not in _TYPED_STARTS:
                        return str_tag
                    return _shared_tag(resolve_plain(value))
                return str_tag
            return seq_tag if kind is SequenceNode else map_tag

    _C_LOADER.append(_Loader)
    return _Loader


def _compose_all_pure(text: str) -> Iterator[Node | None]:  # pragma: no cover
    from ruamel.yaml import YAML

    for node in YAML(typ="safe", pure=True).compose_all(text):
        yield _empty_to_none(node)


def _empty_to_none(node: Node | None) -> Node | None:
    """An empty document (`---` alone, or only comments) has an empty null scalar as root."""
    if isinstance(node, ScalarNode) and tag_of(node) == TAG_NULL and node.value in ("", "~"):
        return None
    return node


# --- building the tree ---------------------------------------------------------------------

_KNOWN_SCALAR_TAGS = {TAG_STR, TAG_INT, TAG_FLOAT, TAG_BOOL, TAG_NULL}


class _Builder:
    """Turns composed nodes into a Tree, collecting problems instead of raising."""

    def __init__(self, display: Path) -> None:
        self.display = display
        self.problems: list[Problem] = []
        self.visits = 0
        self.active: set[int] = set()

    def loc(self, node: Node) -> Location:
        mark = node.start_mark
        return Location(self.display, mark.line + 1, mark.column + 1)

    def problem(self, node: Node, message: str) -> None:
        self.problems.append(Problem.at(self.loc(node), self.display, "", message))

    def build(self, node: Node, depth: int) -> Tree | None:
        self.visits += 1
        if self.visits > MAX_NODES_PER_DOCUMENT or depth > MAX_DEPTH:
            if self.visits == MAX_NODES_PER_DOCUMENT + 1 or depth == MAX_DEPTH + 1:
                self.problem(node, "document too large or nested too deeply (aliases expand too far)")
            return None
        if node.__class__ is ScalarNode:
            if node.ctag is _STR_TAG:  # the common case, kept short: most values are text
                mark = node.start_mark
                text = node.value
                return Scalar(text, text, not node.style, Location(self.display, mark.line + 1, mark.column + 1))
            return self.scalar(node)
        if id(node) in self.active:
            self.problem(node, "an alias refers to a node that contains it (recursive YAML)")
            return None
        self.active.add(id(node))
        try:
            if isinstance(node, MappingNode):
                return self.mapping(node, depth)
            if isinstance(node, SequenceNode):
                return self.sequence(node, depth)
        finally:
            self.active.discard(id(node))
        self.problem(node, "unsupported YAML node")  # pragma: no cover
        return None

    def scalar(self, node: ScalarNode) -> Scalar | None:
        text = node.value
        plain = node.style in (None, "")
        tag = tag_of(node)
        if tag not in _KNOWN_SCALAR_TAGS:
            self.problem(node, f"unsupported YAML tag {_short(tag)} (allowed: plain values, !!str, !!int, !!float, !!bool, !!null)")
            return None
        try:
            value = _construct(tag, text)
        except (ValueError, InvalidOperation):
            self.problem(node, f"not a valid {tag.rsplit(':', 1)[-1]} value")
            return None
        return Scalar(value, text, plain, self.loc(node))

    def sequence(self, node: SequenceNode, depth: int) -> SeqNode | None:
        if tag_of(node) != TAG_SEQ:
            self.problem(node, f"unsupported YAML tag {_short(tag_of(node))}")
            return None
        items = [self.build(child, depth + 1) for child in node.value]
        return SeqNode([item for item in items if item is not None], self.loc(node))

    def mapping(self, node: MappingNode, depth: int) -> MapNode | None:
        if tag_of(node) != TAG_MAP:
            self.problem(node, f"unsupported YAML tag {_short(tag_of(node))}")
            return None
        entries: dict[str, Entry] = {}
        merged: dict[str, Entry] = {}
        display = self.display
        for key_node, value_node in node.value:
            if key_node.ctag is not _STR_TAG:
                key_tag = tag_of(key_node)
                if isinstance(key_node, ScalarNode) and key_tag == TAG_MERGE:
                    self.merge(value_node, merged, depth)
                    continue
                if not isinstance(key_node, ScalarNode) or key_tag not in _KNOWN_SCALAR_TAGS:
                    self.problem(key_node, "a key must be a plain name, not a list or mapping")
                    continue
            key = key_node.value
            if key in entries:
                first = entries[key].key_loc
                self.problem(key_node, f"duplicate key {key!r} (first at line {first.line})")
                continue
            value = self.build(value_node, depth + 1)
            if value is not None:  # None: a problem was recorded
                mark = key_node.start_mark
                entries[key] = Entry(Location(display, mark.line + 1, mark.column + 1), value)
        for key, entry in merged.items():
            entries.setdefault(key, entry)
        return MapNode(entries, self.loc(node))

    def merge(self, value_node: Node, merged: dict[str, Entry], depth: int) -> None:
        """`<<: *anchor` or `<<: [*a, *b]`: earlier sources win, explicit keys win over all."""
        sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
        for source in sources:
            built = self.build(source, depth + 1)
            if not isinstance(built, MapNode):
                if built is not None:
                    self.problem(source, "`<<` merges mappings only")
                continue
            for key, entry in built.entries.items():
                merged.setdefault(key, entry)


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
        return int(text)
    return Decimal(text.replace(".inf", "Infinity").replace(".Inf", "Infinity").replace(".INF", "Infinity"))


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
