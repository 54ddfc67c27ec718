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
