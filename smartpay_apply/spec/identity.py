"""What names a spec (`app`, `app_id`) and where, read before validation so that two files
claiming one mini-program are reported even when one of them has other problems."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from smartpay_apply.yamldoc.problems import Location, Problem
from smartpay_apply.yamldoc.simple import SimpleDoc, Typed
from smartpay_apply.yamldoc.tree import MapNode, Scalar


@dataclass(frozen=True)
class Identity:
    """What names a spec (`app`, `app_id`) and where, read before validation so that two
    files claiming one mini-program are reported even when one of them has other problems."""

    app: object
    app_loc: Location | None
    app_id: object
    app_id_loc: Location | None


def identity_of(tree: MapNode) -> Identity:
    """The raw `app` and `app_id` of a document (app_id as text: 12 and "12" are one id)."""

    def value(name: str) -> tuple[object, Location | None]:
        entry = tree.entries.get(name)
        if entry is None or not isinstance(entry.value, Scalar) or entry.value.value is None:
            return None, None
        scalar = entry.value
        text = scalar.text.strip() if isinstance(scalar.value, str | int) else None
        return text or None, scalar.loc

    app, app_loc = value("app")
    app_id, app_id_loc = value("app_id")
    return Identity(app, app_loc, app_id, app_id_loc)


def duplicate_problems(identities: Sequence[Identity]) -> list[Problem]:
    """An `app` name or `app_id` used twice: a problem at each later use, naming the first."""
    problems: list[Problem] = []
    for attribute in ("app", "app_id"):
        first: dict[object, Location] = {}
        located = [
            (getattr(ident, attribute), getattr(ident, f"{attribute}_loc")) for ident in identities
        ]
        for value, where in sorted(
            ((v, w) for v, w in located if v is not None and w is not None),
            key=lambda pair: (str(pair[1].path), pair[1].line, pair[1].column),
        ):
            if value not in first:
                first[value] = where
                continue
            shown = repr(value) if attribute == "app" else str(value)
            message = (
                f"{shown} is also used at {first[value]} (each mini-program needs exactly one spec)"
            )
            problems.append(Problem.at(where, where.path, attribute, message))
    return problems


def plain_identity(doc: SimpleDoc, display: Path) -> Identity:
    """`identity_of` for a document read without positions (its top-level positions kept)."""

    def value(name: str) -> tuple[object, Location | None]:
        raw = doc.data.get(name)
        if isinstance(raw, Typed):
            raw, text = raw.value, raw.text
        else:
            text = raw if isinstance(raw, str) else ""
        if raw is None or isinstance(raw, dict | list):
            return None, None
        shown = text.strip() if isinstance(raw, str | int) else None
        line, column = doc.where[name]
        return shown or None, Location(display, line, column)

    app, app_loc = value("app")
    app_id, app_id_loc = value("app_id")
    return Identity(app, app_loc, app_id, app_id_loc)
