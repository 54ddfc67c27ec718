"""Durations as people write them in smartpay.yaml and in flags: `90s`, `10m`, `1h30m`,
`250ms`, or a bare number of seconds.

A neutral module (no engine, no CLI) so that the config can check `apply.wait_timeout` at load,
with file:line:col, instead of `apply --wait` failing later without naming the file or the key.
It reads exactly what `smartpay_apply.engine.waiting.parse_duration` reads.
"""

from __future__ import annotations

import math
import re

from smartpay_apply.errors import UsageError

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
_NUMBER = re.compile(r"\d+(\.\d+)?")
EXAMPLES = "e.g. 90s, 10m, 1h or 1h30m"


class DurationError(UsageError, ValueError):
    """Not a duration. A UsageError for the CLI, a ValueError for pydantic validators."""


def parse_duration(text: str) -> float:
    """'90s', '10m', '1h', '1h30m', '250ms' or a bare number of seconds -> seconds."""
    value = text.strip().lower().replace(" ", "")
    if not value:
        raise DurationError(f"empty duration: use {EXAMPLES}")
    if _NUMBER.fullmatch(value):
        return float(value)
    position = 0
    total = 0.0
    for match in _PART.finditer(value):
        if match.start() != position:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        position = match.end()
    if position != len(value) or position == 0:
        raise DurationError(f"invalid duration {_short(text)!r}: use {EXAMPLES}")
    return total


def check_duration(text: str, low: float, high: float) -> float:
    """`parse_duration`, and a DurationError unless `low` <= seconds <= `high`."""
    seconds = parse_duration(text)
    if not (math.isfinite(seconds) and low <= seconds <= high):
        raise DurationError(
            f"{_short(text)!r} is out of range (allowed: from {format_seconds(low)} "
            f"to {format_seconds(high)})"
        )
    return seconds


def format_seconds(seconds: float) -> str:
    """3600 -> '1h', 90 -> '90s', 720 h -> '720h' (for messages about bounds)."""
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{int(seconds // 3600)}h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{int(seconds // 60)}m"
    return f"{seconds:g}s"


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:40] + "..."
