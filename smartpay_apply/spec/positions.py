"""Where the fields of a spec read without positions are, found when a message needs them.

A spec file without a problem is read fast, without positions (spec/loader.py); a later
message about one of its fields (a dictionary check, a duplicate) reads the file again, with
positions, through the spec's `SpecSource`. Kept apart from the loader so that a process that
only receives specs read elsewhere (`plan`'s, whose child reads them: forking.Ahead) can
unpickle them without importing the YAML reading (~60 ms, issue 16): that is imported only
when positions are asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from smartpay_apply.yamldoc.problems import Location
from smartpay_apply.yamldoc.tree import MapNode


@dataclass(frozen=True)
class LaterPositions:
    """The file's text and the project's `defaults:`, to find the positions from. A value, not
    a closure over the loader: a spec read in a forked child is pickled with it."""

    defaults: MapNode | None
    text: str
    display: Path

    def __call__(self) -> tuple[Location, dict[str, Location]]:
        from smartpay_apply.spec.merge import merge_trees
        from smartpay_apply.yamldoc.convert import field_positions
        from smartpay_apply.yamldoc.read import parse

        (document,) = [doc for doc in parse(self.text, self.display).documents if doc is not None]
        assert isinstance(document, MapNode)
        merged = merge_trees(self.defaults, document) if self.defaults is not None else document
        return document.loc, field_positions(merged)
