"""The conventions of listing commands (state show, state history, lock list, events list, auth
status): `--format text|json` (`--json` kept as an alias where it existed), aligned text tables
whose column names are the JSON field names, and JSON as an array of objects.

Times follow timeutil: Beijing time with `+08:00` in text, ISO 8601 with offset in JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def format_option(*, json_alias: bool = False) -> Callable[[F], F]:
    """`--format text|json` (into `fmt`), plus `--json` (into `as_json`) when `json_alias`."""

    def decorate(command: F) -> F:
        if json_alias:
            command = click.option(
                "--json", "as_json", is_flag=True, help="Same as --format json."
            )(command)
        return click.option(
            "--format",
            "fmt",
            type=click.Choice(["text", "json"]),
            default="text",
            show_default=True,
            help="text for people, json (an array of objects) for programs.",
        )(command)

    return decorate


def wants_json(fmt: str, as_json: bool = False) -> bool:
    return as_json or fmt == "json"


def dump(document: Any) -> str:
    """JSON as every listing prints it (indented, non-ASCII kept readable)."""
    return json.dumps(document, ensure_ascii=False, indent=2)


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns two spaces apart, no trailing blanks; the last column is not padded."""
    widths = [
        max([len(str(h)), *(len(str(row[i])) for row in rows)]) for i, h in enumerate(headers)
    ]
    widths[-1] = 0
    lines = [headers, *rows]
    return "\n".join(
        "  ".join(str(v).ljust(w) for v, w in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )
