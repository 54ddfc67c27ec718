"""The executor's concurrency slots: a mini-program coming back from a wait goes first.

Why (issue 16): `apply --wait` gives a mini-program's slot up while it waits for an audit
(waiting is no work: `Executor._idle`). With a plain semaphore, taking the slot back meant
queueing behind every mini-program not started yet: of 500 applied at once, an account approved
at once was followed up two seconds later, after the last account had been created. Started
work first finishes each mini-program sooner (fewer half-onboarded ones if the run is
interrupted) and spreads the waits' polls over the run, where they fill the moments a slot's
holder is not sending (its store writes), instead of crowding the first seconds.

Still at most `size` holders at once, and first come, first served within each kind.
"""

from __future__ import annotations

import asyncio
from collections import deque


class Slots:
    """`size` slots, handed over in turn: those coming back (`returning`) before new ones."""

    def __init__(self, size: int) -> None:
        #: Free slots; below zero while a returning holder cancelled in its wait still counts.
        self._free = max(1, size)
        self._back: deque[asyncio.Future[None]] = deque()
        self._new: deque[asyncio.Future[None]] = deque()

    async def acquire(self, *, returning: bool = False) -> None:
        """Take a slot, waiting in turn when none is free.

        `returning`: the caller gave its slot up for a while (a wait) and is still inside the
        block it releases on its way out; cancelled while waiting, it counts as holding the
        slot all the same, so that this release leaves the count as it was. A new caller
        cancelled while waiting holds nothing (a slot handed to it meanwhile is passed on).
        """
        if self._free > 0:
            self._free -= 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        (self._back if returning else self._new).append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            granted = waiter.done() and not waiter.cancelled()
            if returning and not granted:
                self._free -= 1  # owed: the caller's release pays it back
            elif granted and not returning:
                self.release()  # handed a slot, but cancelled before taking it: pass it on
            raise

    def release(self) -> None:
        """Give a slot up: to the first waiter coming back, else to the first new one."""
        if self._free < 0:
            self._free += 1
            return
        for queue in (self._back, self._new):
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    waiter.set_result(None)
                    return
        self._free += 1
