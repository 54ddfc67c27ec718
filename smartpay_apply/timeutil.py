"""Times carry their zone. Baidu's wall-clock strings are Asia/Shanghai (UTC+8, no DST)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
BAIDU_FORMAT = "%Y-%m-%d %H:%M:%S"


def now() -> datetime:
    """The current time, zone-aware (UTC)."""
    return datetime.now(UTC)


def parse_baidu_time(text: str) -> datetime:
    """'2019-01-14 12:45:10' (Beijing time) -> an aware datetime. Also accepts a bare date."""
    text = text.strip()
    if len(text) == 10:
        return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=SHANGHAI)
    return datetime.strptime(text, BAIDU_FORMAT).replace(tzinfo=SHANGHAI)


def format_baidu_time(moment: datetime) -> str:
    """An aware datetime -> Baidu's wall-clock string in Beijing time."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: times must carry their zone")
    return moment.astimezone(SHANGHAI).strftime(BAIDU_FORMAT)


def day_start_timestamp(day: date) -> int:
    """00:00:00 Beijing time of `day` as a 10-digit unix timestamp (orderlist wants these)."""
    return int(datetime(day.year, day.month, day.day, tzinfo=SHANGHAI).timestamp())


# ---------------------------------------------------------------- how times are shown
#
# One format per kind of output, everywhere (lock list, auth status, events list, state show,
# state history): Beijing time with its offset. Text: "2026-11-25 09:00:00 +08:00"; JSON:
# ISO 8601, "2026-11-25T09:00:00+08:00". Seconds precision: nothing a user reads or a pipeline
# compares needs more, and the two formats then name the same instant the same way.

Moment = datetime | float | int | None


def _beijing(moment: datetime | float | int) -> datetime:
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            raise ValueError("naive datetime: times must carry their zone")
        return moment.astimezone(SHANGHAI)
    return datetime.fromtimestamp(moment, SHANGHAI)  # a unix timestamp


def text_time(moment: Moment, missing: str = "-") -> str:
    """A time for a human: Beijing time with its offset, `2026-11-25 09:00:00 +08:00`.

    Accepts an aware datetime or unix seconds; `missing` stands for None.
    """
    if moment is None:
        return missing
    shown = _beijing(moment)
    offset = shown.strftime("%z")
    return f"{shown:%Y-%m-%d %H:%M:%S} {offset[:3]}:{offset[3:]}"


def json_time(moment: Moment) -> str | None:
    """A time for a program: ISO 8601 in Beijing time, `2026-11-25T09:00:00+08:00` (None stays None)."""
    if moment is None:
        return None
    return _beijing(moment).isoformat(timespec="seconds")
