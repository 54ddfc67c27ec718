"""Renderer behaviour a reader relies on: no secrets, escaping, size limit, colour, JSON keys."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from smartpay_apply.engine.decide import decide
from smartpay_apply.engine.observe import Observed
from smartpay_apply.engine.steps import Plan
from smartpay_apply.render import render_json, render_markdown, render_text
from smartpay_apply.render.markdown import escape
from tests.engine.factory import (
    FINGERPRINTS,
    OTHER_BANK_CARD,
    SECRETS,
    make_spec,
    onboarded,
    remote_service,
)
from tests.render.example import example_plan

ALL = (render_text, render_markdown, render_json)


def test_no_secret_in_any_format() -> None:
    plan = example_plan()
    for render in ALL:
        out = render(plan)
        for secret in SECRETS:
            assert secret not in out, (render.__name__, secret)
        # the masked tail a reviewer needs is there (markdown escapes the stars)
        assert ("\\*\\*\\*\\*6543" if render is render_markdown else "****6543") in out


def test_markdown_escapes_table_breakers_html_and_mentions() -> None:
    nasty = "A|B <script>alert(1)</script> `code` @everyone & *bold* [link](x)"
    plan = Plan(
        apps=(
            decide(
                make_spec(),
                onboarded(payment_service=remote_service(open_status=3, fail_reason=nasty)),
                FINGERPRINTS,
            ),
        )
    )
    out = render_markdown(plan)
    assert "<script>" not in out and "@everyone" not in out and "`code`" not in out
    assert escape(nasty) in out
    assert escape(nasty) == (
        "A\\|B &lt;script&gt;alert(1)&lt;/script&gt; &#96;code&#96; &#64;everyone &amp; "
        "\\*bold\\* \\[link\\](x)"
    )
    # a table row is one line: a newline in a value must not end it
    assert "\n" not in escape("line one\nline two | cell")


def test_markdown_stays_under_the_limit_and_says_it_was_cut() -> None:
    apps = tuple(
        decide(make_spec(f"shop-{n:04d}", 10_000 + n), Observed(), FINGERPRINTS)
        for n in range(1000)
    )
    out = render_markdown(Plan(apps=apps))
    assert len(out) <= 60_000
    assert "Cut at 60,000 characters" in out
    assert "shop-0000" in out
    assert "not shown in the table" in out
    middle = render_markdown(Plan(apps=apps[:100]))  # the table fits, not every detail
    assert len(middle) <= 60_000
    assert middle.count("| shop-") == 100 and "not shown in detail" in middle
    assert middle.count("<details>") == middle.count("</details>") < 100
    small = render_markdown(Plan(apps=apps[:2]))
    assert "Cut at" not in small and small.count("<details>") == 2


def test_text_colour_only_when_asked() -> None:
    plan = example_plan()
    assert "\x1b[" not in render_text(plan)
    coloured = render_text(plan, color=True)
    assert "\x1b[" in coloured
    assert "!! PAYOUT CHANGE" in coloured


def test_text_marks_payout_changes_loudly_and_ends_with_the_summary() -> None:
    plan = Plan(
        apps=(
            decide(
                make_spec(),
                onboarded(payment_service=remote_service(bank_card=OTHER_BANK_CARD)),
                FINGERPRINTS,
            ),
        )
    )
    lines = render_text(plan).splitlines()
    assert "      ~ bank_card: ****3445 -> ****6543  !! PAYOUT CHANGE" in lines
    assert (
        lines[-1] == "Plan: 0 to create, 1 to update (1 audited), 0 waiting, 0 blocked; 0 in sync."
    )


def test_text_says_no_changes_when_in_sync() -> None:
    out = render_text(Plan(apps=(decide(make_spec(), onboarded(), FINGERPRINTS),)))
    assert out.splitlines()[-2:] == [
        "No changes: every mini-program matches its spec.",
        "Plan: 0 to create, 0 to update (0 audited), 0 waiting, 0 blocked; 1 in sync.",
    ]


def test_json_contract_keys() -> None:
    document = json.loads(render_json(example_plan()))
    assert document["format_version"] == 1
    app = next(a for a in document["apps"] if a["app"] == "moving-bank")
    assert app["app_id"] == 1003
    step = app["steps"][1]
    assert (step["action"], step["audited"]) == ("update_bind_service", True)
    assert step["changes"][0] == {
        "field": "bank_card",
        "old": "****3445",
        "new": "****6543",
        "sensitive": True,
        "payout": True,
    }
    summary = document["summary"]
    assert summary["errors"] == 1 and summary["in_sync"] == 2
    assert summary["text"].startswith("Plan: 3 to create")


@given(st.text(max_size=200))
def test_escaped_text_never_carries_markup(text: str) -> None:
    out = escape(text)
    assert (
        "\n" not in out and "<" not in out and ">" not in out and "@" not in out and "`" not in out
    )
    assert "|" not in out.replace("\\|", "")
