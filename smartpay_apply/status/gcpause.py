"""Reading a fleet without the cyclic garbage collector running through it.

Why: a fleet of 5,000 mini-programs is read into ~100,000 small dicts, lists and records
(observation summaries parsed from JSON, submissions, events, rows). None of them form a
reference cycle, so reference counting frees them all; but allocating that many containers
triggers the cyclic collector dozens of times, and each full pass walks the whole heap of the
process (a server's is large). Measured in bench/bench_status.py: reading the observations
took 50-72 ms with the collector paused and 67-207 ms with it running. The pause is process
wide and nests (concurrent requests of the page): the collector runs again when the last
pause ends, and only if it was enabled before.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """The block runs with the cyclic garbage collector paused (see the module docstring)."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
