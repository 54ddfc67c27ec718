"""Walking a paged endpoint to its end, and refusing to walk forever.

Baidu's pages carry `total_count` and (orderlist) `total_page`, which do not always agree (the
doc's own orderlist example says 101 rows in 1 page of 10). The walk trusts the larger of the
two: it goes on while either total says more rows exist, and stops at an empty page, or — only
when neither total is given — at a page shorter than asked. A server whose pages never end is
caught twice: a page repeating the previous page's rows, and a page limit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel

from smartpay_apply.api.errors import PaginationError

P = TypeVar("P", bound=BaseModel)
R = TypeVar("R", bound=BaseModel)


def _rows_key(rows: Sequence[BaseModel]) -> list[dict[str, Any]]:
    return [row.model_dump(mode="json") for row in rows]


def _finished(page: BaseModel, number: int, rows: int, seen: int, page_size: int) -> bool:
    """True once no total promises more rows (the larger total wins), or a page is empty."""
    total_page = getattr(page, "total_page", None)
    total_count = getattr(page, "total_count", None)
    if rows == 0:
        return True
    if total_page is None and total_count is None:
        return rows < page_size
    pages_left = total_page is not None and number < total_page
    rows_left = total_count is not None and seen < total_count
    return not (pages_left or rows_left)


async def walk(
    endpoint: str,
    fetch: Callable[[int], Awaitable[P]],
    rows_of: Callable[[P], Sequence[R]],
    *,
    page_size: int,
    max_pages: int,
) -> AsyncIterator[R]:
    """Yield every row of every page, fetching `fetch(page_number)` one page at a time."""
    previous: list[dict[str, Any]] | None = None
    seen = 0
    number = 1
    while True:
        if number > max_pages:
            raise PaginationError(
                endpoint, None, f"more than {max_pages} pages: the server's pages do not end"
            )
        page = await fetch(number)
        rows = rows_of(page)
        key = _rows_key(rows)
        if rows and key == previous:
            raise PaginationError(
                endpoint,
                None,
                f"page {number} repeats page {number - 1}: the server ignores paging",
            )
        for row in rows:
            yield row
        seen += len(rows)
        if _finished(page, number, len(rows), seen, page_size):
            return
        previous = key
        number += 1
