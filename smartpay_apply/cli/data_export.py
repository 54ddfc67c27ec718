"""The export run behind `smartpay-apply data ...`: token sources, pages, writer, progress.

`cli/data.py` parses the command line and reports; this module wires one export over the
API client and `smartpay_apply.data`, with a progress bar on a terminal.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from smartpay_apply.cli.context import use_color
from smartpay_apply.data.kinds import COLUMNS, Query

if TYPE_CHECKING:
    from smartpay_apply.config import ProjectConfig
    from smartpay_apply.data.export import ExportResult
    from smartpay_apply.spec.models import AppSpec


async def export(
    config: ProjectConfig,
    specs: list[AppSpec],
    what: str,
    query: Query,
    *,
    fmt: str,
    output: Path | None,
    page_size: int,
    concurrency: int,
    with_app: bool,
) -> ExportResult:
    """Export `what` of `specs` to `output` (or stdout), one token source per mini-program
    from one registry (one TP platform and at most one state store for the `tp:` flow)."""
    from smartpay_apply.credentials.registry import Credentials
    from smartpay_apply.data.columns import APP_WIDTH, header
    from smartpay_apply.data.export import AppSource, ExportJob, NoProgress, run_export
    from smartpay_apply.data.kinds import page_fetcher
    from smartpay_apply.data.output import Output, PartialFileOutput, StreamOutput
    from smartpay_apply.data.writers import make_writer
    from smartpay_apply.runtime import open_api, open_token_store

    columns = COLUMNS[what]
    names = header(columns, with_app=with_app)
    widths = ([APP_WIDTH] if with_app else []) + [column.width for column in columns]
    params = {
        "export": what,
        "endpoint": config.endpoint,
        "apps": [spec.app for spec in specs],
        "app_ids": [spec.app_id for spec in specs],
        **query.as_params(),
        "page_size": page_size,
        "format": fmt,
        "columns": list(names),
    }
    sink: Output = (
        PartialFileOutput(output, params, notify=_notice) if output else StreamOutput(sys.stdout)
    )
    with open_token_store(config, specs) as store:
        async with open_api(config, max_concurrency=concurrency) as api:
            tokens = Credentials(config, store, api)
            sources = [
                AppSource(
                    spec.app,
                    page_fetcher(what, api.app(tokens.for_app(spec)), query, page_size),
                )
                for spec in specs
            ]
            job = ExportJob(what, sources, page_size, concurrency, with_app, keep_going=with_app)
            writer = make_writer(fmt, names, widths)
            if not sys.stderr.isatty():
                return await run_export(job, sink, writer, progress=NoProgress(), notify=_notice)
            with _TtyProgress(what) as progress:
                return await run_export(job, sink, writer, progress=progress, notify=_notice)


def _notice(message: str) -> None:
    click.echo(message, err=True)


class _TtyProgress:
    """A rich progress bar on stderr, one line per mini-program (only used on a TTY)."""

    def __init__(self, what: str) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self.what = what
        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("pages · {task.fields[rows]} rows"),
            TimeRemainingColumn(),
            console=Console(stderr=True, no_color=not use_color(sys.stderr)),
            transient=True,
        )
        self.task: Any = None

    def __enter__(self) -> _TtyProgress:
        self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()

    def app_started(self, name: str, total_pages: int | None, done_pages: int) -> None:
        self.task = self.bar.add_task(
            f"{self.what} {name}", total=total_pages, completed=done_pages, rows=0
        )

    def page_written(self, rows: int) -> None:
        task = self.bar.tasks[-1]
        self.bar.update(self.task, advance=1, rows=task.fields["rows"] + rows)
