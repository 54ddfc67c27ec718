"""What every renderer says the same way: symbols, the summary line, how values are shown."""

from __future__ import annotations

from smartpay_apply.engine.normalise import NUMERIC_FIELDS
from smartpay_apply.engine.steps import ENDPOINTS, Action, AppPlan, Change, Plan, Step

#: One symbol per action (docs/plan.md has the legend). `!` after it marks an audited write.
SYMBOLS: dict[Action, str] = {
    Action.CREATE_ACCOUNT: "+",
    Action.SUBMIT_DEVELOPER_CONFIG: "+",
    Action.CREATE_PAYMENT_SERVICE: "+",
    Action.UPDATE_PAYMENT_SERVICE: "~",
    Action.UPDATE_BIND_SERVICE: "~",
    Action.ADOPT: "=",
    Action.WAIT: "…",
    Action.BLOCKED: "✗",
    Action.MANUAL: "✋",
}
AUDITED_MARK = "!"
ERROR_SYMBOL = "✗"
PAYOUT_WARNING = "!! PAYOUT CHANGE"
LEGEND: dict[str, str] = {
    "+": "create / submit",
    "~": "update",
    "!": "audited: Baidu reviews it before it takes effect",
    "=": "adopt: record what exists, no API call",
    "…": "wait: an audit is in progress; later steps are held",
    "✗": "blocked: rejected by Baidu, or could not be observed",
    "✋": "manual: no API can make this change",
}
#: Longer values (PEM keys) are cut in human output; json keeps them whole.
MAX_SHOWN = 72

SECTION_TITLES = {
    "account": "account",
    "developer_config": "developer config",
    "payment_service": "payment service",
}


def step_symbol(step: Step) -> str:
    """`+!` for an audited create, `~ ` for a no-audit update, `… ` for a wait..."""
    return SYMBOLS[step.action] + (AUDITED_MARK if step.audited else " ")


def change_symbol(change: Change) -> str:
    if change.old is None:
        return "+"
    if change.new is None:
        return "-"
    return "~"


def show(field: str, value: object, sensitive: bool = False, *, quote: bool = True) -> str:
    """A value for people: text quoted (numbers and masked values bare), cut when long."""
    if value is None:
        return "(none)"
    text = " ".join(str(value).split())
    if sensitive or field in NUMERIC_FIELDS:
        return text
    if text == "":
        return '""' if quote else "(empty)"
    suffix = ""
    if len(text) > MAX_SHOWN:
        text, suffix = text[: MAX_SHOWN - 1] + "…", f" ({len(str(value))} characters)"
    if quote:
        text = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text + suffix


def counts(plan: Plan) -> dict[str, int]:
    """The numbers the summary line reports."""
    found = {
        "create": 0,
        "submit": 0,
        "update": 0,
        "audited_update": 0,
        "adopt": 0,
        "wait": 0,
        "blocked": 0,
        "manual": 0,
        "in_sync": 0,
        "errors": 0,
    }
    kinds = {
        Action.CREATE_ACCOUNT: "create",
        Action.CREATE_PAYMENT_SERVICE: "create",
        Action.SUBMIT_DEVELOPER_CONFIG: "submit",
        Action.UPDATE_PAYMENT_SERVICE: "update",
        Action.UPDATE_BIND_SERVICE: "update",
        Action.ADOPT: "adopt",
        Action.WAIT: "wait",
        Action.BLOCKED: "blocked",
        Action.MANUAL: "manual",
    }
    for app in plan.apps:
        if app.error:
            found["errors"] += 1
        elif not app.pending:
            found["in_sync"] += 1
        for step in app.steps:
            found[kinds[step.action]] += 1
            if step.action is Action.UPDATE_BIND_SERVICE:
                found["audited_update"] += 1
    return found


def summary_line(plan: Plan) -> str:
    """ "Plan: 2 to create, 1 to update (1 audited), 1 waiting, 0 blocked; 3 in sync."

    Always the create/update/waiting/blocked/in-sync figures; the rarer ones only when not 0.
    """
    n = counts(plan)
    parts = [f"{n['create']} to create"]
    if n["submit"]:
        parts.append(f"{n['submit']} to submit")
    parts.append(f"{n['update']} to update ({n['audited_update']} audited)")
    if n["adopt"]:
        parts.append(f"{n['adopt']} to adopt")
    parts.append(f"{n['wait']} waiting")
    parts.append(f"{n['blocked']} blocked")
    if n["manual"]:
        parts.append(f"{n['manual']} manual")
    tail = f"{n['in_sync']} in sync"
    if n["errors"]:
        tail += f", {n['errors']} failed to observe"
    return f"Plan: {', '.join(parts)}; {tail}."


def step_title(step: Step) -> str:
    """`create_account (account/create, audited)` / `wait (account)`."""
    endpoint = ENDPOINTS.get(step.action)
    if step.is_marker or endpoint is None:
        return f"{step.action.value} ({SECTION_TITLES.get(step.section, step.section)})"
    audited = ", audited" if step.audited else ""
    return f"{step.action.value} ({endpoint}{audited})"


def payout_apps(plan: Plan) -> list[AppPlan]:
    """Mini-programs whose plan changes where payouts go."""
    return [app for app in plan.apps if app.payout_change]


def payout_fields(app: AppPlan) -> list[str]:
    seen: list[str] = []
    for step in app.steps:
        for change in step.changes:
            if change.payout and change.field not in seen:
                seen.append(change.field)
    return seen
