"""Client-wide pacing: a requests-per-second limiter and the retry backoff.

Both are tiny, but they are the reason a run of 500 mini-programs does not trip Baidu's call
limits, so they live apart from the wire code and are easy to read.
"""

from __future__ import annotations

import asyncio
import random
import time


class RateLimiter:
    """Spaces request starts at least 1/rps seconds apart (no bursts), shared by all apps."""

    def __init__(self, rps: float) -> None:
        if rps <= 0:
            raise ValueError("rps must be positive")
        self._interval = 1.0 / rps
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        """Wait for the next free slot."""
        async with self._lock:
            now = time.monotonic()
            wait = self._next - now
            self._next = max(now, self._next) + self._interval
        if wait > 0:
            await asyncio.sleep(wait)


def backoff_delay(attempt: int, base: float, cap: float = 10.0) -> float:
    """Exponential backoff with full jitter: uniform(0, min(cap, base * 2**attempt)).

    Full jitter keeps many retrying clients from hammering Baidu in lock-step.
    """
    return random.uniform(0.0, min(cap, base * (2**attempt)))
