"""Pure CPU work split over two processes: half here, half in a forked child.

Why: `validate` of 2,000 specs is CPU only (reading and checking each file, ~0.45 ms each)
and these machines have two cores; a forked child starts with every module already imported
and the project already read, so it costs a millisecond, not a new interpreter's start-up
(issue 16). The child's half comes back pickled through a pipe.

Only where forking is safe and pays: Linux (fork without exec is unsafe with some system
libraries on macOS), a single thread (a lock another thread holds would stay held in the
child), at least two usable cores, and enough items. `SMARTPAY_READ_PROCESSES=1` turns it off.
The work must be pure (no output, no store, no network): the child's side effects are lost,
and if the child fails in any way its half is simply done again here, where a real error is
raised as it would have been without the child.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: Set to 1 to do everything in one process.
PROCESSES_ENV = "SMARTPAY_READ_PROCESSES"


def can_split(items: int, min_items: int) -> bool:
    """Whether `in_two` would fork for this many items (see the module's docstring)."""
    return (
        items >= max(2, min_items)
        and sys.platform.startswith("linux")
        and os.environ.get(PROCESSES_ENV, "").strip() != "1"
        and threading.active_count() == 1
        and len(os.sched_getaffinity(0)) >= 2
    )


def in_two(
    items: Sequence[T],
    work: Callable[[Sequence[T]], R],
    *,
    min_items: int,
    child_share: float = 0.5,
) -> list[R]:
    """`[work(first part), work(second part)]`, the second part (`child_share` of the items)
    in a forked child when `can_split`; else `[work(items)]`. The parts keep the items' order.

    `child_share` below a half when sending the child's result back costs much: the child
    pickles it and this process unpickles it after its own part.
    """
    if not can_split(len(items), min_items):
        return [work(items)]
    half = len(items) - round(len(items) * child_share)
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child's coverage is not collected
        _child(read_end, write_end, lambda: work(items[half:]))
    os.close(write_end)
    try:
        with os.fdopen(read_end, "rb") as pipe:
            mine = work(items[:half])
            answer = pipe.read()
        _, status = os.waitpid(child, 0)
    except BaseException:
        with contextlib.suppress(OSError):
            os.kill(child, signal.SIGKILL)
            os.waitpid(child, 0)
        raise
    if status != 0 or not answer:
        return [mine, work(items[half:])]  # the child failed: its half is done here
    theirs: R = pickle.loads(answer)
    return [mine, theirs]


def _child(read_end: int, write_end: int, work: Callable[[], object]) -> None:  # pragma: no cover
    """Run `work`, send its pickled result, and leave without running anything of the
    parent's (no atexit handlers, no buffered output flushed twice).

    Without the cyclic collector: the child lives for its half only, and each collection
    would walk (and so copy, page by page) the objects it shares with the parent.
    """
    gc.disable()
    code = 1
    try:
        os.close(read_end)
        data = pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(data)
        code = 0
    finally:
        os._exit(code)
