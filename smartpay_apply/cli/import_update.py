"""`smartpay-apply import --update`: show what Baidu changed, the diff of each file, ask, write.

The deciding and editing live in `smartpay_apply.importing.refresh`; here is what a person
sees: the accepted changes on stdout, what they must act on (a changed bank card) on stderr,
the diffs (sensitive lines masked), and Terraform's confirmation rule.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from smartpay_apply.errors import UsageError

if TYPE_CHECKING:
    from smartpay_apply.config import ProjectConfig
    from smartpay_apply.engine.observe import Observed
    from smartpay_apply.importing.update import Accepted
    from smartpay_apply.spec.models import AppSpec


def update_specs(config: ProjectConfig, apps: tuple[str, ...], *, yes: bool, dry_run: bool) -> bool:
    """Accept Baidu's current payment-service values for the specs named; False on any error."""
    from smartpay_apply.importing.inplace import InPlaceError, masked_diff, replace_file
    from smartpay_apply.importing.refresh import refresh
    from smartpay_apply.project import load_specs
    from smartpay_apply.selection import select_specs

    specs = select_specs(load_specs(config), apps, option="APP")
    result = refresh(specs, asyncio.run(_observe(config, specs)))
    ok = not result.unread
    for message in result.unread:
        click.echo(f"Error: {message}", err=True)
    for update in result.files:
        _show(update.results)
        if update.error is not None:
            click.echo(f"Error: {update.error}", err=True)
            ok = False
        elif update.text is not None and update.file is not None:
            click.echo(masked_diff(_relative(update.path), update.file.text, update.text), nl=False)
    changed = [u for u in result.files if u.text is not None and u.error is None]
    if not changed:
        click.echo("Nothing to write: the spec files hold Baidu's current values.")
        return ok
    if dry_run:
        click.echo(f"Dry run: {len(changed)} file(s) would change; nothing written.")
        return ok
    _confirm(yes, len(changed))
    for update in changed:
        assert update.file is not None and update.text is not None
        try:
            replace_file(update.path, update.file.text, update.text)
        except InPlaceError as error:
            click.echo(f"Error: {error}", err=True)
            ok = False
            continue
        click.echo(f"Updated {_relative(update.path)}")
    return ok


async def _observe(config: ProjectConfig, specs: list[AppSpec]) -> dict[int, Observed | str]:
    from smartpay_apply.importing.refresh import observe_specs
    from smartpay_apply.runtime import open_runtime

    async with open_runtime(config) as runtime:
        return await observe_specs(runtime, specs)


def _show(results: list[Accepted]) -> None:
    """Per mini-program: the fields written (display form), what is only reported, or why
    nothing is accepted. Reports go to stderr: they ask the user to act."""
    for result in results:
        label = f"{result.app} ({result.app_id})"
        if result.skipped:
            click.echo(f"= {label}: {result.skipped}")
            continue
        for change in result.changes:
            payout = "  (a payout field: Baidu already pays there)" if change.payout else ""
            click.echo(
                f"~ {label}: payment_service.{change.field}: {_shown(change.old)} -> "
                f"{_shown(change.new)}{payout}"
            )
        for report in result.reports:
            click.echo(f"! {label}: {report}", err=True)
        if not result.changes and not result.reports:
            click.echo(f"= {label}: the spec holds Baidu's current values")


def _shown(value: object) -> str:
    """A value as plan shows it: text in double quotes, numbers bare."""
    text = "" if value is None else str(value)
    return text if text.isascii() and text.isdigit() else json.dumps(text, ensure_ascii=False)


def _confirm(yes: bool, count: int) -> None:
    """Terraform's rule: only `yes` goes on; no terminal and no --yes is a refusal."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise UsageError(
            "import --update writes spec files: confirm on a terminal, or pass --yes "
            "(nothing was written)"
        )
    answer = click.prompt(
        f"Write these changes to {count} file(s)? Only 'yes' will be accepted.",
        default="",
        show_default=False,
        err=True,
    )
    if answer.strip() != "yes":
        raise UsageError("import --update cancelled: nothing was written")


def _relative(path: Path) -> Path:
    try:
        return path.relative_to(Path.cwd().resolve())
    except ValueError:
        return path
