"""From a positioned YAML tree to model input, and from pydantic errors back to positions.

Two jobs the loader and the project config share:
- `model_input`: plain data for `Model.model_validate`, where a number written unquoted for a
  string field keeps its source text (`service_phone: 01012345678` stays "01012345678").
- `problems_from`: each pydantic error as a `Problem` at the file:line:column of the field,
  in words a user understands, without ever showing a sensitive value.
"""

from __future__ import annotations

import difflib
import functools
import types
import typing
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SecretStr, ValidationError

from smartpay_apply.sensitive import is_sensitive
from smartpay_apply.yamldoc.problems import Location, Problem
from smartpay_apply.yamldoc.simple import Typed
from smartpay_apply.yamldoc.tree import MapNode, Scalar, SeqNode, Tree, to_python

_STRING_TYPES = (str, SecretStr, Path)


def model_input(tree: Tree | None, model: type[BaseModel] | None) -> Any:
    """Plain data for `model`, typed by the YAML, except numbers for string fields keep their text."""
    if tree is None:
        return None
    if isinstance(tree, Scalar):
        return tree.value
    if isinstance(tree, SeqNode):
        return [model_input(item, None) for item in tree.items]
    if model is None:
        return to_python(tree)
    fields = _field_kinds(model)
    data: dict[str, Any] = {}
    for key, entry in tree.entries.items():
        kind = fields.get(key)
        value = entry.value
        if kind is None:
            data[key] = to_python(value)
            continue
        is_string, nested = kind
        if isinstance(value, Scalar) and is_string:
            data[key] = _as_text(value)
        elif nested is not None and isinstance(value, MapNode):
            data[key] = model_input(value, nested)
        else:
            data[key] = model_input(value, None)
    return data


def plain_input(data: Any, model: type[BaseModel] | None) -> Any:
    """`model_input` for plain data read without positions (yamldoc/simple.py): the same input
    for the same document, a `Typed` number's source text where the model expects text."""
    if isinstance(data, Typed):
        return data.value
    if isinstance(data, list):
        return [plain_input(item, None) for item in data]
    if not isinstance(data, dict):
        return data
    if model is None:
        return {key: plain_input(value, None) for key, value in data.items()}
    fields = _field_kinds(model)
    out: dict[str, Any] = {}
    for key, value in data.items():
        if value is None or value.__class__ is str:
            out[key] = value  # most values: text as it is, whatever the field
            continue
        kind = fields.get(key)
        if kind is None:
            out[key] = plain_input(value, None)
            continue
        is_string, nested = kind
        if isinstance(value, Typed):
            out[key] = value.text if is_string else value.value
        elif nested is not None and isinstance(value, dict):
            out[key] = plain_input(value, nested)
        else:
            out[key] = plain_input(value, None)
    return out


def plain_tree(tree: Tree | None) -> Any:
    """A positioned tree as the plain data `simple.read_simple` gives (`Typed` numbers)."""
    if tree is None:
        return None
    if isinstance(tree, Scalar):
        if isinstance(tree.value, bool | int | Decimal):
            return Typed(tree.value, tree.text)
        return tree.value
    if isinstance(tree, SeqNode):
        return [plain_tree(item) for item in tree.items]
    return {key: plain_tree(entry.value) for key, entry in tree.entries.items()}


@functools.cache
def _field_kinds(model: type[BaseModel]) -> dict[str, tuple[bool, type[BaseModel] | None]]:
    """Per field of `model`: (is it text?, its nested model if any) — computed once per model."""
    return {
        name: (_is_string_type(info.annotation), _model_of(info.annotation))
        for name, info in model.model_fields.items()
    }


def _as_text(scalar: Scalar) -> Any:
    if isinstance(scalar.value, bool | int | Decimal):
        return scalar.text
    return scalar.value


def _members(annotation: Any) -> tuple[Any, ...]:
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        return tuple(arg for arg in typing.get_args(annotation) if arg is not type(None))
    return (annotation,)


def _is_string_type(annotation: Any) -> bool:
    return any(member in _STRING_TYPES for member in _members(annotation))


def _model_of(annotation: Any) -> type[BaseModel] | None:
    for member in _members(annotation):
        if isinstance(member, type) and issubclass(member, BaseModel):
            return member
    return None


# --- locating --------------------------------------------------------------------------------


def locate(
    tree: Tree | None, parts: tuple[str | int, ...]
) -> tuple[Location | None, Location | None]:
    """(key position, value position) of a field path in the tree; the nearest parent if absent.

    The value position is None for a mapping (its key is the better place).
    """
    key_loc: Location | None = None
    node = tree
    for part in parts:
        if isinstance(node, MapNode) and isinstance(part, str) and part in node.entries:
            entry = node.entries[part]
            key_loc, node = entry.key_loc, entry.value
        elif isinstance(node, SeqNode) and isinstance(part, int) and 0 <= part < len(node.items):
            node = node.items[part]
            key_loc = node.loc
        else:
            return key_loc or (node.loc if node is not None else None), None
    if isinstance(node, MapNode) and key_loc is not None:
        return key_loc, None  # a section: point at its key, where the reader looks
    return key_loc, (node.loc if node is not None else None)


def field_positions(tree: Tree | None, prefix: str = "") -> dict[str, Location]:
    """Every field path of a mapping tree -> a position (for SpecSource.fields).

    A plain value's position is the value's own (where an editor puts the cursor to fix it);
    a section's is its key (`payment_service:`).
    """
    positions: dict[str, Location] = {}
    if isinstance(tree, MapNode):
        for key, entry in tree.entries.items():
            path = f"{prefix}{key}"
            value = entry.value
            positions[path] = value.loc if isinstance(value, Scalar) else entry.key_loc
            if isinstance(value, MapNode):
                positions.update(field_positions(value, path + "."))
    return positions


# --- messages --------------------------------------------------------------------------------

_TYPE_WORDS = {
    "string_type": "expected text",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "decimal_type": "expected an amount in whole yuan (a number such as 500)",
    "decimal_parsing": "expected an amount in whole yuan (a number such as 500)",
    "finite_number": "expected a finite number",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "dict_type": "expected a mapping (key: value lines)",
    "model_type": "expected a mapping (key: value lines)",
    "model_attributes_type": "expected a mapping (key: value lines)",
    "list_type": "expected a list",
    "path_type": "expected a file path",
}


def _got(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | Decimal):
        return "a number"
    return "text"


def message_for(error: Any, field: str, model: type[BaseModel] | None) -> str:
    """One pydantic error dict -> a user-facing message (never containing a sensitive value)."""
    kind = error["type"]
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return unknown_field_message(field, model)
    if kind == "value_error":
        cause = error.get("ctx", {}).get("error")
        return str(cause) if cause is not None else str(error["msg"]).removeprefix("Value error, ")
    if kind in _TYPE_WORDS:
        return f"{_TYPE_WORDS[kind]} (got {_got(error.get('input'))})"
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return f"not an allowed value (allowed: {expected})"
    if kind in ("string_too_short", "string_too_long", "too_short", "too_long"):
        return str(error["msg"]).replace("String should", "must").replace("List should", "must")
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return str(error["msg"]).replace("Input should be", "must be")
    message = str(error["msg"])
    if is_sensitive(field):
        return message.split(",")[0]
    return message


def allowed_fields(model: type[BaseModel] | None, parts: tuple[str | int, ...]) -> list[str]:
    """The field names allowed at `parts` (the parent of an unknown key) in `model`."""
    current: type[BaseModel] | None = model
    for part in parts:
        if current is None or not isinstance(part, str) or part not in current.model_fields:
            return []
        current = _model_of(current.model_fields[part].annotation)
    return list(current.model_fields) if current is not None else []


def unknown_field_message(
    field: str, model: type[BaseModel] | None, parts: tuple[str | int, ...] = ()
) -> str:
    """'unknown field (did you mean 'bank_name'?)' or the list of allowed names."""
    name = field.rsplit(".", 1)[-1]
    allowed = allowed_fields(model, parts)
    close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
    if close:
        return f"unknown field (did you mean '{close[0]}'?)"
    if allowed:
        return f"unknown field (allowed: {', '.join(allowed)})"
    return "unknown field"


def _suggested_fields(errors: list[Any], model: type[BaseModel]) -> set[tuple[Any, ...]]:
    """Field paths that an unknown key's did-you-mean names."""
    found: set[tuple[Any, ...]] = set()
    for item in errors:
        if item["type"] != "extra_forbidden":
            continue
        parent = tuple(item["loc"][:-1])
        name = str(item["loc"][-1])
        close = difflib.get_close_matches(name, allowed_fields(model, parent), n=1, cutoff=0.6)
        if close:
            found.add((*parent, close[0]))
    return found


def problems_from(
    error: ValidationError,
    tree: Tree | None,
    model: type[BaseModel],
    display: Path,
    prefix: tuple[str | int, ...] = (),
    misplaced: Mapping[str, str] | None = None,
) -> list[Problem]:
    """Every error of a failed validation, each at the position of its field.

    A misspelt field shows up twice in pydantic (unknown `bank_nmae`, missing `bank_name`);
    the user sees one problem: the unknown field, with its did-you-mean. `misplaced` (field
    path -> message) words an unknown field that belongs elsewhere (a spec's
    `credentials.tp_access_token` belongs in smartpay.yaml).
    """
    problems = []
    errors = error.errors(include_url=False)
    suggested = _suggested_fields(errors, model)
    for item in errors:
        if item["type"] == "missing" and tuple(item["loc"]) in suggested:
            continue
        parts = tuple(part for part in item["loc"] if not isinstance(part, str) or "[" not in part)
        full = (*prefix, *parts)
        field = ".".join(str(part) for part in full)
        key_loc, value_loc = locate(tree, parts)
        if item["type"] == "extra_forbidden":
            message = (misplaced or {}).get(field) or unknown_field_message(
                field, model, parts[:-1]
            )
            where = key_loc
        elif item["type"] == "missing":
            message = "required field is missing"
            where = key_loc  # the parent's key: the field is absent
        else:
            message = message_for(item, field, model)
            where = value_loc or key_loc
        problems.append(Problem.at(where, display, field, message))
    return problems
