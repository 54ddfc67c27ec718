"""`status` for a terminal: one aligned line per mini-program, then the counts.

Columns are the JSON field names (the listing convention, cli/listing.py); widths count
terminal cells (rich.cells), so Chinese names and reasons stay aligned. A section's cell is its
audit state, with its sync state after a comma when it is not `synced`. Long reasons are cut:
`--format json` has them whole.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime

from rich.cells import cell_len, get_character_cell_size

from smartpay_apply.state.records import SECTIONS
from smartpay_apply.status.document import oldest_in_review
from smartpay_apply.status.filters import Selection, counts
from smartpay_apply.status.rows import SectionStatus, StatusRow, age
from smartpay_apply.status.states import STATES
from smartpay_apply.timeutil import text_time

HEADERS = (
    "app",
    "app_id",
    "state",
    *SECTIONS,
    "in_review_for",
    "rejection",
    "last_event",
    "last_run",
)
#: Terminal cells a rejection reason is cut to (the JSON keeps it whole).
REASON_CELLS = 40
EVENT_PREFIX = "APP_PAYMENT_"
SHORT_SYNC = {"not managed by this spec": "not managed", "submitted since observed": "submitted"}


def render_status_text(
    rows: Sequence[StatusRow], shown: Sequence[StatusRow], selection: Selection, now: datetime
) -> str:
    """The table of `shown`, then one line of counts over `rows` and the oldest audits."""
    if not rows:
        return (
            "The state store has observed no mini-program yet: run `smartpay-apply status "
            "--refresh` (or plan) to observe the specs.\n"
        )
    lines = [table([row_cells(row, now) for row in shown])] if shown else []
    if not shown:
        lines.append("No mini-program matches" + _filters(selection) + ".")
    lines.append("")
    lines.append(counts_line(rows))
    oldest = oldest_in_review(rows)
    if oldest:
        lines.append(
            "Oldest in review: "
            + ", ".join(
                f"{row.label} ({', '.join(row.in_review)}) {age(row.in_review_seconds(now))}"
                for row in oldest
            )
            + "."
        )
    if len(shown) != len(rows):
        lines.append(f"Shown: {len(shown)} of {len(rows)}{_filters(selection)}.")
    return "\n".join(lines) + "\n"


def counts_line(rows: Sequence[StatusRow]) -> str:
    """ "12 mini-programs: 1 failing, 2 blocked, 3 in-review, ... 3 in-sync." """
    found = counts(rows)
    parts = ", ".join(f"{found[state]} {state}" for state in STATES)
    noun = "mini-program" if len(rows) == 1 else "mini-programs"
    return f"{len(rows)} {noun}: {parts}."


def row_cells(row: StatusRow, now: datetime) -> list[str]:
    return [
        row.app or "-",
        str(row.app_id),
        row.state + (" (suspended)" if row.suspended is not None else ""),
        *(section_cell(section) for section in row.sections),
        age(row.in_review_seconds(now)) if row.in_review else "-",
        _rejection(row),
        _event(row),
        _run(row),
    ]


def section_cell(section: SectionStatus) -> str:
    """`approved`, `not created, out of sync`; from the submission when never observed."""
    if section.audit is None:
        return section.outcome or "-"
    if section.sync in (None, "", "synced"):
        return section.audit or "-"
    return f"{section.audit}, {SHORT_SYNC.get(section.sync, section.sync)}"


def cut(text: str, cells: int) -> str:
    """`text` on one line, at most `cells` terminal cells wide (… marks a cut)."""
    flat = " ".join(text.split())
    if width(flat) <= cells:
        return flat
    kept: list[str] = []
    used = 0
    for char in flat:
        used += get_character_cell_size(char)
        if used > cells - 1:
            break
        kept.append(char)
    return "".join(kept).rstrip() + "…"


def _rejection(row: StatusRow) -> str:
    if row.rejection is None:
        return "-"
    return cut(f"{row.rejection.section}: {row.rejection.reason}", REASON_CELLS)


def _event(row: StatusRow) -> str:
    event = row.last_event
    if event is None:
        return "-"
    return f"{event.event.removeprefix(EVENT_PREFIX)} {_when(event.event_time)}"


def _run(row: StatusRow) -> str:
    run = row.last_run
    if run is None:
        return "-"
    return f"{run.outcome} {_when(run.started_at)}"


@functools.lru_cache(maxsize=4096)
def _when(moment: datetime) -> str:
    """text_time, once per distinct time (a nightly run is the last run of thousands)."""
    return text_time(moment)


def _filters(selection: Selection) -> str:
    parts = []
    if selection.states:
        parts.append("--filter " + " ".join(selection.states))
    if selection.app_ids is not None:
        parts.append("--app")
    return f" ({'; '.join(parts)})" if parts else ""


def width(text: str) -> int:
    """Terminal cells of `text` (ASCII, most cells, without asking rich)."""
    return len(text) if text.isascii() else cell_len(text)


def table(rows: Sequence[Sequence[str]]) -> str:
    """HEADERS and `rows`, left-aligned two cells apart; the last column is not padded."""
    lines = [list(HEADERS), *rows]
    cells = [[width(value) for value in line] for line in lines]
    widths = [max(line[i] for line in cells) for i in range(len(HEADERS))]
    widths[-1] = 0
    return "\n".join(
        "  ".join(
            value + " " * max(0, column - used)
            for value, used, column in zip(line, used_cells, widths, strict=True)
        ).rstrip()
        for line, used_cells in zip(lines, cells, strict=True)
    )
