"""Errors of an export a user can meet: a page that keeps failing, data that moved, bad options."""

from __future__ import annotations

from smartpay_apply.errors import SmartpayError


class ExportError(SmartpayError):
    """An export stopped; no final output file was written (a `.partial` may remain to resume)."""


class PageFailedError(ExportError):
    """One page kept failing after the client's retries; names the page so a user can tell."""

    def __init__(
        self, page: int, total_pages: int | None, cause: Exception, *, what: str = ""
    ) -> None:
        self.page = page
        self.total_pages = total_pages
        self.cause = cause
        of = f" of {total_pages}" if total_pages else ""
        prefix = f"{what}: " if what else ""
        super().__init__(f"{prefix}page {page}{of} failed: {cause}")


class DataChangedError(ExportError):
    """The remote data changed while (or between runs) exporting, so pages no longer line up."""
