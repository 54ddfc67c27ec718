"""Golden renderings: the example plan in text, markdown and json, stored under golden/.

The files are meant to be read by a person reviewing a change to the renderers; regenerate
them with `UPDATE_GOLDEN=1 pytest tests/render` and read the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from smartpay_apply.render import render_json, render_markdown, render_text
from tests.render.example import example_plan

GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize(
    ("name", "render"),
    [
        ("plan.txt", lambda plan: render_text(plan)),
        ("plan.md", lambda plan: render_markdown(plan)),
        ("plan.json", lambda plan: render_json(plan)),
    ],
)
def test_golden(name: str, render: object) -> None:
    rendered = render(example_plan())  # type: ignore[operator]
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(rendered, encoding="utf-8")
        pytest.skip(f"{name} rewritten: review the diff, then run without UPDATE_GOLDEN")
    assert rendered == path.read_text(encoding="utf-8")
