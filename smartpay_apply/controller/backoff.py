"""Backing off one mini-program that keeps failing: exponential, capped, jittered.

Why per mini-program: one app with a revoked token or a Baidu outage of one endpoint must not
slow the others, nor be retried in a tight loop (a crash loop against Baidu's quota). Why the
jitter: replicas and apps that failed together must not retry together.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    """Delay before the n-th retry: `base` x `factor`^(n-1), at most `cap`, +-`jitter` share."""

    base: float = 5.0
    cap: float = 300.0
    factor: float = 2.0
    jitter: float = 0.2

    def delay(self, failures: int, draw: Callable[[], float] = random.random) -> float:
        """Seconds to wait after `failures` failures in a row (0 after none)."""
        if failures <= 0:
            return 0.0
        raw = min(self.cap, self.base * self.factor ** min(failures - 1, 64))
        spread = 1.0 - self.jitter + 2.0 * self.jitter * draw()
        return min(self.cap, raw * spread)
