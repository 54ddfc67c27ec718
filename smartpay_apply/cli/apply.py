"""`smartpay-apply apply`: run the plan — in order, recorded, resumable — from a terminal or a pipeline.

Parse, call `engine.run.run_apply`, print (docs/apply.md). Exit codes: 0 all done; 2 done but
audits still in review; 1 failures (API errors, rejections, stale plans, locks held, money-guard
refusals, a cancelled confirmation); 130 interrupted (Ctrl-C, SIGTERM).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from smartpay_apply.cli.context import CliContext, pass_cli
from smartpay_apply.cli.main import terminate_as_interrupt

if TYPE_CHECKING:
    from smartpay_apply.config import ProjectConfig
    from smartpay_apply.engine.money_guard import PayoutChange
    from smartpay_apply.engine.options import ApplyOptions
    from smartpay_apply.engine.preflight import Request
    from smartpay_apply.engine.results import ApplyResult
    from smartpay_apply.engine.steps import Plan
    from smartpay_apply.render.progress import Progress
    from smartpay_apply.spec.models import AppSpec


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--app",
    "apps",
    multiple=True,
    metavar="NAME",
    help="Apply only this mini-program (name or app_id); repeat for more.",
)
@click.option(
    "--auto-approve",
    is_flag=True,
    help="Do not ask for confirmation (pipelines). Payout changes still need --allow-payout-change.",
)
@click.option(
    "--wait", is_flag=True, help="Wait for audits and go on with the next steps in the same run."
)
@click.option(
    "--wait-timeout",
    metavar="DURATION",
    default=None,
    help="How long --wait waits in all, e.g. 90s, 10m, 1h (default: apply.wait_timeout, 30m).",
)
@click.option(
    "--allow-payout-change",
    "allow_payout_change",
    multiple=True,
    metavar="APP",
    help="Consent to APP's change of bank_card/bank_account/bank_name/bank_branch/"
    "open_province/open_city (name or app_id); repeat for more.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Apply even when more than apply.payout_change_max_share of the mini-programs change payouts.",
)
@click.option(
    "--lock-timeout",
    metavar="DURATION",
    default="0s",
    show_default=True,
    help="How long to wait for a mini-program locked by another run.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people; json (versioned) for pipelines.",
)
@click.option(
    "--quiet-plan",
    is_flag=True,
    help="Show the plan as one summary line, not in full (a pipeline that just ran `plan`).",
)
@pass_cli
def apply(
    cli: CliContext,
    paths: tuple[Path, ...],
    apps: tuple[str, ...],
    auto_approve: bool,
    wait: bool,
    wait_timeout: str | None,
    allow_payout_change: tuple[str, ...],
    force: bool,
    lock_timeout: str,
    fmt: str,
    quiet_plan: bool,
) -> None:
    """Apply the specs (or a plan saved with `plan --out FILE`) to Baidu.

    \b
    Takes each mini-program's lock, plans under it, shows the plan, asks for confirmation on a
    terminal (--auto-approve in pipelines; a saved plan is applied without asking, and refused
    per mini-program once stale), then runs the steps. Exit codes: 0 all done; 2 done but
    audits still in review; 1 failures (API errors, rejections, stale plans, locks held,
    money-guard refusals); 130 interrupted (Ctrl-C, SIGTERM: the write under way is finished
    and recorded, locks released, what was done printed).
    """
    from smartpay_apply.engine.run import ApplyInterrupted
    from smartpay_apply.engine.waiting import parse_duration
    from smartpay_apply.errors import UsageError

    planfile = _planfile(paths)
    loaded: list[AppSpec] | None = None
    if planfile is None and not paths:  # every spec: read by a child while this one starts
        from smartpay_apply.cli.ahead import load_project

        config, loaded = load_project(cli)
    else:
        config = cli.project()
    interactive = sys.stdin.isatty()
    if planfile is None and not auto_approve and not interactive:
        raise UsageError(
            "apply needs a confirmation and stdin is not a terminal: pass --auto-approve "
            "(pipelines), or apply a saved plan (`plan --out FILE`, then `apply FILE`)"
        )
    options = _options(
        config,
        wait,
        parse_duration(wait_timeout or config.apply.wait_timeout),
        parse_duration(lock_timeout),
    )
    request = _request(
        config, paths, planfile, apps, allow_payout_change, force, auto_approve, loaded
    )
    ui = CliInteraction(fmt=fmt, interactive=interactive, quiet_plan=quiet_plan)
    try:
        result = asyncio.run(_run(config, request, ui, options))
    except ApplyInterrupted as stop:
        click.echo(f"Error: {stop.user_message()}", err=True)
        result = stop.result
    _print_result(result, fmt)
    if result.exit_code:
        raise click.exceptions.Exit(result.exit_code)


def _print_result(result: ApplyResult, fmt: str) -> None:
    """What was done: the result (text or JSON) on stdout, its error lines on stderr."""
    from smartpay_apply.render.result import error_lines, render_result

    if fmt == "json":
        import json

        pretty = 2 if sys.stdout.isatty() else None  # indent forces json's slow pure-Python encoder
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=pretty))
    else:
        click.echo(render_result(result), nl=False)
    for line in error_lines(result):
        click.echo(line, err=True)


def _planfile(paths: tuple[Path, ...]) -> Path | None:
    """A single argument that is a saved plan — recognised by its content, not its name: the
    printed `apply p.yaml` after `plan --out p.yaml` must apply the plan, not read a spec."""
    from smartpay_apply.cli.planfiles import is_plan_file

    if len(paths) == 1 and paths[0].is_file() and is_plan_file(paths[0]):
        return paths[0]
    return None


def _options(
    config: ProjectConfig, wait: bool, wait_timeout: float, lock_wait: float
) -> ApplyOptions:
    from smartpay_apply.engine.options import ApplyOptions
    from smartpay_apply.events.settings import receiver_configured

    return ApplyOptions(
        wait=wait,
        wait_timeout=wait_timeout,
        lock_wait=lock_wait,
        concurrency=config.concurrency,
        events_configured=receiver_configured(config),
    )


def _request(
    config: ProjectConfig,
    paths: tuple[Path, ...],
    planfile: Path | None,
    apps: tuple[str, ...],
    allow: tuple[str, ...],
    force: bool,
    auto_approve: bool,
    loaded: list[AppSpec] | None = None,
) -> Request:
    """The specs to apply: the selected ones, or those of the saved plan (`loaded`: every
    spec, read already)."""
    from smartpay_apply.engine.preflight import Request
    from smartpay_apply.project import load_specs
    from smartpay_apply.selection import select_specs

    if planfile is None:
        managed = load_specs(config) if loaded is None else loaded
        chosen = load_specs(config, list(paths)) if paths else managed
        return Request(
            specs=select_specs(chosen, apps),
            managed=len(managed),
            allow_payout_change=allow,
            force=force,
            auto_approve=auto_approve,
        )
    from smartpay_apply.engine.planfile import load_plan
    from smartpay_apply.errors import UsageError

    saved = load_plan(planfile)
    managed = load_specs(config)
    planned = {app.app_id for app in saved.plan.apps}
    specs = [spec for spec in select_specs(managed, apps) if spec.app_id in planned]
    missing = sorted(
        app.app for app in saved.plan.apps if app.app_id not in {s.app_id for s in managed}
    )
    if missing:
        raise UsageError(f"{planfile}: no spec any more for {', '.join(missing)}: run plan again")
    return Request(
        specs=specs,
        managed=len(managed),
        saved=saved.plan,
        saved_checksum=saved.checksum,
        allow_payout_change=allow,
        force=force,
        auto_approve=True,
    )


async def _run(
    config: ProjectConfig, request: Request, ui: CliInteraction, options: ApplyOptions
) -> ApplyResult:
    """Open the run's parts, run apply with Ctrl-C/SIGTERM turned into a clean stop."""
    from smartpay_apply.engine.results import ApplyResult
    from smartpay_apply.engine.run import ApplyInterrupted, run_apply
    from smartpay_apply.runtime import open_runtime

    stop = Stop(asyncio.current_task())
    with stop.on_signals():
        try:
            async with open_runtime(config) as runtime:
                try:
                    return await run_apply(runtime, request, ui, options, stop)
                finally:
                    ui.progress.close()
        except asyncio.CancelledError:  # before the run began (opening the store): nothing done
            raise ApplyInterrupted(ApplyResult(interrupted=True)) from None


