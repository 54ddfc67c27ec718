"""Read YAML into a small tree that remembers where every key and value came from.

Why not `YAML(typ="rt")`: every error must name file:line:column, but the round-trip loader
is 4-5x slower than the C parser (docs/specs.md, bench/bench_validate.py). Instead the C
parser's events are turned into `Scalar`/`MapNode`/`SeqNode` values (`build.py`) with a tiny
YAML 1.2 core-schema resolver (`scalars.py`). A plain scalar keeps its source text, so
`bank_card: 0012345678` stays "0012345678" for a string field instead of becoming the integer
12345678.

Everything a user can write wrong (broken YAML, duplicate keys, alias bombs, unknown tags,
non-UTF-8 bytes, huge files) becomes a `Problem`, never an exception.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ruamel.yaml.error import MarkedYAMLError, YAMLError

from smartpay_apply.yamldoc.build import Abort, EventBuilder
from smartpay_apply.yamldoc.problems import Problem
from smartpay_apply.yamldoc.tree import ReadResult

#: A spec file larger than this is refused before parsing (a spec is a few KB).
MAX_FILE_BYTES = 10 * 1024 * 1024


def read_text(path: Path, display: Path) -> tuple[str | None, Problem | None]:
    """The file's text, or a problem: missing, a directory, too large, binary or not UTF-8.

    One open and one fstat for the usual regular file (validate reads thousands); anything
    that does not open that way is looked at again by name, for the message.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO must not block the open
    except OSError:
        return _read_text_by_name(path, display)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_BYTES:
            return _read_text_by_name(path, display)
        want = info.st_size + 1  # one byte more than its size: the end is seen at once
        data = os.read(fd, want)
        while len(data) >= want and len(data) <= MAX_FILE_BYTES:  # it grew meanwhile
            more = os.read(fd, 1 << 16)
            if not more:
                break
            data += more
    except OSError:
        return _read_text_by_name(path, display)
    finally:
        os.close(fd)
    if len(data) > MAX_FILE_BYTES:
        return None, Problem.at(
            None, display, "", f"file too large (more than {MAX_FILE_BYTES} bytes)"
        )
    return decode(data, display)


def _read_text_by_name(path: Path, display: Path) -> tuple[str | None, Problem | None]:
    """`read_text` through the path's name: what is wrong with a file that is not plain."""
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
    builder = EventBuilder(display)
    try:
        for event in _events(text):
            builder.feed(event)
    except Abort:
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
