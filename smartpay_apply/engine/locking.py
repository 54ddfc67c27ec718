"""The locks of one run's mini-programs: taken together, renewed together, always released.

Why a class of its own: the run must be able to release every lock it holds at any moment —
after a failure, or when Ctrl-C/SIGTERM arrives while some locks are still being taken in
threads. `RunLocks` keeps each acquisition as a task that runs to its end (a cancelled await
would leave the thread holding a lock the run does not know of), and `release` first waits for
those, then releases a snapshot of what is held. One renewal task serves all held locks (a
thread per lock cost a thread per mini-program).

A lock whose holder is a dead process on this very host (a run killed with SIGKILL) is taken
over at once instead of waiting for its expiry: the process is certainly gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from smartpay_apply.engine.uninterrupted import cleanup, uninterrupted
from smartpay_apply.state.locks import LockInfo, held_message

if TYPE_CHECKING:
    from smartpay_apply.state.base import StateStore
    from smartpay_apply.state.locks import LockOwner

log = logging.getLogger(__name__)

#: Pauses between attempts when waiting for a lock (--lock-timeout): from FIRST_PAUSE, doubling.
FIRST_PAUSE = 0.02
MAX_PAUSE = 0.5


class RunLocks:
    """Take, renew and release the per-mini-program locks of one run (`owner`)."""

    def __init__(self, store: StateStore, owner: LockOwner, *, ttl: float) -> None:
        self._store = store
        self._owner = owner
        self._ttl = ttl
        self._held: set[int] = set()
        self._guard = threading.Lock()  # _held is filled from acquisition threads
        self._acquiring: set[asyncio.Task[bool]] = set()
        self._renewer: asyncio.Task[None] | None = None
        self.lost: set[int] = set()  # renewal found the lock taken by another run

    @property
    def held(self) -> frozenset[int]:
        with self._guard:
            return frozenset(self._held)

    async def take(self, app_ids: Sequence[int], *, wait: float) -> dict[int, str]:
        """Take every mini-program's lock (waiting up to `wait` s each); app_id -> why not."""
        refused: dict[int, str] = {}
        await asyncio.gather(*(self._take_one(app_id, wait, refused) for app_id in app_ids))
        if self._held and self._renewer is None:
            self._renewer = asyncio.ensure_future(self._renew_forever())
        return refused

    async def release(self) -> None:
        """Release everything held — also locks whose acquisition was still under way — to the
        end, whatever signals come meanwhile (engine/uninterrupted.cleanup)."""
        await cleanup(self._release())

    async def _release(self) -> None:
        if self._renewer is not None:
            self._renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewer
            self._renewer = None
        if self._acquiring:
            await asyncio.wait(set(self._acquiring))
        store = self._store
        await asyncio.gather(
            *(store.call(self._release_one, app_id) for app_id in sorted(self.held))
        )

    # ------------------------------------------------------------------ taking

    async def _take_one(self, app_id: int, wait: float, refused: dict[int, str]) -> None:
        deadline = time.monotonic() + wait
        pause = FIRST_PAUSE
        takeover_tried = False
        while not await self._acquire(app_id):
            if not takeover_tried and await self._store.call(self._clear_dead_local, app_id):
                takeover_tried = True
                continue
            left = deadline - time.monotonic()
            if left <= 0:
                refused[app_id] = held_message(app_id, await self._store.call(self._holder, app_id))
                return
            await asyncio.sleep(min(pause, left))
            pause = min(pause * 2, MAX_PAUSE)

    async def _acquire(self, app_id: int) -> bool:
        """One attempt, run to its end even if the run is interrupted meanwhile."""
        task = asyncio.ensure_future(self._attempt(app_id))
        self._acquiring.add(task)
        task.add_done_callback(self._acquiring.discard)
        return await uninterrupted(task)

    async def _attempt(self, app_id: int) -> bool:
        """Take the lock; held from the moment the store says so (`release` waits for this)."""
        store = self._store
        taken = await store.call(store.acquire_lock, app_id, self._owner, self._ttl)
        if taken:
            with self._guard:
                self._held.add(app_id)
        return taken

    def _clear_dead_local(self, app_id: int) -> bool:
        """Remove `app_id`'s lock if a process of this host held it and no longer exists."""
        info = self._holder(app_id)
        if info is None or info.expired or info.host != socket.gethostname():
            return False
        try:
            os.kill(info.pid, 0)
        except ProcessLookupError:
            log.warning(
                "taking over the lock of mini-program %s from dead run %s", app_id, info.run_id
            )
            # Release as the dead owner, not force_unlock: if another run took the lock since,
            # this deletes nothing and our next attempt fails cleanly.
            self._store.release_lock(app_id, info.owner)
            return True
        except PermissionError:
            return False  # alive: someone else's process
        return False

    def _holder(self, app_id: int) -> LockInfo | None:
        name = str(app_id)
        return next((info for info in self._store.list_locks() if info.name == name), None)

    # ------------------------------------------------------------------ renewing, releasing

    async def _renew_forever(self) -> None:
        """Renew at a third of the ttl, so two missed renewals still leave the locks held."""
        while True:
            await asyncio.sleep(self._ttl / 3)
            await asyncio.to_thread(self._renew_all)

    def _renew_all(self) -> None:
        for app_id in sorted(self.held - self.lost):
            try:
                if not self._store.renew_lock(app_id, self._owner, self._ttl):
                    self.lost.add(app_id)
                    log.error(
                        "lost the lock of mini-program %s (it expired and was taken by another "
                        "run)",
                        app_id,
                    )
            except Exception as error:  # keep trying: a blip in the store must not kill a run
                log.warning("could not renew the lock of mini-program %s: %s", app_id, error)

    def _release_one(self, app_id: int) -> None:
        try:
            self._store.release_lock(app_id, self._owner)
        except Exception as error:  # a lock left behind expires; never hide the result
            log.warning("could not release the lock of mini-program %s: %s", app_id, error)
        with self._guard:
            self._held.discard(app_id)
