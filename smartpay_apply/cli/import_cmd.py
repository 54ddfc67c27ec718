"""`smartpay-apply import`: write specs for mini-programs opened by hand, and `--update`:
accept a change made in Baidu's console into the spec files (docs/import.md; --update's
printing and confirmation are in import_update.py).

Parse, call `smartpay_apply.importing`, print. Exit codes: 0 success (mini-programs that already
have a spec are skipped, not failures); 1 any mini-program not imported (the others are), bad
input, or `--update` refused or cancelled.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

import click

from smartpay_apply.cli.context import CliContext, pass_cli
from smartpay_apply.errors import UsageError
from smartpay_apply.importing.naming import DEFAULT_TEMPLATE

if TYPE_CHECKING:
    from smartpay_apply.config import ProjectConfig
    from smartpay_apply.importing.run import Outcome


@click.command("import")
@click.argument("apps", nargs=-1, metavar="[APP_ID|NAME]...")
@click.option(
    "--from-file",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Also import the mini-programs listed in FILE: `APP_ID` or `APP_ID NAME` per line.",
)
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="Where to write the spec files (default: specs/ of the project).",
)
@click.option(
    "--name-template",
    default=DEFAULT_TEMPLATE,
    show_default=True,
    metavar="TEXT",
    help="The spec name of an imported mini-program ({app_id} is replaced); its file is NAME.yaml.",
)
@click.option(
    "--secrets-file",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Write the sensitive values (bank cards) there, mode 0600; refused inside the git "
    "work tree unless git-ignored. Without it the variables to set are listed.",
)
@click.option("--dry-run", is_flag=True, help="Show what would be written; write nothing.")
@click.option(
    "--update",
    is_flag=True,
    help="Write Baidu's current payment-service values into the existing spec files of the "
    "mini-programs named (all when none is named), in place.",
)
@click.option("--yes", "-y", is_flag=True, help="With --update: write without asking.")
@pass_cli
def import_command(
    cli: CliContext,
    apps: tuple[str, ...],
    from_file: Path | None,
    directory: Path | None,
    name_template: str,
    secrets_file: Path | None,
    dry_run: bool,
    update: bool,
    yes: bool,
) -> None:
    """Bring mini-programs opened by hand under management: one spec file each, from what
    Baidu reports (account/auditstatus, getbindservice; read calls only).

    \b
    Credentials: the project-wide `credentials:` default of smartpay.yaml (a token_command
    gets SMARTPAY_APP_ID, or the tp: flow); the specs written refer to the same default.
    Sensitive values become ${env:SMARTPAY_<APP>_<FIELD>} references. An existing file is
    never overwritten; a mini-program that has a spec is skipped. Right after an import,
    with the variables set, `plan` shows nothing for the imported mini-programs.
    --update: accept a change made in Baidu's console: show the diff, ask (or --yes), then
    write the changed fields in place, keeping comments, order, quoting and references.
    Exit codes: 0 success; 1 a mini-program not imported or updated (the others are), bad
    input, or --update refused or cancelled.
    """
    config = cli.project()
    if update:
        misplaced = [
            flag
            for flag, given in (
                ("--from-file", from_file is not None),
                ("--dir", directory is not None),
                ("--secrets-file", secrets_file is not None),
                ("--name-template", name_template != DEFAULT_TEMPLATE),
            )
            if given
        ]
        if misplaced:
            raise UsageError(f"{misplaced[0]} applies to import, not to import --update")
        from smartpay_apply.cli.import_update import update_specs

        ok = update_specs(config, apps, yes=yes, dry_run=dry_run)
    else:
        if yes:
            raise UsageError("--yes applies to import --update (an import never overwrites)")
        ok = _import(config, apps, from_file, directory, name_template, secrets_file, dry_run)
    if not ok:
        raise click.exceptions.Exit(1)


# ---------------------------------------------------------------------------------- import


def _import(
    config: ProjectConfig,
    apps: tuple[str, ...],
    from_file: Path | None,
    directory: Path | None,
    template: str,
    secrets_file: Path | None,
    dry_run: bool,
) -> bool:
    from smartpay_apply.importing import naming, run, targets
    from smartpay_apply.importing.existing import existing_specs

    naming.check_template(template)
    wanted = targets.from_arguments(apps)
    if from_file is not None:
        wanted += targets.from_file(from_file)
    if not wanted:
        raise UsageError("name the mini-programs to import: APP_ID ... or --from-file FILE")
    if secrets_file is not None:
        from smartpay_apply.importing.secrets import check_location

        check_location(secrets_file)
    existing = existing_specs(config)
    for problem in existing.unreadable:
        click.echo(f"warning: {problem} (its mini-program is not known to import)", err=True)
    target = (directory if directory is not None else config.root / "specs").absolute()
    outcomes = run.prepare(wanted, existing, target, template)
    ready = [outcome for outcome in outcomes if outcome.status == run.READY]
    if ready:
        _check_ready(config, ready)
        asyncio.run(_read(config, outcomes))
    if not dry_run:
        run.write(outcomes, secrets_file)
    _report(outcomes, dry_run)
    _variables(outcomes, secrets_file, dry_run)
    return all(outcome.status != run.FAILED for outcome in outcomes)


def _check_ready(config: ProjectConfig, ready: list[Outcome]) -> None:
    """Before any call: the files will be seen by plan, and the project has the default
    credentials the new specs will rely on."""
    from smartpay_apply.importing.existing import seen_by_plan

    outside = [o.path for o in ready if o.path is not None and not seen_by_plan(config, o.path)]
    if outside:
        raise UsageError(
            f"{outside[0].parent}: spec files written there are not matched by smartpay.yaml's "
            f"specs: {config.specs}, so plan would not see them; choose --dir inside them"
        )
    if config.credentials is None:
        raise UsageError(
            "import reads mini-programs that have no spec yet with the project-wide "
            "`credentials:` default of smartpay.yaml, and the specs it writes rely on it: add "
            "one (token_command, which gets SMARTPAY_APP_ID, or tp: {}) (docs/credentials.md)"
        )


async def _read(config: ProjectConfig, outcomes: list[Outcome]) -> None:
    from smartpay_apply.importing.render import SCHEMA_FILE
    from smartpay_apply.importing.run import read_all
    from smartpay_apply.runtime import open_runtime
    from smartpay_apply.timeutil import now

    schema = config.root / SCHEMA_FILE
    async with open_runtime(config) as runtime:
        await read_all(runtime, outcomes, now(), schema if schema.is_file() else None)


def _report(outcomes: list[Outcome], dry_run: bool) -> None:
    from smartpay_apply.importing import run

    for outcome in outcomes:
        if outcome.status == run.FAILED:
            click.echo(f"Error: {outcome.label}: {outcome.message}", err=True)
        elif outcome.status == run.SKIPPED:
            click.echo(f"= {outcome.label}: {outcome.message}")
        else:
            path = run.shown_path(outcome.path) if outcome.path is not None else "?"
            click.echo(f"+ {path}  {outcome.label}: {outcome.message}")
            if dry_run and outcome.text is not None:
                click.echo(_indented(outcome.text))
    counts = {
        status: sum(1 for o in outcomes if o.status == status)
        for status in (run.WRITTEN, run.READY, run.SKIPPED, run.FAILED)
    }
    done = counts[run.READY] if dry_run else counts[run.WRITTEN]
    verb = "Would import" if dry_run else "Imported"
    click.echo(
        f"{verb} {done} mini-program(s); {counts[run.SKIPPED]} skipped (already have a spec), "
        f"{counts[run.FAILED]} not imported." + (" Dry run: nothing written." if dry_run else "")
    )


def _indented(text: str) -> str:
    return "\n".join(f"    {line}" if line else "" for line in text.splitlines()) + "\n"


def _variables(outcomes: list[Outcome], secrets_file: Path | None, dry_run: bool) -> None:
    """Where the sensitive values went: the secrets file, or the variables to set (names and
    masked tails only, never a value)."""
    from smartpay_apply.importing import run

    done = run.READY if dry_run else run.WRITTEN
    secrets = [secret for o in outcomes if o.status == done for secret in o.secrets]
    if not secrets:
        return
    if secrets_file is not None and not dry_run:
        click.echo(
            f"Wrote {len(secrets)} sensitive value(s) to {secrets_file} (mode 0600; never commit "
            f"it). Load them before plan: set -a; . {secrets_file}; set +a"
        )
        return
    where = f" (--secrets-file {secrets_file} would hold them)" if secrets_file else ""
    click.echo(
        "Set these environment variables before plan, to the values Baidu has (never put "
        f"them in git){where}:"
    )
    width = max(len(secret.variable) for secret in secrets)
    for secret in secrets:
        click.echo(
            f"  {secret.variable:<{width}}  {secret.app} payment_service.{secret.field} "
            f"(Baidu's: {secret.masked})"
        )
