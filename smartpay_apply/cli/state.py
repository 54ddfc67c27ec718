"""`smartpay-apply state show|history|forget`: what the state store knows, and state surgery.

`show` and `history` only read, and never show a secret: sections appear as fingerprint
prefixes, credentials not at all; with no store yet they answer as for an empty one and create
nothing. `forget` (Terraform's `state rm`) drops what the store recorded about a mini-program so
the next apply submits again; it never calls Baidu. APP is an app name or app_id
(selection.py), of the specs or of what the store recorded.
"""

from __future__ import annotations

import getpass
import os
import socket
import sys
from typing import TYPE_CHECKING, Any

import click

from smartpay_apply.cli.context import CliContext, pass_cli
from smartpay_apply.cli.listing import dump, format_option, wants_json
from smartpay_apply.cli.stores import label, names_of, reading_store, resolve_app
from smartpay_apply.errors import UsageError
from smartpay_apply.timeutil import json_time, text_time

if TYPE_CHECKING:
    from smartpay_apply.config import ProjectConfig
    from smartpay_apply.selection import KnownApp
    from smartpay_apply.state.base import RunRecord, StateStore, Submission

FINGERPRINT_PREFIX = 12
SECTIONS = ("account", "developer_config", "payment_service")


@click.group("state")
def state() -> None:
    """Show what the state store knows (submissions, audit events, run history); forget it."""


# ---------------------------------------------------------------- show


@state.command("show", short_help="What the store knows per mini-program (no secrets).")
@click.argument("app", required=False)
@format_option(json_alias=True)
@pass_cli
def show(obj: CliContext, app: str | None, fmt: str, as_json: bool) -> None:
    """Per mini-program: last submissions (fingerprint prefix, time, outcome, reason) and events.

    APP is an app name or app_id; without it, every mini-program the store knows.
    """
    with reading_store(obj) as (config, store):
        names, app_id = _names_and_app(config, store, app)
        submissions = store.list_submissions(app_id) if store else []
        events = store.list_events(app_id) if store else []
    apps = sorted(
        {s.app_id for s in submissions}
        | {e.app_id for e in events}
        | ({app_id} if app_id is not None else set())
    )
    if wants_json(fmt, as_json):
        document = [
            {
                "app_id": each,
                "app": names.get(each),
                "submissions": [_submission_json(s) for s in submissions if s.app_id == each],
                "events": [_event_json(e) for e in events if e.app_id == each],
            }
            for each in apps
        ]
        click.echo(dump(document))
        return
    if not apps:
        click.echo("The state store has nothing recorded yet.")
        return
    for index, each in enumerate(apps):
        if index:
            click.echo()
        click.echo(label(each, names))
        mine = [s for s in submissions if s.app_id == each]
        click.echo("  submissions:" if mine else "  submissions: none")
        for s in mine:
            outcome = (
                s.outcome if s.outcome_at is None else f"{s.outcome} at {text_time(s.outcome_at)}"
            )
            reason = f" — {s.reason}" if s.reason else ""
            click.echo(
                f"    {s.section:<17} {s.fingerprint[:FINGERPRINT_PREFIX]}  "
                f"submitted {text_time(s.submitted_at)}  {outcome}{reason}"
            )
        theirs = [e for e in events if e.app_id == each]
        click.echo("  events:" if theirs else "  events: none")
        for e in theirs:
            reason = f" — {e.reason}" if e.reason else ""
            click.echo(f"    {text_time(e.event_time)}  {e.event}{reason}")


def _names_and_app(
    config: ProjectConfig, store: StateStore | None, app: str | None
) -> tuple[dict[int, str], int | None]:
    """The known names, and the app_id APP names (None without APP)."""
    from smartpay_apply.cli.stores import known_apps

    if app is None:
        return names_of(known_apps(config, store)), None
    chosen, known = resolve_app(app, config, store)
    return names_of(known), chosen.app_id


def _submission_json(s: Submission) -> dict[str, Any]:
    return {
        "section": s.section,
        "fingerprint": s.fingerprint[:FINGERPRINT_PREFIX],
        "submitted_at": json_time(s.submitted_at),
        "outcome": s.outcome,
        "reason": s.reason,
        "outcome_at": json_time(s.outcome_at),
    }


def _event_json(event: Any) -> dict[str, Any]:
    return {
        **event.to_json(),
        "event_time": json_time(event.event_time),
        "received_at": json_time(event.received_at),
    }


# ---------------------------------------------------------------- history


@state.command("history", short_help="The run history, newest first.")
@click.argument("app", required=False)
@click.option(
    "--limit", type=click.IntRange(min=1), default=20, show_default=True, help="How many runs."
)
@format_option(json_alias=True)
@pass_cli
def history(obj: CliContext, app: str | None, limit: int, fmt: str, as_json: bool) -> None:
    """The run history, newest first: who ran what, when, with which plan, and each step.

    With APP, only the runs that touched that mini-program (and only its steps).
    """
    with reading_store(obj) as (config, store):
        names, app_id = _names_and_app(config, store, app)
        runs = store.list_runs(app_id, limit=limit) if store else []
    if wants_json(fmt, as_json):
        click.echo(dump([_run_json(run) for run in runs]))
        return
    if not runs:
        click.echo(
            "No runs recorded."
            if app_id is None
            else f"No runs recorded for {label(app_id, names)}."
        )
        return
    for run in runs:
        plan = f"  plan {run.plan_checksum[:19]}" if run.plan_checksum else ""
        click.echo(
            f"{run.run_id}  {run.status:<9} {text_time(run.started_at)}  "
            f"{run.user}@{run.host}  {run.command}{plan}"
        )
        for step in run.steps:
            detail = f" ({step.detail})" if step.detail else ""
            click.echo(
                f"    {label(step.app_id, names)}: {step.action} {step.section} -> {step.result}{detail}"
            )


