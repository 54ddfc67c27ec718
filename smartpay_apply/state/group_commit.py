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

The batches run on a worker thread of the group's own (a one-thread executor: the interpreter
waits for it at exit, so a batch under way is finished), which posts the outcomes straight back
to the loop: one wake-up per batch, not the three loop turns of a chained executor future.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
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


#: A call and how it ended: (call, True, result) or (call, False, exception).
_Outcome = tuple[_Call, bool, Any]


class GroupCommit:
    """The batches of one store for one event loop: one at a time, the next queued meanwhile."""

    def __init__(self, batch: Callable[[], AbstractContextManager[None]]) -> None:
        self._batch = batch
        self._queue: list[_Call] = []
        self._busy = False
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="smartpay-store")

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
            self._worker.submit(self._run, loop, calls)
        except RuntimeError as error:  # the interpreter is shutting down: nothing can run
            self._busy = False
            for call in calls:
                call.future.set_exception(error)

    def _finished(self, loop: asyncio.AbstractEventLoop, outcomes: list[_Outcome]) -> None:
        """On the loop: hand each call its outcome, then start the next batch."""
        for call, ok, value in outcomes:
            if call.future.done():  # its awaiter was cancelled meanwhile
                continue
            if ok:
                call.future.set_result(value)
            else:
                call.future.set_exception(value)
        self._start(loop)

    def _run(self, loop: asyncio.AbstractEventLoop, calls: list[_Call]) -> None:
        """In the worker thread: the batch, its outcomes posted straight to the loop (one
        wake-up; the worker is this group's own, so the interpreter waits for it at exit)."""
        try:
            ran = self._outcomes(calls)
            outcomes = [(call, ok, value) for call, (ok, value) in zip(calls, ran, strict=True)]
        except BaseException as error:  # never leave an awaiter without an answer
            outcomes = [(call, False, error) for call in calls]
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody awaits these
            loop.call_soon_threadsafe(self._finished, loop, outcomes)

    def _outcomes(self, calls: list[_Call]) -> list[tuple[bool, Any]]:
        """The calls in one transaction; one by one if it did not commit."""
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
