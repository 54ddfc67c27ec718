"""How rows become text: csv, jsonl or an aligned table, one page of rows at a time.

A writer turns rows into a string and never holds more than the rows it is given, so an export
streams in constant memory whatever its size. Writers return text (not write to a stream) so
the output layer can count the bytes it has committed and resume after them.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from typing import Protocol

from rich.cells import cell_len, set_cell_size

from smartpay_apply.data.columns import Row

FORMATS: tuple[str, ...] = ("csv", "jsonl", "table")


class Writer(Protocol):
    """Text for the start of an output, and for a batch of rows."""

    def header(self) -> str:
        """What a fresh output starts with ("" if nothing)."""
        ...

    def rows(self, rows: Iterable[Row]) -> str:
        """The text of `rows`, each ending with a newline."""
        ...


class CsvWriter:
    """RFC 4180 csv (quoted where needed), "\\n" line ends, missing values empty.

    Rows none of whose values needs quoting (the usual page) are joined directly, which is
    what the csv module writes for them at a fraction of its cost; any other page goes
    through the csv module.
    """

    def __init__(self, names: Sequence[str]) -> None:
        self.names = tuple(names)
        self._buffer = io.StringIO()
        self._csv = csv.writer(self._buffer, lineterminator="\n")

    def _take(self) -> str:
        text = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        return text

    def header(self) -> str:
        self._csv.writerow(self.names)
        return self._take()

    def rows(self, rows: Iterable[Row]) -> str:
        rows = rows if isinstance(rows, list) else list(rows)
        plain = plain_csv(rows)
        if plain is not None:
            return plain
        self._csv.writerows(rows)  # the csv module writes None as an empty field
        return self._take()


#: What makes the csv module quote a field (delimiter, quote, line ends), and NUL, which
#: Python versions have treated differently: a page with any of them goes to the csv module.
_NEEDS_CSV = ('"', "\r", "\x00")


def plain_csv(rows: list[Row]) -> str | None:
    """The csv of `rows` ("," between values, "\\n" after each row, None as empty) when no
    value needs quoting, else None (the caller uses the csv module).

    Why it is exactly the csv module's text: with the minimal quoting the writer uses, a field
    is written as it is unless it holds a delimiter, a quote or a line end; `,` and `\\n` are
    counted (their counts tell whether any value holds one), the others looked for. A row of a
    single field is left to the csv module (it quotes an empty one), as is any value that is
    not text.
    """
    if not rows:
        return ""
    width = len(rows[0])
    if width < 2:
        return None
    try:
        columns: list[Sequence[str | None]] = list(zip(*rows, strict=True))
        columns = [
            ["" if value is None else value for value in column] if None in column else column
            for column in columns
        ]
        text = "\n".join(map(",".join, zip(*columns, strict=True))) + "\n"
    except (TypeError, ValueError):  # a value that is not text; rows of different widths
        return None
    if text.count(",") != len(rows) * (width - 1) or text.count("\n") != len(rows):
        return None
    if any(special in text for special in _NEEDS_CSV):
        return None
    return text


class JsonlWriter:
    """One JSON object per line, keys in column order, values strings or null (exact money)."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = tuple(names)

    def header(self) -> str:
        return ""

    def rows(self, rows: Iterable[Row]) -> str:
        names = self.names
        return "".join(
            json.dumps(dict(zip(names, row, strict=True)), ensure_ascii=False) + "\n"
            for row in rows
        )


class TableWriter:
    """Aligned columns for reading in a terminal.

    Widths are fixed per column (not measured over all rows), so the table streams like the
    other formats; a longer value is cut with "…" (use csv or jsonl for the full data).
    Widths count terminal cells, so Chinese text lines up.
    """

    def __init__(self, names: Sequence[str], widths: Sequence[int]) -> None:
        self.names = tuple(names)
        self.widths = tuple(
            max(width, cell_len(name)) for name, width in zip(names, widths, strict=True)
        )

    def _line(self, values: Iterable[str]) -> str:
        return (
            "  ".join(
                _fit(value, width) for value, width in zip(values, self.widths, strict=True)
            ).rstrip()
            + "\n"
        )

    def header(self) -> str:
        return self._line(self.names) + self._line("-" * width for width in self.widths)

    def rows(self, rows: Iterable[Row]) -> str:
        return "".join(self._line("" if value is None else value for value in row) for row in rows)


def _fit(text: str, width: int) -> str:
    """`text` padded or cut (with "…") to exactly `width` terminal cells."""
    text = text.replace("\n", " ").replace("\t", " ")
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…"
    return set_cell_size(text, width)


def make_writer(fmt: str, names: Sequence[str], widths: Sequence[int]) -> Writer:
    """The writer for `--format` (csv | jsonl | table)."""
    if fmt == "csv":
        return CsvWriter(names)
    if fmt == "jsonl":
        return JsonlWriter(names)
    if fmt == "table":
        return TableWriter(names, widths)
    raise ValueError(f"unknown format {fmt!r}; allowed: {', '.join(FORMATS)}")
