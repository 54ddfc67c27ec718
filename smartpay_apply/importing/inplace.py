"""Editing spec files in place: new values for some fields, nothing else touched.

ruamel.yaml's round-trip mode keeps comments, key order, quoting and indentation (this is
why the project depends on it): the file is loaded into its commented tree, the new values
are set on it in the style of the values they replace (a quoted `"500"` stays quoted, a plain
number stays a number), and the tree is dumped again. Then the result is checked line by
line: every line that differs must be a line of a changed field. When the round trip would
touch anything else, the file is refused rather than rewritten (the user edits it by hand).
"""

from __future__ import annotations

import difflib
import io
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarfloat import ScalarFloat
from ruamel.yaml.scalarstring import ScalarString
from ruamel.yaml.util import load_yaml_guess_indent

from smartpay_apply import sensitive
from smartpay_apply.atomic import replace_text
from smartpay_apply.errors import SmartpayError
from smartpay_apply.importing.render import scalar
from smartpay_apply.importing.values import SPEC_FIELDS, SpecValue

SECTION = "payment_service"
_KEY_LINE = re.compile(r"\s*(?:-\s+)?([\"']?)([^\"':#\s]+)\1\s*:(?:\s|$)")


class InPlaceError(SmartpayError):
    """A file that cannot be edited in place (the message says what to do instead)."""


class SpecFile:
    """One spec file's text and its round-trip tree (every YAML document in it)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.text = path.read_text(encoding="utf-8")
        self._yaml = _yaml_for(self.text)
        try:
            self.documents: list[Any] = list(self._yaml.load_all(self.text))
        except Exception as error:  # ruamel's errors have no common base worth naming
            raise InPlaceError(f"{path}: cannot be read for editing: {error}") from None

    def section(self, app_id: int) -> CommentedMap | None:
        """The `payment_service:` mapping of the document of `app_id`, as written (or None)."""
        document = self._document(app_id)
        found = None if document is None else document.get(SECTION)
        return found if isinstance(found, CommentedMap) else None

    def edited(self, changes: Mapping[int, Mapping[str, SpecValue]]) -> str:
        """The text with `changes` (app_id -> field -> value) made; InPlaceError when the round
        trip would change any other line."""
        for app_id, fields in changes.items():
            document = self._document(app_id)
            if document is None:
                raise InPlaceError(f"{self.path}: no document with app_id {app_id}")
            section = document.get(SECTION)
            if not isinstance(section, CommentedMap):
                section = CommentedMap()
                document[SECTION] = section
            for field, value in fields.items():
                _set(section, field, value)
        out = io.StringIO()
        if len(self.documents) == 1:
            self._yaml.dump(self.documents[0], out)
        else:
            self._yaml.dump_all(self.documents, out)
        text = out.getvalue()
        changed = {field for fields in changes.values() for field in fields}
        _check_only(self.path, self.text, text, changed | {SECTION})
        return text

    def _document(self, app_id: int) -> CommentedMap | None:
        for document in self.documents:
            if isinstance(document, CommentedMap) and str(document.get("app_id")) == str(app_id):
                return document
        return None


def _yaml_for(text: str) -> YAML:
    """A round-trip YAML that writes the way `text` is written (indent, document start)."""
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    try:
        _, indent, block_seq_indent = load_yaml_guess_indent(text)
    except Exception:
        indent, block_seq_indent = 2, None
    indent = indent or 2
    yaml.indent(
        mapping=indent, sequence=indent + (block_seq_indent or 0), offset=block_seq_indent or 0
    )
    first = next(
        (line for line in text.splitlines() if line.strip() and not line.startswith("#")), ""
    )
    yaml.explicit_start = first.startswith("---")
    return yaml


def _set(section: CommentedMap, field: str, value: SpecValue) -> None:
    """Set one field in the style of the value it replaces; a new key goes where the spec's
    field order puts it."""
    if field in section:
        section[field] = _restyled(section[field], value)
        return
    order = {name: index for index, name in enumerate(SPEC_FIELDS)}
    rank = order.get(field, len(order))
    position = sum(1 for key in section if order.get(str(key), len(order)) < rank)
    section.insert(position, field, scalar(value))


def _restyled(old: Any, new: SpecValue) -> Any:
    """`new` written as `old` was: quoted stays quoted (same quotes), a plain number stays a
    number, plain text stays plain unless YAML would misread it."""
    text = str(new).replace("${", "$${")
    if isinstance(old, ScalarString):
        return type(old)(text)
    if isinstance(old, bool):
        return scalar(new)
    if isinstance(old, int | float | ScalarFloat):
        if isinstance(new, int):
            return new
        if text.isascii() and text.isdigit() and (text == "0" or not text.startswith("0")):
            return int(text)  # a text field written as a bare number (a phone) stays bare
    return scalar(new)


def _check_only(path: Path, old: str, new: str, keys: set[str]) -> None:
    """InPlaceError unless every line that differs between `old` and `new` is a line of one
    of `keys` (a field that changed, or the section a missing field was added to)."""
    for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0):
        if line.startswith(("---", "+++", "@@")):
            continue
        match = _KEY_LINE.match(line[1:])
        if match is None or match.group(2) not in keys:
            raise InPlaceError(
                f"{path}: ruamel.yaml would also rewrite other lines (e.g. {line[1:].strip()!r}); "
                "nothing written to it: change its fields by hand"
            )


def masked_diff(path: Path, old: str, new: str) -> str:
    """A unified diff of the file for a person to read: a sensitive field's lines (a card
    written in clear, or as a reference with a default) show no value."""
    label = str(path)
    lines = difflib.unified_diff(
        old.splitlines(), new.splitlines(), f"a/{label}", f"b/{label}", lineterm=""
    )
    return "\n".join(_mask(line) for line in lines) + "\n"


def _mask(line: str) -> str:
    if line.startswith(("---", "+++", "@@")):
        return line
    match = _KEY_LINE.match(line[1:])
    if match is not None and sensitive.is_sensitive(match.group(2)):
        return f"{line[: 1 + match.end()].rstrip()} {sensitive.SENSITIVE_LABEL}"
    return line


def replace_file(path: Path, expected: str, text: str) -> None:
    """Write `text` over `path` atomically, keeping its mode; InPlaceError when the file
    changed since it was read (`expected`)."""
    if path.read_text(encoding="utf-8") != expected:
        raise InPlaceError(f"{path} changed while import --update ran: run it again")
    replace_text(path, text, mode=path.stat().st_mode & 0o7777)
