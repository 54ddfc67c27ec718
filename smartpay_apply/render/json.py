"""The plan for pipelines: Plan.to_json (versioned with `format_version`), pretty-printed.

Keys are a public contract (docs/plan.md): per app `app`, `app_id`, `steps[]` with `action`,
`audited`, `changes[]` (`field`, `old`, `new`, `sensitive`), and a top-level `summary`.
"""

from __future__ import annotations

from smartpay_apply.engine.steps import Plan
from smartpay_apply.jsontext import indented
from smartpay_apply.render.summary import summary_line


def render_json(plan: Plan) -> str:
    """The plan as JSON text (UTF-8 kept readable: Chinese is not \\u-escaped)."""
    document = plan.to_json()
    document["summary"] = {**document["summary"], "text": summary_line(plan)}
    return indented(document) + "\n"
