"""`smartpay-apply validate [PATHS] [--format text|json]`: check specs offline; every problem at once.

Text (the default): exit 0 and "N specs valid" when all is well; exit 1 with one
`path:line:col: field: problem` line per problem (sorted) on stderr otherwise. Warnings (no
dictionary cache, an empty file, local images without a TP token) never change the exit code.

JSON (`--format json`, or `--json` as `state show` and `lock list` spell it): stdout is always
one JSON array, for CI annotators: an object per warning and per problem, `{path, line,
column, field, message, severity}` with severity "warning" or "error" (path, line, column and
field are null where a warning has no position). A broken smartpay.yaml is reported the same
way. The exit codes are the same as for text.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from smartpay_apply.cli.context import CliContext, pass_cli

if TYPE_CHECKING:
    from smartpay_apply.config import ProjectConfig
    from smartpay_apply.spec.loader import LoadReport


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: one array of {path, line, column, field, message, severity} on stdout.",
)
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@pass_cli
def validate(cli: CliContext, paths: tuple[Path, ...], output_format: str, as_json: bool) -> None:
    """Check spec files (default: those matched by `specs:` in smartpay.yaml).

    PATHS may be files or directories. Checks every rule, references (${env:}, ${file:}),
    duplicates, and names against the cached payment dictionary (`dict --refresh`).
    Exit codes: 0 valid, 1 problems found.
    """
    from smartpay_apply.project import validate_project

    if as_json or output_format == "json":
        from smartpay_apply.errors import ConfigError

        try:
            result = validate_project(_config(cli, paths), list(paths) or None)
        except ConfigError as error:
            _print_json(_config_items(error))
            raise click.exceptions.Exit(1) from None
        _print_json(_items(result))
        raise click.exceptions.Exit(1 if result.problems else 0)
    result = validate_project(_config(cli, paths), list(paths) or None)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    for located in result.located_warnings:
        click.echo(f"warning: {located}", err=True)
    if result.problems:
        for problem in result.problems:
            click.echo(str(problem), err=True)
        count = len(result.problems)
        click.echo(
            f"{count} problem{'s' if count != 1 else ''} found in {result.files} file(s)", err=True
        )
        raise click.exceptions.Exit(1)
    count = len(result.specs)
    click.echo(f"{count} spec{'s' if count != 1 else ''} valid")


def _items(result: LoadReport) -> list[dict[str, Any]]:
    """Warnings (unlocated, then located), then problems: the order of the text output."""
    items = [_unlocated(warning, "warning") for warning in result.warnings]
    items += [warning.to_json("warning") for warning in result.located_warnings]
    items += [problem.to_json("error") for problem in result.problems]
    return items


def _config_items(error: Exception) -> list[dict[str, Any]]:
    """A smartpay.yaml that cannot be used: its located problems, or the one error."""
    problems = getattr(error, "problems", None)
    if problems:
        return [problem.to_json("error") for problem in problems]
    return [_unlocated(str(error), "error")]


def _unlocated(message: str, severity: str) -> dict[str, Any]:
    return {
        "path": None,
        "line": None,
        "column": None,
        "field": None,
        "message": message,
        "severity": severity,
    }


def _print_json(items: list[dict[str, Any]]) -> None:
    click.echo(json.dumps(items, ensure_ascii=False, indent=2))


def _config(cli: CliContext, paths: tuple[Path, ...]) -> ProjectConfig:
    """The project config; with explicit PATHS and no smartpay.yaml anywhere, the defaults."""
    from smartpay_apply.config import ProjectConfig, find_config
    from smartpay_apply.errors import ConfigError

    if paths and cli.config_file is None:
        try:
            find_config(Path.cwd())
        except ConfigError:
            root = Path.cwd().resolve()
            return ProjectConfig(root=root, path=root / "smartpay.yaml")
    return cli.project()
