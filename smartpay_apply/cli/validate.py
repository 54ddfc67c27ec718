"""`smartpay-apply validate [PATHS]`: check specs offline; every problem at once.

Exit 0 and "N specs valid" when all is well; exit 1 with one `path:line:col: field: problem`
line per problem (sorted) on stderr otherwise. Warnings (no dictionary cache, an empty file)
never change the exit code.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from smartpay_apply.cli.context import CliContext, pass_cli

if TYPE_CHECKING:
    from smartpay_apply.config import ProjectConfig


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@pass_cli
def validate(cli: CliContext, paths: tuple[Path, ...]) -> None:
    """Check spec files (default: those matched by `specs:` in smartpay.yaml).

    PATHS may be files or directories. Checks every rule, references (${env:}, ${file:}),
    duplicates, and names against the cached payment dictionary (`dict --refresh`).
    Exit codes: 0 valid, 1 problems found.
    """
    from smartpay_apply.spec.validation import validate_project

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
