"""The result of an apply run for people: one block per mini-program, then the summary line;
and the error lines that go to stderr."""

from __future__ import annotations

from typing import Any

from smartpay_apply.engine.results import ApplyResult

RESULT_SYMBOLS = {"done": "✓", "in_review": "…", "failed": "✗", "refused": "✋", "interrupted": "⏸"}


def render_result(result: ApplyResult) -> str:
    """The final summary: one block per mini-program (done, in review, failed and why)."""
    lines = ["", "Apply (interrupted):" if result.interrupted else "Apply:"]
    for app in result.apps:
        symbol = RESULT_SYMBOLS.get(app.status.value, "?")
        lines.append(
            f"{symbol} {app.app} (app_id {app.app_id}): {app.status.value.replace('_', ' ')}"
        )
        for step in app.steps:
            where = f" ({step.endpoint})" if step.endpoint else ""
            lines.append(
                f"    {step.action}{where}: {step.result.replace('_', ' ')}"
                + (f" — {step.detail}" if step.detail else "")
            )
        lines.extend(f"    in review: {pending['detail']}" for pending in app.pending)
        lines.extend(f"    note: {note}" for note in _unique(app.notes))
        lines.extend(f"    error: {error}" for error in app.errors)
    counts = result.summary()
    lines.append("")
    lines.append(
        f"Apply {'interrupted' if result.interrupted else 'complete'}: {counts['apps']} mini-program(s): "
        f"{counts['done']} done, {counts['in_review']} in review, {counts['failed']} failed, "
        f"{counts['refused']} refused"
        + (f", {counts['interrupted']} interrupted." if result.interrupted else ".")
    )
    if result.interrupted and not counts["steps"]:
        lines.append("Nothing was changed.")
    return "\n".join(lines) + "\n"


def error_lines(result: ApplyResult) -> list[str]:
    """Why the run failed, for stderr (a pipeline's log shows stderr first): one line per
    distinct reason, naming the mini-programs it stopped — a reason shared by the whole run
    (the payout-threshold refusal) is said once."""
    apps_by_error: dict[str, list[str]] = {}
    for app in result.apps:
        for error in app.errors:
            apps_by_error.setdefault(error, []).append(app.app)
    lines = []
    for error, apps in apps_by_error.items():
        shown = ", ".join(apps[:5]) + (f" and {len(apps) - 5} more" if len(apps) > 5 else "")
        lines.append(f"Error: {shown}: {error}")
    return lines


def _unique(items: list[Any]) -> list[Any]:
    seen: list[Any] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen
