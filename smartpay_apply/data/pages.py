"""Walking every page of a paged endpoint: concurrently once the total is known, yielded in order.

Why this shape: the first page tells how many there are (total_count / total_page); after that
the remaining pages are independent, so they are fetched with bounded concurrency, yet the
export must write them in page order and never hold more than a small window of pages in
memory. A sliding window of `2 x concurrency` scheduled pages (at most `concurrency` requests
in flight) keeps the pipe full while the consumer writes the head page.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from smartpay_apply.api.errors import PaginationError
from smartpay_apply.data.errors import DataChangedError, PageFailedError
from smartpay_apply.errors import SmartpayError


@dataclass(frozen=True)
class PageResult:
    """One fetched page: its number (from 1), the totals it reports, and its items."""

    number: int
    items: Sequence[Any]
    total_count: int | None = None
    total_pages: int | None = None
    #: The answer carried no data at all (`"data": null`): what a mini-program without a
    #: payment service may get, rather than an error (--all-apps then names it as skipped).
    absent: bool = False

    def pages(self, page_size: int) -> int | None:
        """How many pages there are: the larger of total_page and ceil(total_count / page_size).

        Baidu's two totals do not always agree (the doc's own example: 101 rows, 1 page); asking
        for a page too many costs one empty page, trusting the smaller one would lose rows.
        """
        known = [n for n in (self.total_pages, _ceil(self.total_count, page_size)) if n is not None]
        return max(known) if known else None


def _ceil(count: int | None, page_size: int) -> int | None:
    return None if count is None else math.ceil(count / page_size)


#: A fetched page not converted yet: called (once) to get the page.
Convert = Callable[[], PageResult]
FetchPage = Callable[[int], Awaitable[PageResult | Convert]]


def _converted(fetched: PageResult | Convert) -> PageResult:
    return fetched if isinstance(fetched, PageResult) else fetched()


async def walk_pages(
    fetch: FetchPage,
    *,
    page_size: int,
    start_page: int = 1,
    concurrency: int = 8,
    what: str = "",
) -> AsyncGenerator[PageResult, None]:
    """Every page from `start_page` to the last, in order.

    The first page is fetched alone (it gives the total); the rest concurrently. A page whose
    fetch raises a `SmartpayError` (the client has already retried it) stops the walk with a
    `PageFailedError` naming it. When a later page reports a different total_count than the
    first, the data moved under the export: `DataChangedError`, rather than a file with rows
    missing or repeated. Without any total, pages are walked one by one until a short page.
    """
    first = await _fetch(fetch, start_page, None, what)
    yield first
    last = first.pages(page_size)
    if last is None:
        async for page in _walk_sequential(fetch, first, page_size, what):
            yield page
        return
    async for page in _walk_window(fetch, first, last, max(1, concurrency), what):
        yield page


async def _fetch(fetch: FetchPage, number: int, total_pages: int | None, what: str) -> PageResult:
    try:
        return _converted(await fetch(number))
    except SmartpayError as error:
        raise PageFailedError(number, total_pages, error, what=what) from error


async def _walk_sequential(
    fetch: FetchPage, first: PageResult, page_size: int, what: str
) -> AsyncIterator[PageResult]:
    page = first
    while len(page.items) >= page_size:
        previous, page = page, await _fetch(fetch, page.number + 1, None, what)
        _check_page(first, previous, page)
        yield page


async def _walk_window(
    fetch: FetchPage, first: PageResult, last: int, concurrency: int, what: str
) -> AsyncIterator[PageResult]:
    numbers = iter(range(first.number + 1, last + 1))
    gate = asyncio.Semaphore(concurrency)
    window: deque[tuple[int, asyncio.Task[PageResult]]] = deque()

    async def one(number: int) -> PageResult:
        async with gate:
            fetched = await fetch(number)
        if isinstance(fetched, PageResult):
            return fetched
        await asyncio.sleep(0)  # the slot's next request goes out before this page is converted
        return fetched()

    def fill() -> None:
        while len(window) < 2 * concurrency:
            number = next(numbers, None)
            if number is None:
                return
            window.append((number, asyncio.ensure_future(one(number))))

    previous = first
    try:
        fill()
        while window:
            number, task = window.popleft()
            try:
                page = await task
            except SmartpayError as error:
                raise PageFailedError(number, last, error, what=what) from error
            _check_page(first, previous, page)
            if not page.items:  # past the real end (totals overstated): nothing more to read
                yield page
                return
            fill()
            yield page
            previous = page
    finally:
        for _, task in window:
            task.cancel()
        await asyncio.gather(*(task for _, task in window), return_exceptions=True)


def _check_page(first: PageResult, previous: PageResult, page: PageResult) -> None:
    """Refuse pages that cannot be right: a moved total, or a repeat of the previous page."""
    if page.items and list(page.items) == list(previous.items):
        raise PaginationError(
            "",
            None,
            f"page {page.number} repeats page {previous.number}: the server ignores paging",
        )
    if (
        first.total_count is not None
        and page.total_count is not None
        and page.total_count != first.total_count
    ):
        raise DataChangedError(
            f"the data changed during the export: page {first.number} reported "
            f"{first.total_count} rows, page {page.number} reports {page.total_count}; rows "
            "could be missing or repeated. Export a period that has ended, or run it again."
        )
