"""Pure CPU work done in a forked child: half of it (`in_two`), or all of it streamed (`Ahead`).

Why: `validate` of 2,000 specs is CPU only (reading and checking each file, ~0.45 ms each)
and these machines have two cores; a forked child starts with every module already imported
and the project already read, so it costs a millisecond, not a new interpreter's start-up
(issue 16). The child's half comes back pickled through a pipe. `plan` has its whole project
read by a child while it starts its client, and takes each spec as it comes (`Ahead`).

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
import io
import itertools
import os
import pickle
import signal
import struct
import sys
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any, BinaryIO, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: Set to 1 to do everything in one process.
PROCESSES_ENV = "SMARTPAY_READ_PROCESSES"


def can_split(items: int, min_items: int) -> bool:
    """Whether `in_two` would fork for this many items (see the module's docstring)."""
    return items >= max(2, min_items) and can_fork()


def can_fork() -> bool:
    """Whether forking is safe and can pay here (see the module's docstring)."""
    return (
        sys.platform.startswith("linux")
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
    """Run `work` and send its pickled result (see `_in_child`)."""

    def send(pipe: BinaryIO) -> None:
        pipe.write(pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL))

    _in_child(read_end, write_end, send)


def _in_child(
    read_end: int, write_end: int, send: Callable[[BinaryIO], None]
) -> None:  # pragma: no cover - runs in the child
    """Write what `send` writes to the pipe, and leave without running anything of the
    parent's (no atexit handlers, no buffered output flushed twice).

    Without the cyclic collector: the child lives for its work only, and each collection
    would walk (and so copy, page by page) the objects it shares with the parent. Ctrl-C or
    SIGTERM ends the child at once: the parent sees its pipe end and does the work itself.
    """
    gc.disable()
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    code = 1
    try:
        os.close(read_end)
        with os.fdopen(write_end, "wb") as pipe:
            send(pipe)
        code = 0
    finally:
        os._exit(code)


class Ahead(Generic[T]):
    """The items of `produce()` made ahead in a forked child and read here as they come.

    Why: `plan` observes each mini-program as soon as its spec is read, and reading 1,000
    spec files is ~0.3-0.4 s of CPU on the event loop's thread, the first requests' answers
    waiting behind it (issue 16). Forked before the network commands' imports, the child
    reads while this process imports and starts; each item costs this process an unpickling
    (~0.07 ms a spec) instead of the reading.

    Only where `can_fork` allows (else `produce()` runs here as the items are asked for).
    The same items in the same order as without the child, and the same exception at their
    end: the child's is sent back pickled; one that cannot be is raised by running
    `produce()` here, as is everything left when the child fails in any way (the items
    already received are skipped). `produce` must be pure, as `in_two`'s `work`.
    Use as a context manager around the event loop that consumes it: leaving reaps the child.
    """

    def __init__(self, produce: Callable[[], Iterator[T]], *, whole: bool = False) -> None:
        """`whole`: the child makes every item before it sends the first, for a caller that
        takes them all at once (`collect`) after work of its own: the pipe's room then never
        holds the child back while this process is busy elsewhere."""
        self._produce = produce
        self._whole = whole
        self._pid: int | None = None
        self._read_end = -1
        if can_fork():
            self._fork()

    def _fork(self) -> None:
        import fcntl

        read_end, write_end = os.pipe()
        with contextlib.suppress(OSError):  # how far ahead the child runs (see _PIPE_SIZE)
            fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, _PIPE_SIZE)
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child's coverage is not collected
            _stream_child(read_end, write_end, self._produce, whole=self._whole)
        os.close(write_end)
        self._pid, self._read_end = pid, read_end

    @property
    def forked(self) -> bool:
        """Whether the items are being made in a child."""
        return self._pid is not None

    def __enter__(self) -> Ahead[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self._reap(kill=True)

    async def items(self) -> AsyncIterator[T]:
        """Every item, the event loop free between them; raises what `produce()` raises."""
        import asyncio

        received = 0
        if self._pid is not None:
            unpickle = _StreamUnpickler()
            async for kind, payload in self._frames():
                if kind == _ITEM:
                    received += 1
                    yield unpickle(payload)
                elif self._ended(kind, payload):
                    return
            self._reap(kill=True)  # the child failed, or its error could not be sent whole
        for index, item in enumerate(self._produce()):
            if index >= received:
                yield item
                await asyncio.sleep(0)  # answers that arrived meanwhile are handled now

    def collect(self) -> list[T]:
        """Every item, waited for here (no event loop: a command that needs all of them before
        it starts, and imports what it needs meanwhile); raises what `produce()` raises."""
        received: list[T] = []
        if self._pid is not None:
            unpickle = _StreamUnpickler()
            with os.fdopen(self._read_end, "rb") as pipe:
                self._read_end = -1
                for kind, payload in _frames_of(pipe):
                    if kind == _ITEM:
                        received.append(unpickle(payload))
                    elif self._ended(kind, payload):
                        return received
            self._reap(kill=True)  # the child failed, or its error could not be sent whole
        return received + list(itertools.islice(self._produce(), len(received), None))

    def _ended(self, kind: bytes, payload: bytes) -> bool:
        """After the child's last frame: True at its end; its error raised; False when the
        error could not be sent whole (then `produce()` here raises the real one)."""
        error = _unpickled_error(payload) if kind == _RAISED else None
        if kind == _DONE or error is not None:
            self._reap(kill=False)
        if error is not None:
            raise error
        return kind == _DONE

    async def _frames(self) -> AsyncIterator[tuple[bytes, bytes]]:
        """The child's frames (kind, payload) up to its last one, or until its pipe ends."""
        import asyncio

        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=_PIPE_SIZE // 4, loop=loop)  # read ahead little
        pipe = os.fdopen(self._read_end, "rb", buffering=0)
        self._read_end = -1  # the transport closes it
        transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader, loop=loop), pipe
        )
        try:
            while True:
                try:
                    kind, size = _HEAD.unpack(await reader.readexactly(_HEAD.size))
                    payload = await reader.readexactly(size)
                except asyncio.IncompleteReadError:
                    return
                yield kind, payload
                if kind != _ITEM:
                    return
                await asyncio.sleep(0)  # answers that arrived meanwhile are handled now
        finally:
            transport.close()

    def _reap(self, *, kill: bool) -> None:
        """Wait for the child (killed first with `kill`); close the pipe if still open."""
        if self._read_end >= 0:
            os.close(self._read_end)
            self._read_end = -1
        if self._pid is None:
            return
        pid, self._pid = self._pid, None
        if kill:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


