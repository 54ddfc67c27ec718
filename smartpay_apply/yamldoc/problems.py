"""Positions and problems: where something was written, and what is wrong there.

A user fixing specs or smartpay.yaml wants every problem in one run, each pointing at
file:line:column in the form editors and CI annotations understand:
`path:line:col: field.path: what is wrong`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Location:
    """A position in a YAML file (1-based line and column)."""

    path: Path
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a spec (or with smartpay.yaml), at a position.

    `message` never contains a sensitive value: whoever builds a Problem checks the field
    with `smartpay_apply.sensitive.is_sensitive` first.
    """

    path: str
    line: int
    column: int
    field: str
    message: str

    @classmethod
    def at(cls, location: Location | None, path: Path | str, field: str, message: str) -> Problem:
        """A problem at `location`, or at the start of `path` when no position is known."""
        if location is None:
            return cls(str(path), 1, 1, field, message)
        return cls(str(location.path), location.line, location.column, field, message)

    def to_json(self, severity: str = "error") -> dict[str, object]:
        """The problem as `validate --format json` prints it (what a CI annotator reads)."""
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "field": self.field or None,
            "message": self.message,
            "severity": severity,
        }

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}:{self.column}"
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )
