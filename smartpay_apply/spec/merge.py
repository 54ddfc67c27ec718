"""The project's `defaults:` under a spec: mappings merge key by key, the spec's own values
win. Two forms of one rule: for trees with positions (a file read with them) and for plain
data (a valid plain spec read without them, yamldoc/simple.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from smartpay_apply.yamldoc.problems import Location
from smartpay_apply.yamldoc.tree import Entry, MapNode, Scalar, SeqNode, Tree


def merge_trees(defaults: MapNode, spec: MapNode) -> MapNode:
    """`defaults` under `spec`: mappings merge key by key, the spec's own values win."""
    entries = dict(defaults.entries)
    for key, entry in spec.entries.items():
        below = entries.get(key)
        if (
            below is not None
            and isinstance(below.value, MapNode)
            and isinstance(entry.value, MapNode)
        ):
            entries[key] = Entry(entry.key_loc, merge_trees(below.value, entry.value))
        else:
            entries[key] = entry
    return MapNode(entries, spec.loc)


def tree_from_plain(data: Any, loc: Location) -> MapNode | None:
    """A tree for defaults given as plain data (a ProjectConfig built in code)."""
    if not data:
        return None

    def build(value: Any) -> Tree:
        if isinstance(value, Mapping):
            return MapNode({str(k): Entry(loc, build(v)) for k, v in value.items()}, loc)
        if isinstance(value, list | tuple):
            return SeqNode([build(item) for item in value], loc)
        return Scalar(value, "" if value is None else str(value), False, loc)

    built = build(data)
    return built if isinstance(built, MapNode) else None


def merge_plain(defaults: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """`merge_trees` for plain data: mappings merge key by key, the spec's own values win."""
    if not defaults:
        return spec
    merged = dict(defaults)
    for key, value in spec.items():
        below = merged.get(key)
        if isinstance(below, dict) and isinstance(value, dict):
            merged[key] = merge_plain(below, value)
        else:
            merged[key] = value
    return merged