class Stop:
    """Ctrl-C (SIGINT) and SIGTERM for one run: remembered, and the run's task cancelled.

    asyncio.run's own SIGINT handler cancels once and raises KeyboardInterrupt on the second
    Ctrl-C wherever the code happens to be — also in the middle of releasing the locks. This
    one cancels on every signal (cleanup runs to its end regardless, see engine/uninterrupted),
    and the remembered flag stops the run at the next phase even if a library swallowed the
    cancellation.
    """

    def __init__(self, task: asyncio.Task[Any] | None) -> None:
        self.task = task
        self.requested = False

    def __call__(self) -> bool:
        return self.requested

    def trigger(self) -> None:
        self.requested = True
        if self.task is not None and not self.task.done():
            self.task.cancel()

    @contextlib.contextmanager
    def on_signals(self) -> Iterator[None]:
        loop = asyncio.get_running_loop()
        installed = []
        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(signum, self.trigger)
            except (NotImplementedError, RuntimeError):  # no handlers here (Windows, a thread)
                continue
            installed.append(signum)
        try:
            yield
        finally:
            for signum in installed:
                loop.remove_signal_handler(signum)
            terminate_as_interrupt()  # what the rest of the command does with SIGTERM


class CliInteraction:
    """Prompts and messages on the terminal; plans on stdout in text mode."""

    def __init__(self, *, fmt: str, interactive: bool, quiet_plan: bool = False) -> None:
        from smartpay_apply.render.progress import Progress

        self.fmt = fmt
        self.interactive = interactive
        self.quiet_plan = quiet_plan
        interval = float(os.environ.get("SMARTPAY_PROGRESS_INTERVAL", "10") or 10)
        self.progress: Progress = Progress(sys.stderr, live=sys.stderr.isatty(), interval=interval)

    def show_plan(self, plan: Plan) -> None:
        if self.fmt != "text":
            return
        if self.quiet_plan:
            from smartpay_apply.render.summary import summary_line

            click.echo(summary_line(plan))
            return
        from smartpay_apply.cli.context import use_color
        from smartpay_apply.render import render_text

        click.echo(render_text(plan, color=use_color()), nl=False)

    def warn(self, message: str) -> None:
        click.echo(message, err=True)

    def ask_payout(self, change: PayoutChange) -> bool:
        click.echo(
            f"\n{change.app} (app_id {change.app_id}) changes where payouts go: {', '.join(change.fields)}.",
            err=True,
        )
        typed = _prompt(f"  Type the mini-program's name ({change.app}) to allow it")
        return typed == change.app

    def confirm(self, plan: Plan) -> bool:
        click.echo("\nDo you want to perform these actions? Only 'yes' will be accepted.", err=True)
        return _prompt("  Enter a value") == "yes"


def _prompt(text: str) -> str:
    """One answer typed on the terminal; Ctrl-C interrupts the run (exit 130), Ctrl-D is no answer.

    Why the handler: asyncio.run's own Ctrl-C handler only cancels the run's task, which a
    prompt blocked in input() never notices; the user was left pressing Ctrl-C twice.
    """
    interrupted = False

    def on_signal(signum: int, frame: Any) -> None:
        nonlocal interrupted
        interrupted = True
        raise KeyboardInterrupt

    previous: dict[int, Any] = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(ValueError):  # not the main thread: no handler to swap
            previous[signum] = signal.signal(signum, on_signal)
    try:
        answer = click.prompt(text, default="", show_default=False, err=True)
    except click.Abort:
        if interrupted:
            raise KeyboardInterrupt from None
        return ""
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    return str(answer).strip()