#: The pipe's capacity: ~100 specs (~2.5 KB pickled each). The child stays about that far
#: ahead (plus what the event loop has read and not yet taken) and no further: its writes
#: wait. So its CPU is spread over the run at the pace the loop takes specs, not spent at
#: once while the first answers come in and three processes want the two cores (this one, the
#: child, a local sandbox); the first wave's specs still wait ready. Measured (interleaved,
#: load 0.9-1.5): the first 200 requests of a plan of 1,000 took 0.39-0.47 s, 0.39-0.55 s
#: with a 1 MiB pipe the child filled at full speed (ideal 0.31 s).
_PIPE_SIZE = 1 << 18
_HEAD = struct.Struct("<cI")  # a frame: its kind, its payload's length
_ITEM, _RAISED, _DONE = b"i", b"r", b"d"


class _StreamUnpickler:
    """Unpickles the child's items with one memo across them, as `_StreamPickler` pickled
    them: a class, a field name or a shared value is sent once, then referred to (a spec
    pickles to about half the bytes and unpickles ~30% faster)."""

    def __init__(self) -> None:
        self._frame = io.BytesIO()
        self._unpickler = pickle.Unpickler(self)  # reads through `read`/`readline` below

    def __call__(self, payload: bytes) -> Any:
        self._frame = io.BytesIO(payload)
        return self._unpickler.load()

    def read(self, size: int = -1) -> bytes:
        return self._frame.read(size)

    def readinto(self, buffer: bytearray | memoryview) -> int:
        return self._frame.readinto(buffer)

    def readline(self) -> bytes:
        return self._frame.readline()


