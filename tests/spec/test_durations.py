"""smartpay_apply/durations.py: what `apply.wait_timeout` may say, checked at config load."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartpay_apply.durations import (
    DurationError,
    check_duration,
    format_seconds,
    parse_duration,
)
from smartpay_apply.errors import UsageError


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90", 90.0),
        ("2.5", 2.5),
        ("90s", 90.0),
        ("10m", 600.0),
        ("1h30m", 5400.0),
        ("250ms", 0.25),
        (" 1H 30M ", 5400.0),
        ("1.5h", 5400.0),
    ],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty duration: use e.g. 90s, 10m, 1h or 1h30m"),
        ("forever", "invalid duration 'forever': use e.g. 90s, 10m, 1h or 1h30m"),
        ("10x", "invalid duration '10x': use e.g. 90s, 10m, 1h or 1h30m"),
        ("1h-5m", "invalid duration '1h-5m': use e.g. 90s, 10m, 1h or 1h30m"),
        ("x" * 50, f"invalid duration '{'x' * 40}...': use e.g. 90s, 10m, 1h or 1h30m"),
    ],
)
def test_not_a_duration(text: str, message: str) -> None:
    with pytest.raises(DurationError) as caught:
        parse_duration(text)
    assert str(caught.value) == message
    assert isinstance(caught.value, UsageError) and isinstance(caught.value, ValueError)


def test_check_duration_range() -> None:
    assert check_duration("30m", 1, 3600) == 1800
    for text in ("0s", "2h", "9" * 400 + "h"):
        with pytest.raises(DurationError) as caught:
            check_duration(text, 1, 3600)
        assert "is out of range (allowed: from 1s to 1h)" in str(caught.value)


@pytest.mark.parametrize(
    ("seconds", "text"), [(1, "1s"), (0.5, "0.5s"), (90, "90s"), (600, "10m"), (2592000, "720h")]
)
def test_format_seconds(seconds: float, text: str) -> None:
    assert format_seconds(seconds) == text


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789.hmsHMS x", max_size=12))
def test_reads_exactly_what_the_engine_reads(text: str) -> None:
    """The engine's parse_duration will move here: same answers on any input."""
    from smartpay_apply.engine.waiting import parse_duration as engine_parse

    try:
        expected: float | None = engine_parse(text)
    except UsageError:
        expected = None
    try:
        got: float | None = parse_duration(text)
    except DurationError:
        got = None
    assert got == expected
