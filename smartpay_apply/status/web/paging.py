"""The overview's table: its query (state, search, sort, page), sorting and pagination.

Everything comes from the query string, so the page works without JavaScript: the column
headers, the state counts and the page links are plain links, the filter is a GET form. The
query is user input: anything unknown falls back to the default rather than failing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from smartpay_apply.status.filters import checked_states
from smartpay_apply.status.rows import StatusRow
from smartpay_apply.status.states import STATES

PER_PAGE = (25, 50, 100, 250, 500)
DEFAULT_PER_PAGE = 100
_STATE_ORDER = {state: index for index, state in enumerate(STATES)}


def _section(index: int) -> Callable[[StatusRow], Any]:
    def key(row: StatusRow) -> Any:
        section = row.sections[index]
        return (section.audit or section.outcome or "", row.label)

    return key


def _when(moment: datetime | None) -> float:
    return moment.timestamp() if moment is not None else math.inf


#: Sortable columns -> the row's key (missing values last, ties by name).
SORT_KEYS: dict[str, Callable[[StatusRow], Any]] = {
    "app": lambda row: (row.label, row.app_id),
    "app_id": lambda row: row.app_id,
    "app_name": lambda row: (row.app_name is None, row.app_name or "", row.label),
    "state": lambda row: (_STATE_ORDER.get(row.state, len(STATES)), row.label),
    "account": _section(0),
    "developer_config": _section(1),
    "payment_service": _section(2),
    "in_review": lambda row: (_when(row.in_review_since), row.label),
    "rejection": lambda row: (
        row.rejection is None,
        -(_when(row.rejection.at) if row.rejection and row.rejection.at else 0),
        row.label,
    ),
    "last_run": lambda row: (
        row.last_run is None,
        -(row.last_run.started_at.timestamp() if row.last_run else 0),
        row.label,
    ),
}
DEFAULT_SORT = "state"


@dataclass(frozen=True)
class OverviewQuery:
    """What the overview shows: `state` ("" for all), `q` (search), sort, order, page."""

    state: str = ""
    q: str = ""
    sort: str = DEFAULT_SORT
    order: str = "asc"
    page: int = 1
    per: int = DEFAULT_PER_PAGE

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> OverviewQuery:
        states = checked_states([params.get("state", "")])
        sort = params.get("sort", DEFAULT_SORT)
        per = _number(params.get("per"), DEFAULT_PER_PAGE)
        return cls(
            state=states[0] if states else "",
            q=params.get("q", "").strip()[:200],
            sort=sort if sort in SORT_KEYS else DEFAULT_SORT,
            order="desc" if params.get("order") == "desc" else "asc",
            page=max(1, _number(params.get("page"), 1)),
            per=per if per in PER_PAGE else DEFAULT_PER_PAGE,
        )

    def query_string(self, **changes: Any) -> str:
        """`?state=blocked&page=2`: this query with `changes`, defaults left out."""
        changed = replace(self, **changes)
        default = OverviewQuery()
        pairs = [
            (name, getattr(changed, name))
            for name in ("state", "q", "sort", "order", "page", "per")
            if getattr(changed, name) != getattr(default, name)
        ]
        return "?" + urlencode(pairs) if pairs else ""

    def sort_link(self, column: str) -> str:
        """The query that sorts by `column` (the other way round when it already does)."""
        order = "desc" if self.sort == column and self.order == "asc" else "asc"
        return self.query_string(sort=column, order=order, page=1)


def _number(text: str | None, default: int) -> int:
    if text is None or not text.isascii() or not text.isdigit() or len(text) > 9:
        return default
    return int(text)


@dataclass(frozen=True)
class Page:
    """One page of rows, and where it is among all of them."""

    rows: Sequence[StatusRow]
    number: int
    pages: int
    total: int
    first: int  # 1-based position of the first row shown (0 when none)

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1 if self.rows else 0


def sort_rows(rows: Sequence[StatusRow], query: OverviewQuery) -> list[StatusRow]:
    return sorted(rows, key=SORT_KEYS[query.sort], reverse=query.order == "desc")


def paginate(rows: Sequence[StatusRow], query: OverviewQuery) -> Page:
    """The page `query` asks for (the last one when it asks past the end)."""
    pages = max(1, math.ceil(len(rows) / query.per))
    number = min(query.page, pages)
    start = (number - 1) * query.per
    shown = rows[start : start + query.per]
    return Page(shown, number, pages, len(rows), start + 1 if shown else 0)