class _StreamPickler:
    """Pickles each item into a frame of its own, with one memo across them (see
    `_StreamUnpickler`). The memo keeps every item pickled alive: the child reads a project
    once, and holds its specs anyway."""

    def __init__(self) -> None:
        self._buffer = io.BytesIO()
        self._pickler = pickle.Pickler(self._buffer, protocol=pickle.HIGHEST_PROTOCOL)

    def __call__(self, item: object) -> bytes:
        self._buffer.seek(0)
        self._buffer.truncate()
        self._pickler.dump(item)
        return self._buffer.getvalue()


def _frames_of(pipe: BinaryIO) -> Iterator[tuple[bytes, bytes]]:
    """The frames (kind, payload) read from `pipe`, waiting for each, up to the last one or
    until the pipe ends."""
    while True:
        head = pipe.read(_HEAD.size)
        if len(head) < _HEAD.size:
            return
        kind, size = _HEAD.unpack(head)
        payload = pipe.read(size)
        if len(payload) < size:
            return
        yield kind, payload
        if kind != _ITEM:
            return


def _unpickled_error(payload: bytes) -> BaseException | None:
    """The child's exception, or None when it could not be sent whole."""
    if not payload:
        return None
    try:
        error = pickle.loads(payload)
    except Exception:  # any failure: produce() run here raises the real one
        return None
    return error if isinstance(error, BaseException) else None


def _stream_child(
    read_end: int, write_end: int, produce: Callable[[], Iterator[object]], *, whole: bool
) -> None:  # pragma: no cover - runs in the child
    """Send the items of `produce()` (see `_in_child`)."""
    _in_child(
        read_end,
        write_end,
        lambda pipe: _send_all(pipe, _made_first(produce) if whole else produce),
    )


def _send_all(
    pipe: BinaryIO, produce: Callable[[], Iterator[object]]
) -> None:  # pragma: no cover - runs in the child
    """Each item, then the end or `produce()`'s exception. An item that cannot be pickled
    raises here, before its frame: the child fails, and the parent makes the rest itself.
    A write waits while the pipe is full: the child keeps `_PIPE_SIZE` ahead, no more."""
    items: Iterator[object] | None = None
    pickled = _StreamPickler()
    while True:
        try:
            items = iter(produce()) if items is None else items
            item = next(items)
        except StopIteration:
            _send(pipe, _DONE, b"")
            return
        except Exception as error:  # produce()'s own: the parent raises it
            _send(pipe, _RAISED, _pickled_error(error))
            return
        _send(pipe, _ITEM, pickled(item))


def _made_first(
    produce: Callable[[], Iterator[object]],
) -> Callable[[], Iterator[object]]:  # pragma: no cover - runs in the child
    """`produce` run to its end now; what it made (and how it ended) handed out again after."""
    made: list[object] = []
    failure: Exception | None = None
    try:
        made.extend(produce())
    except Exception as error:
        failure = error

    def again() -> Iterator[object]:
        yield from made
        if failure is not None:
            raise failure

    return again


def _pickled_error(error: BaseException) -> bytes:  # pragma: no cover - runs in the child
    """The exception pickled, or nothing when it cannot be pickled and unpickled whole."""
    try:
        data = pickle.dumps(error, protocol=pickle.HIGHEST_PROTOCOL)
        again = pickle.loads(data)
    except Exception:
        return b""
    return data if type(again) is type(error) and str(again) == str(error) else b""


def _send(pipe: BinaryIO, kind: bytes, payload: bytes) -> None:  # pragma: no cover - child
    """One frame, flushed at once: the parent takes each item as soon as it is made."""
    pipe.write(_HEAD.pack(kind, len(payload)))
    pipe.write(payload)
    pipe.flush()
