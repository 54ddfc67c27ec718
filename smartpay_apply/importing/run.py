"""One `import`: decide each mini-program's file, read Baidu, render, write what is new.

Three steps, so that nothing is read from Baidu for a mini-program that cannot be imported and
nothing is written before everything was read:

1. `prepare`: each mini-program asked for is skipped (it has a spec), refused (no app_id, a
   taken name or file) or planned (its name and file);
2. `read_all`: account/auditstatus and getbindservice (read calls only, as plan makes them)
   with the project-wide default credentials, and the file's text rendered;
3. `write`: the secrets file first (so no spec refers to a variable nobody can set), then each
   spec file, created exclusively: an existing file is never overwritten.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import SecretStr

from smartpay_apply import sensitive
from smartpay_apply.errors import SmartpayError, UsageError
from smartpay_apply.importing import naming, render, values
from smartpay_apply.importing.existing import Existing
from smartpay_apply.importing.targets import Wanted

if TYPE_CHECKING:
    from smartpay_apply.engine.observe import Observed
    from smartpay_apply.runtime import Runtime

SKIPPED = "skipped"
FAILED = "failed"
READY = "ready"
WRITTEN = "written"

TEMPLATE_HINT = "choose other names with --name-template (e.g. --name-template 'shop-{app_id}')"


@dataclass(frozen=True)
class Secret:
    """A sensitive value moved out of a spec: the variable its reference names."""

    variable: str
    app: str
    field: str
    value: SecretStr

    @property
    def masked(self) -> str:
        return str(sensitive.display(self.field, self.value.get_secret_value()))


@dataclass
class Outcome:
    """What happened to one mini-program asked for."""

    status: str  # skipped | failed | ready | written
    label: str  # "name (app_id)", or the text asked for
    message: str = ""
    app_id: int | None = None
    name: str | None = None
    path: Path | None = None
    text: str | None = None
    secrets: list[Secret] = field(default_factory=list)


def prepare(
    wanted: Sequence[Wanted], existing: Existing, directory: Path, template: str
) -> list[Outcome]:
    """Each mini-program asked for, skipped, refused or ready to read (name and file chosen)."""
    outcomes: list[Outcome] = []
    seen: set[int] = set()
    names: dict[str, int] = {}
    paths: dict[Path, int] = {}
    for item in wanted:
        named = existing.by_name(item.text)
        key = named.app_id if named is not None else item.app_id
        if key is not None:
            if key in seen:
                continue  # asked for twice
            seen.add(key)
        outcomes.append(_prepare_one(item, existing, directory, template, names, paths))
    return outcomes


def _prepare_one(
    item: Wanted,
    existing: Existing,
    directory: Path,
    template: str,
    names: dict[str, int],
    paths: dict[Path, int],
) -> Outcome:
    named = existing.by_name(item.text)
    app_id = item.app_id
    if named is not None or (app_id is not None and existing.by_app_id(app_id) is not None):
        spec = named if named is not None else existing.by_app_id(app_id or 0)
        assert spec is not None
        label = f"{spec.app} ({spec.app_id})"
        return Outcome(
            SKIPPED,
            label,
            f"already has a spec ({shown_path(spec.path)}): skipped",
            app_id=spec.app_id,
            name=spec.app,
            path=spec.path,
        )
    if app_id is None:
        where = "" if item.origin == "argument" else f"{item.origin}: "
        return Outcome(
            FAILED,
            item.text,
            f"{where}not an app_id, and no spec has that name (import takes the app ids of "
            "mini-programs without a spec)",
        )
    try:
        name = (
            naming.valid_name(item.name, item.origin)
            if item.name is not None
            else naming.spec_name(template, app_id)
        )
    except UsageError as error:
        return Outcome(FAILED, str(app_id), str(error), app_id=app_id)
    label = f"{name} ({app_id})"
    path = (directory / naming.file_name(name)).absolute()
    taken = existing.by_name(name)
    if taken is not None or name in names:
        owner = taken.app_id if taken is not None else names[name]
        where = f" by {shown_path(taken.path)}" if taken is not None else ""
        return Outcome(
            FAILED,
            label,
            f"the name {name} is taken{where} (app_id {owner}): {TEMPLATE_HINT}",
            app_id=app_id,
        )
    if path.exists() or path in paths:
        return Outcome(
            FAILED,
            label,
            f"{shown_path(path)} already exists and is not this mini-program's spec: {TEMPLATE_HINT}",
            app_id=app_id,
        )
    names[name] = app_id
    paths[path] = app_id
    return Outcome(READY, label, app_id=app_id, name=name, path=path)


async def read_all(
    runtime: Runtime, outcomes: Sequence[Outcome], imported_at: datetime, schema: Path | None
) -> None:
    """Read Baidu for every ready mini-program (at most `concurrency` at once) and render its
    file; a mini-program that cannot be read or rendered becomes a failure, alone."""
    limit = asyncio.Semaphore(runtime.config.concurrency)

    async def one(outcome: Outcome) -> None:
        async with limit:
            await _read_one(runtime, outcome, imported_at, schema)

    await asyncio.gather(*(one(outcome) for outcome in outcomes if outcome.status == READY))


async def _read_one(
    runtime: Runtime, outcome: Outcome, imported_at: datetime, schema: Path | None
) -> None:
    from smartpay_apply.engine.observe import observe_app
    from smartpay_apply.spec.models import AppSpec

    assert outcome.name is not None and outcome.app_id is not None and outcome.path is not None
    # No spec yet: the minimal one takes its token source from the project-wide default.
    spec = AppSpec(app=outcome.name, app_id=outcome.app_id)
    try:
        observed = await observe_app(runtime.app_api(spec), spec, None, recorded=({}, ()))
    except SmartpayError as error:
        outcome.status, outcome.message = FAILED, f"cannot read it from Baidu: {error}"
        return
    _render(outcome, observed, imported_at, schema)


def _render(
    outcome: Outcome, observed: Observed, imported_at: datetime, schema: Path | None
) -> None:
    assert outcome.name is not None and outcome.app_id is not None and outcome.path is not None
    relative_schema = None
    if schema is not None:
        relative_schema = Path(os.path.relpath(schema, outcome.path.parent)).as_posix()
    if observed.payment_service is None and observed.account_status is None:
        outcome.status = FAILED
        outcome.message = (
            "Baidu reports neither a payment account nor a payment service for it: nothing "
            "to import (is the app_id right?)"
        )
        return
    if observed.payment_service is None:
        outcome.text = render.render_spec(
            outcome.name, outcome.app_id, None, imported_at, schema=relative_schema
        )
        outcome.message = "Baidu reports no payment service: the spec manages nothing yet"
        return
    found = values.spec_values(observed.payment_service)
    problems = values.problems(found)
    if problems:
        outcome.status = FAILED
        outcome.message = "Baidu's values do not make a valid spec, not imported: " + "; ".join(
            problems
        )
        return
    written: dict[str, object] = dict(found)
    for name in values.sensitive_fields(found):
        variable = naming.variable_name(outcome.name, name)
        outcome.secrets.append(Secret(variable, outcome.name, name, SecretStr(str(found[name]))))
        written[name] = render.Reference(naming.reference(variable))
    outcome.text = render.render_spec(
        outcome.name, outcome.app_id, written, imported_at, schema=relative_schema
    )
    outcome.message = service_state(observed)


def service_state(observed: Observed) -> str:
    """The payment service's audit state in words, and what plan will say about it."""
    status = observed.open_status
    if status == 2:
        return "payment service approved"
    if status == 1:
        return "payment service in review at Baidu: plan waits for its audit"
    if status == 3:
        reason = observed.fail_reason or "no reason given"
        return f"payment service rejected by Baidu ({reason}): plan shows it blocked"
    return f"payment service open_status {status}"


def write(outcomes: Sequence[Outcome], secrets_file: Path | None) -> None:
    """Write the secrets (when a file is given), then every ready spec file, never replacing
    an existing one (a file created meanwhile makes that mini-program a failure)."""
    from smartpay_apply.importing.secrets import write_secrets

    ready = [outcome for outcome in outcomes if outcome.status == READY]
    secrets = {s.variable: s.value.get_secret_value() for o in ready for s in o.secrets}
    if secrets_file is not None and secrets:
        write_secrets(secrets_file, secrets)
    for outcome in ready:
        assert outcome.path is not None and outcome.text is not None
        outcome.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with outcome.path.open("x", encoding="utf-8") as stream:
                stream.write(outcome.text)
        except FileExistsError:
            outcome.status = FAILED
            outcome.message = f"{shown_path(outcome.path)} appeared meanwhile: not overwritten"
            continue
        outcome.status = WRITTEN


def shown_path(path: Path) -> str:
    """A path relative to the current directory when inside it (as other commands show)."""
    try:
        return str(path.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
