"""Group commit: the store calls an event loop makes meanwhile, run in one transaction.

Why (issue 16): `apply --wait` made ~16 store calls per mini-program — submissions, run-history
steps, outcomes, observations, reads for re-plans, its lock — each a hop to a worker thread and
a SQLite transaction of its own with a commit that waits for the disk (synchronous=FULL). With
32 mini-programs at work the hops alone cost about 0.25 ms of CPU each and the commits queued
behind the store's one connection. Here the calls an event loop makes while a batch is under
way wait for it and then go together: one hop, one transaction, one commit for all of them.

What each caller still gets is what it got from its own transaction:
- its call has *committed* when its await returns (a batch's results are handed out only after
  the commit), so "recorded before the next write is sent" holds as before;
- a call that fails is undone alone (each call's transaction is a savepoint in the batch) and
  its error is its own; the others of the batch commit;
- a batch that does not commit (the disk is full, the database is locked past its timeout, its
  transaction was lost) happened not at all: each of its calls is then run again on its own,
  exactly as without batching, and gets that outcome. Nothing is lost, nothing half-written.
- a call whose awaiter was cancelled before its batch started is not run (as with
  `asyncio.to_thread`, whose work is dropped if cancelled before a thread picks it up); once
  its batch has started it runs to its end.

Only backends that serialise every call anyway batch (`Backend.batches`: SQLite, one connection
behind a mutex, one writer at a time). A call alone in its batch runs as it always did.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class _Call:
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    future: asyncio.Future[Any]

    def run(self) -> tuple[bool, Any]:
        """(True, result) or (False, the exception): a call's outcome, whatever it is."""
        try:
            return True, self.fn(*self.args, **self.kwargs)
        except Exception as error:
            return False, error


class GroupCommit:
    """The batches of one store for one event loop: one at a time, the next queued meanwhile."""

    def __init__(self, batch: Callable[[], AbstractContextManager[None]]) -> None:
        self._batch = batch
        self._queue: list[_Call] = []
        self._busy = False

    async def call(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """`fn(*args, **kwargs)` in the next batch, once that batch has committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.append(_Call(fn, args, kwargs, future))
        if not self._busy:
            self._busy = True
            loop.call_soon(self._start, loop)  # calls made in this same turn join the batch
        return await future

    def _start(self, loop: asyncio.AbstractEventLoop) -> None:
        calls = [call for call in self._queue if not call.future.done()]
        self._queue.clear()
        if not calls:
            self._busy = False
            return
        try:
            work = loop.run_in_executor(None, self._run, calls)
        except RuntimeError as error:  # the loop's executor is shut down: nothing can run
            self._busy = False
            for call in calls:
                call.future.set_exception(error)
            return
        work.add_done_callback(lambda done: self._finished(loop, calls, done))

    def _finished(
        self, loop: asyncio.AbstractEventLoop, calls: list[_Call], done: asyncio.Future[Any]
    ) -> None:
        if done.cancelled():  # the loop is shutting down: nobody awaits these any more
            outcomes: list[tuple[bool, Any]] = [(False, asyncio.CancelledError())] * len(calls)
        elif done.exception() is not None:
            outcomes = [(False, done.exception())] * len(calls)
        else:
            outcomes = done.result()
        for call, (ok, value) in zip(calls, outcomes, strict=True):
            if call.future.done():  # its awaiter was cancelled meanwhile
                continue
            if ok:
                call.future.set_result(value)
            else:
                call.future.set_exception(value)
        self._start(loop)

    def _run(self, calls: list[_Call]) -> list[tuple[bool, Any]]:
        """In a worker thread: the calls in one transaction; one by one if it did not commit."""
        if len(calls) == 1:
            return [calls[0].run()]
        from smartpay_apply.errors import StateError

        try:
            with self._batch():
                outcomes = [call.run() for call in calls]
        except StateError:
            return [call.run() for call in calls]
        return outcomes


class GroupCommits:
    """A store's GroupCommit per event loop (a loop's futures are resolved only on it; a loop
    that is gone takes its group along)."""

    def __init__(self, batch: Callable[[], AbstractContextManager[None]]) -> None:
        self._batch = batch
        self._groups: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, GroupCommit] = (
            weakref.WeakKeyDictionary()
        )
        self._guard = threading.Lock()  # loops in several threads may share the store

    async def call(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """`fn(*args, **kwargs)` in the running loop's next batch (`GroupCommit.call`)."""
        loop = asyncio.get_running_loop()
        with self._guard:
            group = self._groups.get(loop)
            if group is None:
                group = self._groups[loop] = GroupCommit(self._batch)
        return await group.call(fn, *args, **kwargs)
