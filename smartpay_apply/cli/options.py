"""The global options, accepted before the subcommand and after it alike.

`smartpay-apply -C dir plan` and `smartpay-apply plan -C dir` mean the same: the options are
declared once here, put on the root group, and attached to every subcommand when it is loaded
(cli/main.py loads commands lazily, so nothing heavy is imported for `--help`). Each option acts
through a callback on the shared `CliContext`, so it does not matter at which level it was given;
`-v` counts across both (`-v plan -v` is `-vv`). `-C` is processed first wherever it appears.

Attaching also gives every `APP` argument and `--app` option shell completion of the app names
and app_ids in the specs (`smartpay-apply completion`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from smartpay_apply.cli.context import CliContext

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem

COLOR_CHOICES = ("auto", "always", "never")
#: Parameter names that take a mini-program (an app name or app_id).
APP_PARAMS = ("app", "apps")


def _obj(ctx: click.Context) -> CliContext:
    return ctx.ensure_object(CliContext)


def _chdir(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
    if value is not None:  # also while completing: app names come from that project
        os.chdir(value)


def _config(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
    if value is not None:
        _obj(ctx).config_file = value.resolve()


def _verbose(ctx: click.Context, _param: click.Parameter, value: int) -> None:
    if value:
        obj = _obj(ctx)
        obj.verbose += value
        _configure_logging(obj)


def _debug(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        obj = _obj(ctx)
        obj.debug = True
        _configure_logging(obj)


def _color(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value is not None:
        _obj(ctx).color = value
        # click.echo strips ANSI codes when not writing to a terminal unless told otherwise;
        # subcommand contexts made after this one inherit it.
        ctx.color = {"always": True, "never": False}.get(value)


def _configure_logging(obj: CliContext) -> None:
    from smartpay_apply.logging_setup import configure_logging

    configure_logging(obj.verbose, obj.debug)


def global_options() -> list[click.Option]:
    """Fresh instances of the global options (one set per command they are attached to)."""
    return [
        click.Option(
            ["-C", "global_directory"],
            metavar="DIR",
            type=click.Path(file_okay=False, exists=True, path_type=Path),
            expose_value=False,
            is_eager=True,
            callback=_chdir,
            help="Run as if started in DIR (like git -C).",
        ),
        click.Option(
            ["--config", "global_config"],
            metavar="FILE",
            type=click.Path(dir_okay=False, path_type=Path),
            expose_value=False,
            callback=_config,
            help="Project config file (default: smartpay.yaml found from the current directory "
            "upward).",
        ),
        click.Option(
            ["-v", "--verbose", "global_verbose"],
            count=True,
            expose_value=False,
            callback=_verbose,
            help="More log output on stderr (-vv for debug).",
        ),
        click.Option(
            ["--debug", "global_debug"],
            is_flag=True,
            expose_value=False,
            callback=_debug,
            help="Show tracebacks for internal errors.",
        ),
        click.Option(
            ["--color", "global_color"],
            type=click.Choice(COLOR_CHOICES),
            default=None,
            expose_value=False,
            callback=_color,
            help="Colour in text output: auto (a terminal without NO_COLOR), always, never.",
        ),
    ]


def attach(command: click.Command) -> click.Command:
    """Give `command` (and, for a group, each of its subcommands) the global options and app
    name completion; done once per command object."""
    if getattr(command, "_smartpay_globals", False):
        return command
    taken = {flag for param in command.params for flag in param.opts}
    command.params.extend(  # a command's own option with the same flag wins
        option for option in global_options() if not taken & set(option.opts)
    )
    for param in command.params:
        _complete_apps(param)
    command._smartpay_globals = True  # type: ignore[attr-defined]
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            attach(sub)
    return command


def _complete_apps(param: click.Parameter) -> None:
    # click keeps a parameter's `shell_complete=` callback in this attribute; set here so that
    # every command taking a mini-program completes names without each declaring it.
    if param.name in APP_PARAMS and getattr(param, "_custom_shell_complete", None) is None:
        param._custom_shell_complete = complete_apps


def complete_apps(
    ctx: click.Context, _param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """App names and app_ids from the project's specs that start with what was typed."""
    from click.shell_completion import CompletionItem

    try:
        from smartpay_apply.project import load_report

        config = _obj(ctx).project()
        specs = load_report(config).specs
    except Exception:  # completion must never fail loudly: no project, broken specs, ...
        return []
    items: list[CompletionItem] = []
    for spec in specs:
        if spec.app.startswith(incomplete):
            items.append(CompletionItem(spec.app, help=str(spec.app_id)))
        elif str(spec.app_id).startswith(incomplete):
            items.append(CompletionItem(str(spec.app_id), help=spec.app))
    return items
