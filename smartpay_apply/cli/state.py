"""`smartpay-apply state show [APP]` and `state history [APP]`: what the state store knows.

Read-only, and never a secret: sections appear as fingerprint prefixes, credentials not at all.
APP is a mini-program's `app` name or its app_id; names come from the specs and from what the
store recorded with submissions and runs. The helpers here (opening the store, resolving APP,
formatting times) are shared with cli/lock.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from smartpay_apply.cli.context import CliContext, pass_cli
from smartpay_apply.errors import UsageError

if TYPE_CHECKING:
    from smartpay_apply.config import ProjectConfig
    from smartpay_apply.state.base import StateStore

FINGERPRINT_PREFIX = 12


# ---------------------------------------------------------------- shared with cli/lock.py


@contextmanager
def project_store(obj: CliContext) -> Iterator[tuple[ProjectConfig, StateStore]]:
    """The project config and its state store (closed afterwards)."""
    from smartpay_apply.runtime import open_state

    config = obj.project()
    store = open_state(config)
    try:
        yield config, store
    finally:
        store.close()


def known_names(config: ProjectConfig, store: StateStore) -> dict[int, str]:
    """app_id -> app name, from what the store recorded, then the specs (which win)."""
    names: dict[int, str] = {}
    for run in store.list_runs(limit=200):
        for step in run.steps:
            names.setdefault(step.app_id, step.app)
    for submission in store.list_submissions():
        if submission.app:
            names[submission.app_id] = submission.app
    names.update(_spec_names(config))
    return names


def _spec_names(config: ProjectConfig) -> dict[int, str]:
    """Names from the valid specs; broken specs are validate's business, not a reason to fail here."""
    from smartpay_apply.errors import SmartpayError

    try:
        from smartpay_apply.spec.loader import load_report

        return {spec.app_id: spec.app for spec in load_report(config).specs}
    except SmartpayError:
        return {}


def resolve_app(app: str, names: dict[int, str]) -> int:
    """APP (an app_id, or an app name known to the specs or the store) -> app_id."""
    text = app.strip()
    if text.isdigit():
        return int(text)
    matches = [app_id for app_id, name in names.items() if name == text]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise UsageError(
            f"{text!r} names several mini-programs ({', '.join(map(str, sorted(matches)))}): give the app_id"
        )
    known = ", ".join(sorted(set(names.values()))) or "none"
    raise UsageError(
        f"unknown mini-program {text!r}: not an app_id, nor an app in the specs or the state store (known: {known})"
    )


def label(app_id: int, names: dict[int, str]) -> str:
    """`shop (123)`, or just `123` when the name is unknown."""
    name = names.get(app_id)
    return f"{name} ({app_id})" if name else str(app_id)


def when(moment: datetime | None, zone: Any = None) -> str:
    """A time for humans: seconds precision, with its zone (UTC unless given)."""
    if moment is None:
        return "-"
    from datetime import UTC

    shown = moment.astimezone(zone or UTC)
    suffix = "UTC" if zone is None else shown.strftime("%z")[:3] + ":" + shown.strftime("%z")[3:]
    return f"{shown:%Y-%m-%d %H:%M:%S} {suffix}"


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


# ---------------------------------------------------------------- commands


@click.group("state")
def state() -> None:
    """Show what the state store knows (submissions, audit events, run history)."""


@state.command("show", short_help="What the store knows per mini-program (no secrets).")
@click.argument("app", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@pass_cli
def show(obj: CliContext, app: str | None, as_json: bool) -> None:
    """Per mini-program: last submissions (fingerprint prefix, time, outcome, reason) and events.

    APP is an app name or app_id; without it, every mini-program the store knows.
    """
    with project_store(obj) as (config, store):
        names = known_names(config, store)
        app_id = None if app is None else resolve_app(app, names)
        submissions = store.list_submissions(app_id)
        events = store.list_events(app_id)
    apps = sorted(
        {s.app_id for s in submissions}
        | {e.app_id for e in events}
        | ({app_id} if app_id is not None else set())
    )
    if as_json:
        document = [
            {
                "app_id": each,
                "app": names.get(each),
                "submissions": [
                    {
                        "section": s.section,
                        "fingerprint": s.fingerprint[:FINGERPRINT_PREFIX],
                        "submitted_at": iso(s.submitted_at),
                        "outcome": s.outcome,
                        "reason": s.reason,
                        "outcome_at": iso(s.outcome_at),
                    }
                    for s in submissions
                    if s.app_id == each
                ],
                "events": [e.to_json() for e in events if e.app_id == each],
            }
            for each in apps
        ]
        click.echo(json.dumps(document, ensure_ascii=False, indent=2))
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
            outcome = s.outcome if s.outcome_at is None else f"{s.outcome} at {when(s.outcome_at)}"
            reason = f" — {s.reason}" if s.reason else ""
            click.echo(
                f"    {s.section:<17} {s.fingerprint[:FINGERPRINT_PREFIX]}  "
                f"submitted {when(s.submitted_at)}  {outcome}{reason}"
            )
        theirs = [e for e in events if e.app_id == each]
        click.echo("  events:" if theirs else "  events: none")
        for e in theirs:
            reason = f" — {e.reason}" if e.reason else ""
            click.echo(f"    {when(e.event_time, e.event_time.tzinfo)}  {e.event}{reason}")


@state.command("history", short_help="The run history, newest first.")
@click.argument("app", required=False)
@click.option(
    "--limit", type=click.IntRange(min=1), default=20, show_default=True, help="How many runs."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@pass_cli
def history(obj: CliContext, app: str | None, limit: int, as_json: bool) -> None:
    """The run history, newest first: who ran what, when, with which plan, and each step.

    With APP, only the runs that touched that mini-program (and only its steps).
    """
    with project_store(obj) as (config, store):
        names = known_names(config, store)
        app_id = None if app is None else resolve_app(app, names)
        runs = store.list_runs(app_id, limit=limit)
    if as_json:
        click.echo(json.dumps([_run_json(run) for run in runs], ensure_ascii=False, indent=2))
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
            f"{run.run_id}  {run.status:<9} {when(run.started_at)}  {run.user}@{run.host}  {run.command}{plan}"
        )
        for step in run.steps:
            detail = f" ({step.detail})" if step.detail else ""
            click.echo(
                f"    {label(step.app_id, names)}: {step.action} {step.section} -> {step.result}{detail}"
            )


def _run_json(run: Any) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "command": run.command,
        "user": run.user,
        "host": run.host,
        "plan_checksum": run.plan_checksum,
        "started_at": iso(run.started_at),
        "finished_at": iso(run.finished_at),
        "status": run.status,
        "steps": [
            {
                "app_id": s.app_id,
                "app": s.app,
                "action": s.action,
                "section": s.section,
                "result": s.result,
                "detail": s.detail,
                "at": iso(s.at),
            }
            for s in run.steps
        ],
    }
