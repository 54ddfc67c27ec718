"""`smartpay-apply controller`: reconcile continuously, serving the event receiver.

Parse, call `controller.process`, print (docs/controller.md). The long-running form exits 0
after SIGTERM/SIGINT (1 if a part of it broke, or it could not start); `--once` reconciles every
mini-program once and exits with apply's codes: 0 all done, 2 audits in review, 1 something
needs a person (a rejection, a payout change without consent, a failure), 130 interrupted.
"""

from __future__ import annotations

import asyncio
import json
import sys

import click

from smartpay_apply.cli.context import CliContext, pass_cli


@click.command()
@click.option("--host", default=None, help="Address to listen on (default: events.host).")
@click.option(
    "--port", type=click.IntRange(1, 65535), default=None, help="Port (default: events.port)."
)
@click.option(
    "--resync",
    metavar="DURATION",
    default=None,
    help="Reconcile every mini-program this often, jittered, e.g. 30s, 10m "
    "(default: controller.resync, 10m; at least 1s).",
)
@click.option(
    "--once",
    is_flag=True,
    help="Reconcile every mini-program once and exit with apply's exit codes (cron, tests).",
)
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Log lines on stderr as text, or as one JSON object each.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="--once: the result as apply prints it (text, or its versioned JSON).",
)
@pass_cli
def controller(
    cli: CliContext,
    host: str | None,
    port: int | None,
    resync: str | None,
    once: bool,
    log_format: str,
    fmt: str,
) -> None:
    """Reconcile the specs continuously: onboarding and drift repair that run themselves.

    \b
    Serves the event receiver (/, /tp/auth, /healthz) with /readyz, /metrics and the status
    page (/ui/), and reconciles a mini-program when an audit event for it is stored, when its
    spec file changes (or on SIGHUP), and every --resync. Runs only what controller.actions
    allows; a payout change waits for `smartpay-apply approve APP --payout-change`. Several
    replicas may share one PostgreSQL state store. SIGTERM finishes the write under way and
    exits 0.
    """
    from smartpay_apply.controller import logs
    from smartpay_apply.controller.process import run_once, serve_controller

    config = cli.project()
    logs.configure(log_format, cli.verbose, quiet=once)
    if once:
        result = asyncio.run(run_once(config, resync=resync))
        _print_once(result, fmt)
        if result.exit_code:
            raise click.exceptions.Exit(result.exit_code)
        return
    code = asyncio.run(
        serve_controller(
            config,
            host=host or config.events.host,
            port=port or config.events.port,
            resync=resync,
        )
    )
    if code:
        raise click.exceptions.Exit(code)


def _print_once(result: object, fmt: str) -> None:
    from smartpay_apply.engine.results import ApplyResult
    from smartpay_apply.render.result import error_lines, render_result

    assert isinstance(result, ApplyResult)
    if fmt == "json":
        click.echo(
            json.dumps(
                result.to_json(), ensure_ascii=False, indent=2 if sys.stdout.isatty() else None
            )
        )
    else:
        click.echo(render_result(result), nl=False)
    for line in error_lines(result):
        click.echo(line, err=True)
