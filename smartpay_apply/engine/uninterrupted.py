"""Units of work that Ctrl-C must not cut in half.

A write to Baidu and its record in the state store, a lock taken in a thread, the release of a
run's locks and the record of its end are each one unit: cancelling the await would leave the
thread or request running and its outcome unknown to the run. These helpers let the unit finish
— however many times the caller is cancelled meanwhile (a second Ctrl-C, SIGTERM after
SIGINT) — and re-raise the cancellation afterwards.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")


async def run_to_end(
    work: Awaitable[T], on_interrupt: Callable[[], None] | None = None
) -> tuple[asyncio.Future[T], bool]:
    """Await `work` to its end; returns it (done: result or exception) and whether the caller
    was cancelled meanwhile (then it is the caller's to re-raise, after using the outcome).

    `on_interrupt` runs once, when the first cancellation arrives while the work is under way
    (to say "finishing ... and recording it" while it still is).
    """
    task: asyncio.Future[T] = asyncio.ensure_future(work)
    interrupted = False
    while not task.done():
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            if task.cancelled():
                raise  # the work itself was cancelled, not only its awaiter
            if not interrupted and on_interrupt is not None and not task.done():
                on_interrupt()
            interrupted = True
        except Exception:  # the work failed: its exception stays on the task
            break
    return task, interrupted


async def uninterrupted(work: Awaitable[T]) -> T:
    """The result of `work`, run to its end even if cancelled meanwhile; then the cancellation."""
    task, interrupted = await run_to_end(work)
    if interrupted:
        _consume(task)
        raise asyncio.CancelledError
    return task.result()


async def cleanup(work: Awaitable[T]) -> T:
    """Run cleanup (releasing locks, recording how a run ended) to its end, absorbing any
    cancellation that arrives meanwhile.

    Why absorb: cleanup runs in `finally` blocks, often while an interruption is already being
    reported (ApplyInterrupted); a further Ctrl-C there must neither cut the cleanup short nor
    replace the report with a bare CancelledError. A cancellation that came before the cleanup
    has been delivered already; one during it is moot, the run is ending.
    """
    task, interrupted = await run_to_end(work)
    if interrupted:
        current = asyncio.current_task()
        while current is not None and current.cancelling():
            current.uncancel()
    return task.result()


def _consume(task: asyncio.Future[Any]) -> None:
    """Mark a finished task's exception as seen (it is reported elsewhere, or moot)."""
    if not task.cancelled():
        task.exception()
