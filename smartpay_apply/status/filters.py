"""Which rows to show: by state (`--filter`, the page's state filter), by mini-program
(`--app`), by a search text (the page's search box: name or app_id)."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from smartpay_apply.status.rows import StatusRow
from smartpay_apply.status.states import STATES


@dataclass(frozen=True)
class Selection:
    """A filter over rows; empty parts select everything."""

    states: tuple[str, ...] = ()
    app_ids: frozenset[int] | None = None
    search: str = ""

    def matches(self, row: StatusRow) -> bool:
        if self.states and row.state not in self.states:
            return False
        if self.app_ids is not None and row.app_id not in self.app_ids:
            return False
        return not self.search or matches_search(row, self.search)


def matches_search(row: StatusRow, text: str) -> bool:
    """Case-insensitive substring of the app name, the payment service's name or the app_id."""
    wanted = text.strip().casefold()
    if not wanted:
        return True
    return any(
        wanted in value.casefold() for value in (row.app or "", row.app_name or "", str(row.app_id))
    )


def select(rows: Iterable[StatusRow], selection: Selection) -> list[StatusRow]:
    return [row for row in rows if selection.matches(row)]


def counts(rows: Iterable[StatusRow]) -> dict[str, int]:
    """How many rows are in each state (every state present, in the rules' order)."""
    found = dict.fromkeys(STATES, 0)
    for row in rows:
        found[row.state] += 1
    return found


def checked_states(names: Collection[str]) -> tuple[str, ...]:
    """The known states among `names`, in the rules' order (unknown ones dropped: the page's
    query string is user input; the CLI's choices are checked by click)."""
    return tuple(state for state in STATES if state in names)
