"""`smartpay-apply plan`: what apply would do, for a terminal, a pull request or a pipeline.

Parse, call the planner, print — the logic lives in smartpay_apply.engine (see docs/plan.md).
Exit codes: 0 success; 1 error (including any mini-program that could not be observed, after
the others are printed); 2 with --detailed-exitcode when any step or marker is pending.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, cast

import click

from smartpay_apply.cli.context import CliContext, pass_cli

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from smartpay_apply.config import ProjectConfig
    from smartpay_apply.engine.steps import Plan
    from smartpay_apply.forking import Ahead
    from smartpay_apply.spec.models import AppSpec

#: Exit code of `--detailed-exitcode` when something is pending (Terraform's convention).
EXIT_PENDING = 2


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--app",
    "apps",
    multiple=True,
    metavar="NAME",
    help="Plan only this mini-program (name or app_id); repeat for more.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
    help="text for terminals, markdown for pull requests, json for pipelines.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Save the plan for `smartpay-apply apply FILE` (no secrets in it).",
)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 2 when anything is pending (steps, waits, blocked, manual); 0 when in sync.",
)
@pass_cli
def plan(
    cli: CliContext,
    paths: tuple[Path, ...],
    apps: tuple[str, ...],
    fmt: str,
    out: Path | None,
    detailed_exitcode: bool,
) -> None:
    """Show what apply would do: observe Baidu and the state store, compare with the specs.

    \b
    Only read calls are made. Exit codes: 0 success; 1 error (a mini-program that could not
    be observed counts, after the others are printed); with --detailed-exitcode, 2 when any
    step or marker is pending. Errors win over 2.
    """
    if apps:  # which names mean which mini-programs is known only once every spec is read
        from smartpay_apply.project import load_specs
        from smartpay_apply.selection import select_specs

        config = cli.project()
        specs = select_specs(load_specs(config, list(paths) or None), apps)
        result = asyncio.run(run_plan(config, specs))
    else:
        from smartpay_apply.cli.ahead import project_ahead

        with project_ahead(cli, list(paths) or None) as project:
            result = asyncio.run(plan_while_loading(project))
    click.echo(render(result, fmt), nl=False)
    if result.errors:
        names = ", ".join(app.app for app in result.errors)
        if out is not None:
            click.echo(f"Plan not saved to {out}: it is incomplete.", err=True)
        click.echo(
            f"Error: {len(result.errors)} mini-program(s) could not be observed: {names}", err=True
        )
        raise click.exceptions.Exit(1)
    if out is not None:
        save(result, out)
    if detailed_exitcode and result.pending:
        raise click.exceptions.Exit(EXIT_PENDING)


async def run_plan(config: ProjectConfig, specs: list[AppSpec]) -> Plan:
    """Open the store and the API client, plan every spec, close both."""
    from smartpay_apply.runtime import build_plan, open_api, open_state

    with open_state(config) as store:
        async with open_api(config) as api:
            result, _ = await build_plan(config, specs, api, store)
    return result


async def plan_while_loading(project: Ahead[ProjectConfig | AppSpec]) -> Plan:
    """Plan every spec, observing each mini-program as soon as its file is read.

    Why: reading 1,000 spec files takes a fraction of a second of CPU that the requests of the
    first ones can wait through (issue 16). Reads are harmless: a spec with a problem found
    later still fails the command with every problem, before anything is printed.
    """
    from smartpay_apply.runtime import Runtime, open_api, open_state, preload_network

    preload_network()  # while the child loads smartpay.yaml
    arriving = project.items()
    config = cast("ProjectConfig", await anext(arriving))  # iter_project: the config first,
    specs = cast("AsyncIterator[AppSpec]", arriving)  # then only specs
    with open_state(config) as store:
        async with open_api(config) as api:
            return await Runtime(config, api, store).planner().plan_stream(specs)


def render(result: Plan, fmt: str) -> str:
    """The plan in `fmt`; colour only for text on a terminal without NO_COLOR."""
    from smartpay_apply.render import render_json, render_markdown, render_text

    if fmt == "json":
        return render_json(result)
    if fmt == "markdown":
        return render_markdown(result)
    return render_text(result, color=use_color())


def use_color() -> bool:
    """`--color`, else https://no-color.org: NO_COLOR or a pipe or file turns colour off."""
    from smartpay_apply.cli.context import use_color as chosen

    return chosen()


def save(result: Plan, out: Path) -> None:
    from smartpay_apply.engine.planfile import save_plan
    from smartpay_apply.timeutil import now

    save_plan(out, result, created_at=now())
    click.echo(f"Saved the plan to {out}: apply it with `smartpay-apply apply {out}`.", err=True)
