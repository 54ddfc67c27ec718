"""Times in the store: BIGINT microseconds since the Unix epoch (UTC), exact on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_SECOND_US = 1_000_000


def to_us(moment: datetime) -> int:
    """An aware datetime -> exact microseconds since the epoch."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: times must carry their zone")
    return (moment - _EPOCH) // _US


def from_us(value: int, zone: Any = UTC) -> datetime:
    """Microseconds since the epoch -> an aware datetime in `zone`."""
    moment = _EPOCH + timedelta(microseconds=value)
    return moment if zone is UTC else moment.astimezone(zone)


def maybe_from_us(value: int | None, zone: Any = UTC) -> datetime | None:
    return None if value is None else from_us(int(value), zone)


def now_us() -> int:
    """This process's clock, as stored (the backend's clock decides lock expiry instead)."""
    return to_us(datetime.now(UTC))
