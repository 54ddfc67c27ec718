"""The money guard on Plans built from steps.py, durations, backoff and the progress display."""

from __future__ import annotations

import asyncio
import io

import pytest

from smartpay_apply.engine.money_guard import (
    PayoutThresholdError,
    check_threshold,
    exceeds_threshold,
    judge_consent,
    unknown_allowances,
)
from smartpay_apply.engine.steps import Action, AppPlan, Change, Plan, Step
from smartpay_apply.engine.waiting import (
    Backoff,
    format_elapsed,
    parse_duration,
    wait_for,
)
from smartpay_apply.errors import UsageError
from smartpay_apply.render.progress import Progress


def app(name: str, app_id: int, *fields: str) -> AppPlan:
    """An AppPlan whose update changes `fields` (payout ones flagged as decide flags them)."""
    payout = {"bank_card", "bank_account", "bank_name", "bank_branch", "open_province", "open_city"}
    changes = tuple(Change(f, "old", "new", payout=f in payout) for f in fields)
    steps = (Step(Action.UPDATE_BIND_SERVICE, "payment_service", changes),) if changes else ()
    return AppPlan(app=name, app_id=app_id, steps=steps)


def test_payout_change_needs_consent_by_name_or_app_id() -> None:
    plan = Plan(
        apps=(
            app("a", 1, "bank_card"),
            app("b", 2, "open_city", "app_name"),
            app("c", 3, "payment_days"),
        )
    )
    verdict = judge_consent(plan, allowed=["2"])
    assert verdict.consented == ("b",)
    assert list(verdict.refused) == ["a"]
    assert verdict.refused["a"] == (
        "refused: this plan changes where payouts go (bank_card); confirm with --allow-payout-change a"
    )
    assert judge_consent(plan, allowed=["a", "b"]).refused == {}


def test_tty_consent_is_asked_only_for_unnamed_apps() -> None:
    plan = Plan(apps=(app("a", 1, "bank_card"), app("b", 2, "bank_name")))
    asked: list[str] = []

    def ask(change):  # type: ignore[no-untyped-def]
        asked.append(change.app)
        return change.app == "b"

    verdict = judge_consent(plan, allowed=[], ask=ask)
    assert asked == ["a", "b"]
    assert verdict.consented == ("b",) and list(verdict.refused) == ["a"]


@pytest.mark.parametrize(
    ("changing", "managed", "share", "refused"),
    [
        (1, 2, 0.25, False),  # one of two: a per-app consent is enough
        (2, 2, 0.25, False),  # below the minimum count
        (3, 3, 0.25, True),
        (3, 12, 0.25, False),  # exactly the share is allowed
        (4, 12, 0.25, True),
        (4, 12, 0.5, False),
        (3, 100, 0.0, True),  # share 0: any 3 or more is refused
    ],
)
def test_threshold(changing: int, managed: int, share: float, refused: bool) -> None:
    assert exceeds_threshold(changing, managed, share) is refused


def test_threshold_refusal_names_force_and_force_turns_it_into_a_warning() -> None:
    plan = Plan(
        apps=(*tuple(app(f"s{n}", n, "bank_card") for n in range(4)), app("x", 9, "app_name"))
    )
    with pytest.raises(PayoutThresholdError) as caught:
        check_threshold(plan, managed=5, max_share=0.25, force=False)
    message = caught.value.user_message()
    assert message.startswith(
        "refusing to apply: 4 of 5 managed mini-programs (80%) would change where payouts go"
    )
    assert "run again with --force" in message
    warning = check_threshold(plan, managed=5, max_share=0.25, force=True)
    assert warning is not None and warning.startswith("--force: applying although 4 of 5")
    assert check_threshold(plan, managed=40, max_share=0.25, force=False) is None


def test_unknown_allowances_are_reported() -> None:
    plan = Plan(apps=(app("shop", 7, "bank_card"),))
    assert unknown_allowances(plan, ["shop", "7", "shpo"]) == ["shpo"]


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("10m", 600),
        ("1h", 3600),
        ("1h30m", 5400),
        ("250ms", 0.25),
        ("45", 45),
        (" 2m ", 120),
    ],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "ten minutes", "10x", "m10", "1h-5m"])
def test_parse_duration_rejects_nonsense_clearly(text: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_duration(text)
    assert "e.g. 90s, 10m, 1h" in caught.value.user_message()


def test_elapsed_is_shown_like_terraform() -> None:
    assert [format_elapsed(s) for s in (3, 130, 3720)] == ["3s", "2m10s", "1h2m"]


def test_backoff_grows_to_its_ceiling() -> None:
    delays = Backoff(initial=1, factor=2, maximum=5).delays()
    assert [next(delays) for _ in range(5)] == [1, 2, 4, 5, 5]


async def test_wait_polls_until_the_audit_ends_and_says_so_on_a_pipe() -> None:
    answers = iter(["in_review", "in_review", "rejected"])

    async def poll():  # type: ignore[no-untyped-def]
        state = next(answers)
        return state, ("证件模糊" if state == "rejected" else None)

    out = io.StringIO()
    progress = Progress(out, live=False, interval=60)
    loop = asyncio.get_running_loop()
    outcome = await wait_for(
        "1:account",
        "shop",
        "account",
        poll,
        deadline=loop.time() + 1e9,
        backoff=Backoff(initial=0.01, maximum=0.01),
        progress=progress,
    )
    assert (outcome.state, outcome.reason) == ("rejected", "证件模糊")
    lines = out.getvalue().splitlines()
    assert lines[0] == "shop: account: in review [0s elapsed]"
    assert lines[-1].startswith("shop: account: rejected: 证件模糊 [after ")


async def test_wait_gives_up_at_the_deadline() -> None:
    async def poll():  # type: ignore[no-untyped-def]
        return "in_review", None

    out = io.StringIO()
    import time

    outcome = await wait_for(
        "1:payment_service",
        "shop",
        "payment_service",
        poll,
        deadline=time.monotonic() + 0.05,
        backoff=Backoff(initial=0.01, maximum=0.01),
        progress=Progress(out, live=False),
    )
    assert outcome.state == "in_review"
    assert (
        "shop: payment service: still in review, stopped waiting (--wait-timeout)" in out.getvalue()
    )


def test_live_progress_rewrites_one_line() -> None:
    out = io.StringIO()
    progress = Progress(out, live=True)
    progress.start("1:account", "shop: account: in review")
    progress.tick()
    progress.tick()
    assert out.getvalue().count("\r\033[K") == 2
    assert "\n" not in out.getvalue()
    progress.finish("1:account", "shop: account: approved")
    assert out.getvalue().endswith("shop: account: approved [after 0s]\n")
