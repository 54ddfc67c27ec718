"""The plan for a terminal: one block per mini-program, Terraform-like symbols, a summary line.

In-sync mini-programs get one line each (their section statuses), so a project of a thousand
shows what changes without scrolling through what does not. Colour only when asked (the CLI
asks on a TTY without NO_COLOR); the words carry the meaning without it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from smartpay_apply.engine.steps import AppPlan, Change, Plan, Step
from smartpay_apply.render.summary import (
    ERROR_SYMBOL,
    LEGEND,
    PAYOUT_WARNING,
    SECTION_TITLES,
    change_symbol,
    payout_apps,
    payout_fields,
    show,
    step_symbol,
    step_title,
    summary_line,
)

Style = Callable[..., str]

COLOURS: dict[str, dict[str, Any]] = {
    "+": {"fg": "green"},
    "~": {"fg": "yellow"},
    "-": {"fg": "red"},
    "=": {"fg": "blue"},
    "…": {"fg": "cyan"},
    "✗": {"fg": "red", "bold": True},
    "✋": {"fg": "magenta", "bold": True},
}


def render_text(plan: Plan, *, color: bool = False) -> str:
    """The whole plan as text, ending with the summary line (and a newline)."""
    paint = _painter(color)
    lines: list[str] = []
    if plan.pending:
        lines += _legend(plan)
    for app in plan.apps:
        if app.error:
            lines += _error_block(app, paint)
        elif app.pending:
            if lines and lines[-1] != "":
                lines.append("")
            lines += _app_block(app, paint)
        else:  # in sync: one line (and its notes), so a thousand quiet apps stay readable
            lines.append(
                f"{paint('=', fg='blue')} {paint(app.app, bold=True)} (app_id {app.app_id}): in sync · {_statuses(app)}"
            )
            lines += [f"    note: {note}" for note in app.notes]
    if lines and lines[-1] != "":
        lines.append("")
    for app in payout_apps(plan):
        lines.append(
            paint(
                f"{PAYOUT_WARNING}: {app.app} changes where payouts go "
                f"({', '.join(payout_fields(app))}); apply asks for explicit consent.",
                fg="red",
                bold=True,
            )
        )
    if not plan.pending and not plan.errors:
        lines.append("No changes: every mini-program matches its spec.")
    lines.append(paint(summary_line(plan), bold=True))
    return "\n".join(lines) + "\n"


def _painter(color: bool) -> Style:
    def paint(text: str, **style: Any) -> str:
        return click.style(text, **style) if color else text

    return paint


def _legend(plan: Plan) -> list[str]:
    used: set[str] = set()
    for app in plan.apps:
        for step in app.steps:
            used.update(step_symbol(step).strip())
    if plan.errors:
        used.add(ERROR_SYMBOL)
    shown = [f"  {symbol} {meaning}" for symbol, meaning in LEGEND.items() if symbol in used]
    return ["Symbols:", *shown, ""]


def _statuses(app: AppPlan) -> str:
    return "; ".join(
        f"{SECTION_TITLES.get(name, name)} {status}" for name, status in app.status.items()
    )


def _app_block(app: AppPlan, paint: Style) -> list[str]:
    lines = [f"{paint(app.app, bold=True)} (app_id {app.app_id})"]
    width = max((len(SECTION_TITLES.get(name, name)) for name in app.status), default=0)
    for name, status in app.status.items():
        lines.append(f"  {SECTION_TITLES.get(name, name):<{width}}  {status}")
    if app.steps:
        lines.append("")
    for step in app.steps:
        lines += _step_lines(step, paint)
    for note in app.notes:
        lines.append(f"  note: {note}")
    lines.append("")
    return lines


def _step_lines(step: Step, paint: Style) -> list[str]:
    symbol = step_symbol(step)
    head = f"  {paint(symbol, **COLOURS.get(symbol[0], {}))} {step_title(step)}"
    if step.reason:
        head += f": {step.reason}"
    lines = [head]
    lines += [_change_line(change, paint) for change in step.changes]
    if step.note:
        lines.append(f"      note: {step.note}")
    return lines


def _change_line(change: Change, paint: Style) -> str:
    symbol = change_symbol(change)
    mark = paint(symbol, **COLOURS.get(symbol, {}))
    if symbol == "+":
        line = f"      {mark} {change.field} = {show(change.field, change.new, change.sensitive)}"
    else:
        line = f"      {mark} {change.field}: {show(change.field, change.old, change.sensitive)} -> {show(change.field, change.new, change.sensitive)}"
    if change.payout:
        line += "  " + paint(PAYOUT_WARNING, fg="red", bold=True)
    return line


def _error_block(app: AppPlan, paint: Style) -> list[str]:
    return [
        f"{paint(app.app, bold=True)} (app_id {app.app_id})",
        f"  {paint(ERROR_SYMBOL, fg='red', bold=True)} error: could not observe this mini-program: {app.error}",
        "",
    ]
