"""`import --update`: which of Baidu's current payment-service values go into a spec file.

This is how a team accepts a change made in Baidu's console instead of reverting it
(Terraform's `-refresh-only`). Per mini-program, every field plan would show as a difference
is either written into the spec file (in place, by `inplace`) or reported:

- a sensitive field (bank_card) is never written into a file: the report names the variable
  its `${env:}` reference reads, and the user sets it to Baidu's value;
- a field whose value in the file is a reference (`${env:}`, `${file:}`) is not replaced by a
  value: the report names the reference to update instead;
- a service in review or rejected at Baidu is left alone: getbindservice may show the last
  approved values there (docs/plan.md), which are not what anybody asked for.

A field the file does not write (it comes from smartpay.yaml's `defaults:`) is added to the
file, which then overrides the default for this mini-program only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from smartpay_apply import sensitive
from smartpay_apply.engine.normalise import change, normalise_value, section_values
from smartpay_apply.engine.steps import Change
from smartpay_apply.importing import values
from smartpay_apply.yamldoc.refs import has_reference

if TYPE_CHECKING:
    from smartpay_apply.engine.observe import Observed
    from smartpay_apply.spec.models import AppSpec

_ENV_REFERENCE = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}")


@dataclass
class Accepted:
    """What --update does for one mini-program: fields to write, and what it only reports."""

    app: str
    app_id: int
    writes: dict[str, values.SpecValue] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)  # display form of `writes`
    reports: list[str] = field(default_factory=list)
    skipped: str | None = None


def accept(spec: AppSpec, observed: Observed, written: Mapping[str, Any] | None) -> Accepted:
    """Compare the spec with Baidu the way plan does; `written` is the file's own
    `payment_service:` mapping as written (None when the file has none)."""
    result = Accepted(spec.app, spec.app_id)
    if spec.payment_service is None:
        result.skipped = "its spec does not manage the payment service"
        return result
    if observed.payment_service is None:
        result.skipped = "Baidu reports no payment service"
        return result
    if observed.open_status in (1, 3):
        state = "in review" if observed.open_status == 1 else "rejected"
        result.skipped = (
            f"the payment service is {state} at Baidu: nothing is accepted until its audit ends"
        )
        return result
    remote = values.spec_values(observed.payment_service)
    desired = section_values(spec.payment_service)
    for name in values.SPEC_FIELDS:
        if name not in remote:
            continue  # Baidu does not return it (bank_phone_number)
        if normalise_value(name, desired.get(name)) == normalise_value(name, remote[name]):
            continue
        raw = None if written is None else written.get(name)
        if sensitive.is_sensitive(name):
            result.reports.append(_sensitive_report(name, desired.get(name), remote[name], raw))
        elif isinstance(raw, str) and has_reference(raw):
            shown = change(name, desired.get(name), remote[name])
            result.reports.append(
                f"payment_service.{name}: Baidu has {shown.new!r}; the file takes it from "
                f"{raw}: update that (a reference is never replaced by a value)"
            )
        else:
            result.writes[name] = remote[name]
            result.changes.append(change(name, desired.get(name), remote[name]))
    problems = values.problems({**desired, **result.writes})
    if problems:
        result.skipped = "Baidu's values would not make a valid spec: " + "; ".join(problems)
        result.writes, result.changes = {}, []
    return result


def _sensitive_report(name: str, old: object, new: object, raw: object) -> str:
    shown = change(name, old, new)
    head = f"payment_service.{name} changed at Baidu ({shown.old} -> {shown.new})"
    match = _ENV_REFERENCE.fullmatch(raw.strip()) if isinstance(raw, str) else None
    if match is not None:
        return (
            f"{head}: set {match.group(1)} to Baidu's value; a sensitive value is never "
            "written into a file"
        )
    return f"{head}: a sensitive value is never written into a file: change it by hand"