def _run_json(run: RunRecord) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "command": run.command,
        "user": run.user,
        "host": run.host,
        "plan_checksum": run.plan_checksum,
        "started_at": json_time(run.started_at),
        "finished_at": json_time(run.finished_at),
        "status": run.status,
        "steps": [
            {
                "app_id": s.app_id,
                "app": s.app,
                "action": s.action,
                "section": s.section,
                "result": s.result,
                "detail": s.detail,
                "at": json_time(s.at),
            }
            for s in run.steps
        ],
    }


# ---------------------------------------------------------------- forget


@state.command("forget", short_help="Drop what the store recorded about a mini-program.")
@click.argument("app")
@click.option(
    "--section",
    "sections",
    multiple=True,
    type=click.Choice(SECTIONS),
    help="Only this section (repeatable); default: all three.",
)
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@pass_cli
def forget(obj: CliContext, app: str, sections: tuple[str, ...], yes: bool) -> None:
    """Forget what the state store recorded about APP, like `terraform state rm`.

    \b
    Removes the recorded submissions (fingerprint and audit outcome) of the sections, so the
    next plan no longer claims they were sent and apply submits them again; for the account
    (and so for the whole mini-program) also the remembered upload URLs of the id-card images
    its spec names, which are uploaded again. Audit events, the run history and credentials
    stay. Baidu is never called. Use it when the store and Baidu disagree — e.g. after
    `sandbox reset`, or when Baidu says there is no payment account while the store says the
    developer config was submitted.

    \b
    Asks for confirmation on a terminal; elsewhere it needs --yes. Recorded in the run history
    (`state history`) as `state forget`, with who ran it and what was forgotten. Takes the
    mini-program's lock, so it never runs under an apply. Exit 0 also when nothing was recorded.
    """
    from smartpay_apply.state.locks import LockOwner

    chosen_sections = [s for s in SECTIONS if s in sections] if sections else list(SECTIONS)
    with reading_store(obj) as (config, store):  # an existing store, opened for writing too
        target, _ = resolve_app(app, config, store)
        if store is None:
            click.echo(f"Nothing recorded for {target.label}: there is no state store yet.")
            return
        recorded = [
            s for s in store.list_submissions(target.app_id) if s.section in chosen_sections
        ]
        digests = _image_digests(config, target) if "account" in chosen_sections else []
        known_images = [d for d in digests if store.has_image(d)]
        if not recorded and not known_images:
            what = "any section" if not sections else ", ".join(chosen_sections)
            click.echo(f"Nothing recorded for {target.label} ({what}): nothing to forget.")
            return
        _describe(target, recorded, known_images)
        _confirm(yes, target)
        owner = LockOwner(host=socket.gethostname(), pid=os.getpid(), run_id="state-forget")
        with store.lock(target.app_id, owner, ttl=60, wait=0):
            forgotten = store.forget(
                target.app_id,
                chosen_sections,
                app=target.name,
                image_digests=known_images,
                command=_command_line(target, sections),
                user=_user(),
                host=socket.gethostname(),
            )
    if forgotten.run_id is None:  # another process removed it meanwhile
        click.echo(f"Nothing recorded for {target.label} any more: nothing to forget.")
        return
    parts = [s.section for s in forgotten.submissions]
    if forgotten.images:
        parts.append(f"{forgotten.images} image URL(s)")
    click.echo(
        f"Forgot {', '.join(parts)} of {target.label} (run {forgotten.run_id}); "
        "the next plan shows what apply will submit again."
    )


def _image_digests(config: ProjectConfig, target: KnownApp) -> list[str]:
    """SHA-256s of the id-card image files the spec of `target` names (unreadable ones skipped)."""
    import hashlib

    from smartpay_apply.cli.stores import valid_specs

    spec = next((s for s in valid_specs(config) if s.app_id == target.app_id), None)
    if spec is None or spec.account is None:
        return []
    from smartpay_apply.engine.images import IMAGE_FIELDS, read_image
    from smartpay_apply.errors import SmartpayError

    digests = []
    for file_field, _ in IMAGE_FIELDS:
        path = getattr(spec.account, file_field, None)
        if path is None:
            continue
        try:
            digests.append(hashlib.sha256(read_image(spec, file_field, path)).hexdigest())
        except SmartpayError:
            continue
    return digests


def _describe(target: KnownApp, recorded: list[Submission], images: list[str]) -> None:
    click.echo(f"The state store records for {target.label}:", err=True)
    for s in recorded:
        click.echo(
            f"  {s.section:<17} submitted {text_time(s.submitted_at)}, {s.outcome}", err=True
        )
    if images:
        click.echo(f"  {len(images)} uploaded id-card image URL(s)", err=True)
    click.echo(
        "Forgetting them changes nothing at Baidu; the next apply submits these sections again.",
        err=True,
    )


def _confirm(yes: bool, target: KnownApp) -> None:
    """Terraform's rule: only `yes` goes on; no terminal and no --yes is a refusal."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise UsageError(
            "state forget changes the state store: confirm on a terminal, or pass --yes"
        )
    answer = click.prompt(
        "Do you want to forget them? Only 'yes' will be accepted.",
        default="",
        show_default=False,
        err=True,
    )
    if answer.strip() != "yes":
        raise UsageError(f"state forget of {target.label} cancelled: nothing was changed")


def _command_line(target: KnownApp, sections: tuple[str, ...]) -> str:
    flags = "".join(f" --section {s}" for s in sections)
    return f"state forget {target.name or target.app_id}{flags}"


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in some containers
        return "unknown"
