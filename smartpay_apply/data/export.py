"""The export loop: for each mini-program, every page, formatted and committed in order.

It only ties the parts together: pages of formatted rows come from `pages.walk_pages` (over a
fetcher from `kinds`), text from a `writers.Writer`, and each complete page is committed to an
`output.Output` with the cursor that lets a re-run resume after it.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from smartpay_apply.data.errors import PageFailedError
from smartpay_apply.data.output import Cursor, Output
from smartpay_apply.data.pages import FetchPage, PageResult, walk_pages
from smartpay_apply.data.writers import Writer
from smartpay_apply.errors import SmartpayError


@dataclass(frozen=True)
class AppSource:
    """One mini-program's pages: its name (the `app` column) and how to fetch page N."""

    name: str
    fetch: FetchPage


@dataclass(frozen=True)
class ExportJob:
    """What to export (for messages), the mini-programs, paging and concurrency."""

    what: str
    sources: Sequence[AppSource]
    page_size: int
    concurrency: int = 8
    with_app: bool = False
    #: --all-apps: a mini-program without a payment service is skipped, and one that fails does
    #: not stop the others (ExportResult says which); otherwise the first failure stops it all.
    keep_going: bool = False


class Progress(Protocol):
    """Told about pages as they are written (the CLI shows a bar on a TTY)."""

    def app_started(self, name: str, total_pages: int | None, done_pages: int) -> None: ...

    def page_written(self, rows: int) -> None: ...


class NoProgress:
    """Progress that shows nothing (pipes, tests)."""

    def app_started(self, name: str, total_pages: int | None, done_pages: int) -> None:
        return None

    def page_written(self, rows: int) -> None:
        return None


@dataclass
class ExportResult:
    """Rows written per mini-program in this run (a resumed run counts only its own rows), and
    with `keep_going` the mini-programs skipped (no payment service) or failed, with why."""

    rows: dict[str, int] = field(default_factory=dict)
    resumed_from: Cursor | None = None
    skipped: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


#: errnos meaning "this mini-program has no payment service (or no payment account)": the data
#: endpoints answer 60008; a stricter Baidu may answer 60002 or 60013.
NO_SERVICE_ERRNOS = frozenset({60002, 60008, 60013})


def no_service_reason(error: BaseException) -> str | None:
    """Why a page failure means "no payment service here", or None if it is a real failure."""
    from smartpay_apply.api.errors import BusinessError

    cause = error.cause if isinstance(error, PageFailedError) else error
    if isinstance(cause, BusinessError) and cause.errno in NO_SERVICE_ERRNOS:
        return f"no payment service (errno {cause.errno} {cause.msg})".replace(" )", ")")
    return None


class _Restart(Exception):
    """The data behind a partial file changed since it was written: start over."""


async def run_export(
    job: ExportJob,
    output: Output,
    writer: Writer,
    *,
    progress: Progress | None = None,
    notify: Callable[[str], None] = lambda message: None,
) -> ExportResult:
    """Export every page of every source to `output`, resuming where the output says."""
    progress = progress or NoProgress()
    header = writer.header()
    try:
        cursor = output.start(header)
        result = ExportResult(resumed_from=cursor)
        while True:
            try:
                await _export_from(job, output, writer, cursor, progress, result)
                break
            except _Restart:
                notify("The data changed since the interrupted export: starting over")
                output.restart(header)
                cursor = None
                result = ExportResult()
        if result.failed:
            output.abort()  # keeps what was written (FILE.partial), resumable from the failure
        else:
            output.finish()
        return result
    except BaseException:
        output.abort()
        raise


async def _export_from(
    job: ExportJob,
    output: Output,
    writer: Writer,
    cursor: Cursor | None,
    progress: Progress,
    result: ExportResult,
) -> None:
    for index, source in enumerate(job.sources):
        resuming = cursor if cursor is not None and cursor.app_index == index else None
        if cursor is not None and index < cursor.app_index:
            continue
        if resuming is not None and _complete(resuming, job.page_size):
            continue
        result.rows[source.name] = 0
        start = resuming.page + 1 if resuming is not None else 1
        pages = walk_pages(
            source.fetch,
            page_size=job.page_size,
            start_page=start,
            concurrency=job.concurrency,
            what=_label(job, source),
        )
        async with contextlib.aclosing(pages):
            while True:
                try:
                    page = await anext(pages)
                except StopAsyncIteration:
                    break
                except SmartpayError as error:  # the pages of this mini-program, not the output
                    if not job.keep_going:
                        raise
                    _set_aside(source.name, error, start, output, result)
                    break
                if page.number == start:
                    if resuming is not None and page.total_count != resuming.total_count:
                        raise _Restart
                    if job.keep_going and page.absent and start == 1:
                        result.skipped[source.name] = "no payment service (an empty answer)"
                        result.rows.pop(source.name, None)
                        break
                    progress.app_started(source.name, page.pages(job.page_size), start - 1)
                _commit(job, output, writer, index, source, page)
                result.rows[source.name] += len(page.items)
                progress.page_written(len(page.items))


def _set_aside(
    name: str, error: SmartpayError, start: int, output: Output, result: ExportResult
) -> None:
    """--all-apps: a mini-program without a payment service is skipped; any other failure is
    recorded and the export goes on with the next one, the output's resume point held here."""
    reason = no_service_reason(error)
    if reason is not None and start == 1 and not result.rows.get(name):
        result.skipped[name] = reason
        result.rows.pop(name, None)
        return
    if not result.failed:
        output.hold()
    result.failed[name] = error.user_message()


def _commit(
    job: ExportJob, output: Output, writer: Writer, index: int, source: AppSource, page: PageResult
) -> None:
    rows = page.items
    if job.with_app:
        rows = [(source.name, *row) for row in rows]
    text = writer.rows(rows)
    output.commit(text, Cursor(app_index=index, page=page.number, total_count=page.total_count))


def _complete(cursor: Cursor, page_size: int) -> bool:
    """True when the cursor's mini-program was written to its last page already."""
    if cursor.total_count is None:
        return False
    return cursor.page >= math.ceil(cursor.total_count / page_size)


def _label(job: ExportJob, source: AppSource) -> str:
    return f"{job.what} of {source.name}" if job.with_app or len(job.sources) > 1 else job.what
