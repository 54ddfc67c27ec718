"""The sandbox's world as one JSON document, in memory or in a file shared between processes.

Every request runs as one transaction: take the lock (a thread lock, plus an fcntl lock on
`<state>.lock` when file-backed), read the document (re-parsed only when the file changed),
let the handler mutate it, write it back atomically (temp file + rename). So `plan`, `apply`,
`plan` in three CLI processes, or a served sandbox and a test reading the file, see one world.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

STATE_VERSION = 1

State = dict[str, Any]


def empty_state() -> State:
    """A world with no mini-programs, tokens, uploads or calls yet."""
    return {
        "version": STATE_VERSION,
        "apps": {},
        "tokens": {},
        "uploads": [],
        "calls": [],
        "events": [],
        "faults": {},
        "tp": {"tickets": {}, "tp_tokens": {}, "codes": {}, "refresh_tokens": {}, "authorized": []},
        "counter": 0,
    }


class Store:
    """Transactions over the world document; see the module docstring."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._thread_lock = threading.RLock()
        self._memory: State = empty_state()
        self._cache: State | None = None
        self._cache_key: tuple[int, int, int] | None = None

    @contextlib.contextmanager
    def transaction(self, write: bool = True) -> Iterator[State]:
        """The current world, locked; written back unless the block raises (or write=False)."""
        with self._thread_lock:
            if self.path is None:
                # Handlers validate before they mutate, so an error leaves the world as it was.
                yield self._memory
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            lock_path = self.path.with_name(self.path.name + ".lock")
            with open(lock_path, "a+") as lock_file:
                fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX)
                try:
                    state = self._load()
                    try:
                        yield state
                    except BaseException:
                        self._cache = None
                        raise
                    if write:
                        self._save(state)
                finally:
                    fcntl.flock(lock_file.fileno(), fcntl.LOCK_UN)

    def _stat_key(self) -> tuple[int, int, int] | None:
        assert self.path is not None
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def _load(self) -> State:
        assert self.path is not None
        key = self._stat_key()
        if key is None:
            self._cache, self._cache_key = empty_state(), None
            return self._cache
        if self._cache is not None and key == self._cache_key:
            return self._cache
        with open(self.path, encoding="utf-8") as handle:
            state = json.load(handle)
        if not isinstance(state, dict) or state.get("version") != STATE_VERSION:
            raise ValueError(f"{self.path}: not a sandbox state file (version {STATE_VERSION})")
        base = empty_state()
        base.update(state)
        self._cache, self._cache_key = base, key
        return base

    def _save(self, state: State) -> None:
        assert self.path is not None
        fd, tmp = tempfile.mkstemp(prefix=self.path.name + ".", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(state, handle, ensure_ascii=False, separators=(",", ":"))
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        self._cache, self._cache_key = state, self._stat_key()
