"""The sandbox's world as one JSON document, in memory or in a file shared between processes.

Every request runs as one transaction: take the lock (a thread lock, plus an fcntl lock on
`<state>.lock` when file-backed), read the document (re-parsed only when the file changed),
let the handler mutate it, write it back atomically (temp file + rename) if it changed. So
`plan`, `apply`, `plan` in three CLI processes, or a served sandbox and a test reading the file,
see one world.

The call log grows with every request, so it is not part of the document: it is appended to
`<state>.calls.jsonl` (compacted to the newest `call_log_limit` entries now and then), which
keeps a read-only request from rewriting the world.
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

import orjson

from smartpay_apply.errors import SmartpayError

STATE_VERSION = 2


class SandboxStateError(SmartpayError):
    """The world file is not one the sandbox can read (corrupt, or another program's)."""


State = dict[str, Any]


def empty_state() -> State:
    """A world with no mini-programs, tokens, uploads or calls yet."""
    return {
        "version": STATE_VERSION,
        "apps": {},
        "tokens": {},
        "uploads": {},
        "events": [],
        "faults": {},
        "tp": {"tickets": {}, "tp_tokens": {}, "codes": {}, "refresh_tokens": {}, "authorized": []},
        "counter": 0,
    }


def migrate(state: State) -> State:
    """A version-1 world as version 2, in place.

    Version 1 told "never created" from "created, status 0" by nothing (both status 0) and kept
    uploads as a list; version 2 keeps status null until an account is created and maps each
    upload digest to the TP that uploaded it (null: before TPs were recorded, the sandbox's own).
    """
    if state.get("version") == 1:
        for record in state.get("apps", {}).values():
            account = record.get("account", {})
            if account.get("status") == 0 and account.get("submitted") is None:
                account.update(status=None, verify_message=None)
        state["uploads"] = dict.fromkeys(state.get("uploads", []))
        state["version"] = 2
    return state


def encode_world(state: State) -> bytes:
    """The world file's bytes: compact UTF-8 JSON, as json.dumps(ensure_ascii=False) writes it.

    Every file-backed transaction encodes the whole world to see whether it changed; orjson
    does that ~10x faster (a 500-app world: ~8 ms with json), with json as the fallback for
    anything orjson refuses.
    """
    try:
        return orjson.dumps(state)
    except orjson.JSONEncodeError:
        return json.dumps(state, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class Store:
    """Transactions over the world document; see the module docstring."""

    def __init__(self, path: Path | None, call_log_limit: int = 20000) -> None:
        self.path = path
        self.call_log_limit = max(call_log_limit, 1)
        self._thread_lock = threading.RLock()
        self._memory: State = empty_state()
        self._memory_calls: list[dict[str, Any]] = []
        self._cache: State | None = None
        self._cache_key: tuple[int, int, int] | None = None
        self._cache_text: bytes | None = None

    def reset(self) -> None:
        """An empty world, without reading the old one (which may be unreadable)."""
        with self._thread_lock:
            if self.path is None:
                self._memory = empty_state()
                self._memory_calls.clear()
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            lock_path = self.path.with_name(self.path.name + ".lock")
            with open(lock_path, "a+") as lock_file:
                fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX)
                try:
                    self._cache_text = None
                    self._save(empty_state())
                    self.clear_calls()
                finally:
                    fcntl.flock(lock_file.fileno(), fcntl.LOCK_UN)

    @property
    def calls_path(self) -> Path | None:
        return None if self.path is None else self.path.with_name(self.path.name + ".calls.jsonl")

    def append_call(self, entry: dict[str, Any]) -> None:
        """Add one call-log entry (call inside a transaction: the lock is held)."""
        if self.calls_path is None:
            self._memory_calls.append(entry)
            if len(self._memory_calls) > self.call_log_limit:
                del self._memory_calls[: len(self._memory_calls) - self.call_log_limit]
            return
        with open(self.calls_path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n")
            size = handle.tell()
        if size > self.call_log_limit * 200:  # roughly twice the limit: keep the newest
            calls = self.read_calls()[-self.call_log_limit :]
            self._write_calls(calls)

    def read_calls(self) -> list[dict[str, Any]]:
        """The call log, oldest first (call inside a transaction)."""
        if self.calls_path is None:
            return list(self._memory_calls)
        try:
            with open(self.calls_path, encoding="utf-8") as handle:
                return [json.loads(line) for line in handle if line.strip()]
        except FileNotFoundError:
            return []

    def clear_calls(self) -> None:
        if self.calls_path is None:
            self._memory_calls.clear()
        else:
            self._write_calls([])

    def _write_calls(self, calls: list[dict[str, Any]]) -> None:
        assert self.calls_path is not None
        text = "".join(
            json.dumps(c, ensure_ascii=False, separators=(",", ":")) + "\n" for c in calls
        )
        self._atomic_write(self.calls_path, text)

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
            self._cache, self._cache_key, self._cache_text = empty_state(), None, None
            return self._cache
        if self._cache is not None and key == self._cache_key:
            return self._cache
        text = self.path.read_bytes()
        try:
            state = json.loads(text)
        except ValueError:
            state = None
        if isinstance(state, dict) and state.get("version") == 1:
            state = migrate(state)
        if not isinstance(state, dict) or state.get("version") != STATE_VERSION:
            raise SandboxStateError(
                f"{self.path}: not a sandbox world file (JSON with version {STATE_VERSION}); "
                "delete it or run `smartpay-apply sandbox reset` to start an empty world"
            )
        base = empty_state()
        base.update(state)
        self._cache, self._cache_key, self._cache_text = base, key, text
        return base

    def _save(self, state: State) -> None:
        """Write the world if it changed (a read-only request leaves the file alone)."""
        assert self.path is not None
        text = encode_world(state)
        if text == self._cache_text and self._stat_key() == self._cache_key:
            return
        self._atomic_write(self.path, text)
        self._cache, self._cache_key, self._cache_text = state, self._stat_key(), text

    @staticmethod
    def _atomic_write(path: Path, text: str | bytes) -> None:
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(text.encode("utf-8") if isinstance(text, str) else text)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
