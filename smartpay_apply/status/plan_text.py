"""A stored observation shown as the plan text `smartpay-apply plan` printed when it was made.

The summary keeps the plan's steps with their changes in display form (masked where sensitive,
engine/observation.py), so rebuilding the AppPlan and handing it to the plan's own text
renderer shows exactly what `plan` shows, masking included. Observations recorded before the
summary kept changes show their steps without field lines.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from smartpay_apply.engine.steps import Action, AppPlan, Change, Plan, Step
from smartpay_apply.render.text import render_text


def app_plan(app: str, app_id: int, summary: Mapping[str, Any]) -> AppPlan:
    """The AppPlan a summary was made from (as far as the summary keeps it)."""
    steps = tuple(
        Step(
            action=Action(step["action"]),
            section=step["section"],
            changes=tuple(Change.from_json(change) for change in step.get("changes") or ()),
            reason=step.get("reason"),
            note=step.get("note"),
        )
        for step in summary.get("steps") or ()
        if step.get("action") in Action._value2member_map_
    )
    status = {
        section: " · ".join(part for part in (value.get("sync"), value.get("audit")) if part)
        for section, value in (summary.get("sections") or {}).items()
    }
    return AppPlan(
        app=app,
        app_id=app_id,
        steps=steps,
        notes=tuple(summary.get("notes") or ()),
        error=summary.get("error"),
        status=status,
    )


def plan_text(app: str, app_id: int, summary: Mapping[str, Any]) -> str:
    """The plan text of one stored observation (no colour: it goes into a page or a pipe)."""
    return render_text(Plan(apps=(app_plan(app, app_id, summary),)), color=False)
