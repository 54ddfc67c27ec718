"""The plan as a pull-request comment: a summary table, one collapsible section per mini-program.

Every value is escaped (a bank branch with `|` must not break the table, a `<script>` must not
become HTML, an `@name` must not notify anyone), and the comment stays under 60,000 characters
(GitHub refuses more than 65,536), saying so when it was cut.
"""

from __future__ import annotations

import html

from smartpay_apply.engine.steps import AppPlan, Plan, Step
from smartpay_apply.render.summary import (
    ERROR_SYMBOL,
    PAYOUT_WARNING,
    SECTION_TITLES,
    payout_apps,
    payout_fields,
    show,
    step_symbol,
    step_title,
    summary_line,
)

LIMIT = 60_000
_RESERVE = 400  # room for the "cut" note
_BACKSLASHED = "\\`*_[]~#|"


def escape(text: object) -> str:
    """Text safe inside a table cell or a paragraph: no markup, no HTML, no mentions."""
    raw = " ".join(str(text).split())  # newlines would end a table row
    out = []
    for char in raw:
        if char in "&<>":
            out.append(html.escape(char))
        elif char == "`":
            out.append("&#96;")
        elif char == "@":
            out.append("&#64;")
        elif char in _BACKSLASHED:
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


def escape_html(text: object) -> str:
    """Text inside an HTML element (<summary>), where markdown escapes are not processed."""
    return html.escape(" ".join(str(text).split()), quote=True).replace("@", "&#64;")


def render_markdown(plan: Plan, *, limit: int = LIMIT) -> str:
    """The comment text. `limit` (characters) is for tests; the default suits GitHub and GitLab."""
    head = ["### smartpay-apply plan", "", f"**{escape(summary_line(plan))}**", ""]
    for app in payout_apps(plan):
        fields = ", ".join(_code(name) for name in payout_fields(app))
        head.append(
            f"> **{escape(PAYOUT_WARNING)}**: {escape(app.app)} changes where payouts go "
            f"({fields}); apply asks for explicit consent."
        )
        head.append("")
    shown = [app for app in plan.apps if app.pending or app.error]
    quiet_notes = _grouped_notes([app for app in plan.apps if not (app.pending or app.error)])
    quiet = len(plan.apps) - len(shown)
    out = "\n".join(head) + "\n"
    budget = limit - _RESERVE
    if shown:
        table = [
            "| mini-program | app_id | account | developer config | payment service | steps |",
            "|---|---|---|---|---|---|",
        ]
        out += "\n".join(table) + "\n"
    cut = 0
    for index, app in enumerate(shown):
        row = _row(app) + "\n"
        if len(out) + len(row) > budget:
            cut = len(shown) - index
            break
        out += row
    if quiet:
        out += f"\n{quiet} mini-program(s) in sync are not listed.\n"
        for note, count in quiet_notes:
            out += f"- note ({count} of them): {escape(note)}\n"
    details_cut = 0
    if not cut:
        for index, app in enumerate(shown):
            section = "\n" + _details(app)
            if len(out) + len(section) > budget:
                details_cut = len(shown) - index
                break
            out += section
    if cut or details_cut:
        out += (
            f"\n> **Cut at {limit:,} characters**: {cut or details_cut} mini-program(s) not shown "
            f"{'in the table' if cut else 'in detail'}. Run `smartpay-apply plan` (or "
            "`--format json`) for the full plan.\n"
        )
    return out


def _grouped_notes(apps: list[AppPlan]) -> list[tuple[str, int]]:
    """Notes of in-sync mini-programs, each once with how many share it (most common first)."""
    counts: dict[str, int] = {}
    for app in apps:
        for note in app.notes:
            counts[note] = counts.get(note, 0) + 1
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def _code(identifier: str) -> str:
    """Our own identifiers (field, action, endpoint names) as code; they never hold backticks."""
    return f"`{identifier.replace('`', '')}`"


def _row(app: AppPlan) -> str:
    if app.error:
        steps = f"{ERROR_SYMBOL} could not observe"
    else:
        steps = (
            ", ".join(f"{step_symbol(s).strip()} {s.action.value}" for s in app.steps) or "in sync"
        )
    cells = [
        app.app,
        str(app.app_id),
        *(app.status.get(name, "") for name in SECTION_TITLES),
        steps,
    ]
    return "| " + " | ".join(escape(cell) for cell in cells) + " |"


def _details(app: AppPlan) -> str:
    count = f"{len(app.steps)} step(s)" if not app.error else "error"
    lines = [
        "<details>",
        f"<summary>{escape_html(app.app)} ({app.app_id}): {escape_html(count)}</summary>",
        "",
    ]
    if app.error:
        lines.append(
            f"{ERROR_SYMBOL} **error**: could not observe this mini-program: {escape(app.error)}"
        )
        lines.append("")
    for step in app.steps:
        lines += _step(step)
    for note in app.notes:
        lines.append(f"- note: {escape(note)}")
    if app.notes:
        lines.append("")
    lines.append("</details>")
    return "\n".join(lines) + "\n"


def _step(step: Step) -> list[str]:
    title = f"{escape(step_symbol(step).strip())} **{_code(step_title(step))}**"
    if step.reason:
        title += f": {escape(step.reason)}"
    lines = [title, ""]
    if step.note:
        lines += [f"note: {escape(step.note)}", ""]
    if step.changes:
        lines += ["| field | old | new | |", "|---|---|---|---|"]
        for change in step.changes:
            old = (
                ""
                if change.old is None
                else escape(show(change.field, change.old, change.sensitive, quote=False))
            )
            new = escape(show(change.field, change.new, change.sensitive, quote=False))
            mark = f"**{escape(PAYOUT_WARNING)}**" if change.payout else ""
            lines.append(f"| {_code(change.field)} | {old} | {new} | {mark} |")
        lines.append("")
    return lines
