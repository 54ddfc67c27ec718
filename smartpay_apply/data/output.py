"""Where an export goes: stdout, or a file written as `FILE.partial` and renamed on success.

Why: a long export that stops half way (a page keeps failing, Ctrl-C, a killed job) must never
leave a file that looks complete but is short. So `-o FILE` writes `FILE.partial` and, after
complete pages (at most every STATE_INTERVAL seconds, and when the export stops), records in a
small sidecar (`FILE.partial.state`, JSON) how many bytes and which page are committed, and
for which parameters. Only a finished export is renamed to
`FILE`. Running the same export again finds the sidecar: with the same parameters it cuts the
partial file back to the last recorded page (dropping anything written after it) and continues
from the next page, so no row is written twice; with other parameters (or a missing or
unreadable sidecar) it starts over.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any, Protocol

from smartpay_apply.data.errors import ExportError

STATE_VERSION = 1
#: Seconds between sidecar updates. Rewriting it after every page costs more than the page on
#: some file systems; a resume then redoes at most this much work (bytes past the recorded
#: cursor are cut off, so correctness does not depend on it).
STATE_INTERVAL = 0.25


@dataclass(frozen=True)
class Cursor:
    """How far an export has got: the mini-program (index in the run) and its last page done."""

    app_index: int
    page: int
    total_count: int | None


class Output(Protocol):
    """A destination the export commits page by page."""

    def start(self, header: str) -> Cursor | None:
        """Open; return where to resume from, or None for a fresh start (header written)."""
        ...

    def commit(self, text: str, cursor: Cursor) -> None:
        """Write the text of one complete page and remember that `cursor` is done."""
        ...

    def restart(self, header: str) -> None:
        """Throw away what was written and begin again with `header`."""
        ...

    def finish(self) -> None:
        """The export is complete: make the output final."""
        ...

    def hold(self) -> None:
        """Keep the resume point where it is: later pages are still written, but a re-run
        resumes from here (an --all-apps export goes on past a mini-program that failed)."""
        ...

    def abort(self) -> None:
        """The export stopped: close, keeping whatever lets a re-run resume."""
        ...


class StreamOutput:
    """A text stream (stdout): written as it goes; nothing to resume."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream if stream is not None else sys.stdout

    def start(self, header: str) -> Cursor | None:
        self.stream.write(header)
        return None

    def commit(self, text: str, cursor: Cursor) -> None:
        self.stream.write(text)
        self.stream.flush()

    def restart(self, header: str) -> None:  # pragma: no cover - a stream cannot rewind
        raise ExportError("cannot restart an export written to a stream")

    def hold(self) -> None:
        return None  # nothing to resume

    def finish(self) -> None:
        self.stream.flush()

    def abort(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.stream.flush()


class PartialFileOutput:
    """`FILE.partial` plus its sidecar, renamed to `FILE` on success (see the module doc)."""

    def __init__(
        self,
        path: Path,
        params: Mapping[str, Any],
        *,
        notify: Callable[[str], None] = lambda message: None,
    ) -> None:
        self.path = path
        self.partial = path.with_name(path.name + ".partial")
        self.sidecar = path.with_name(path.name + ".partial.state")
        self.params = json.loads(json.dumps(dict(params)))  # as it reads back from JSON
        self.notify = notify
        self._file: IO[bytes] | None = None
        self._bytes = 0
        self._cursor: Cursor | None = None
        self._saved_at = 0.0
        self._dirty = False
        self._held = False

    # -- the Output protocol

    def start(self, header: str) -> Cursor | None:
        saved, why_not = self._saved_state()
        if saved is not None:
            cursor, size = saved
            try:
                file = open(self.partial, "r+b")  # noqa: SIM115 - kept open across pages
                file.truncate(size)
                file.seek(size)
            except OSError as error:
                raise ExportError(f"cannot resume {self.partial}: {error}") from error
            self._file, self._bytes, self._cursor = file, size, cursor
            self.notify(f"Resuming {self.path} after page {cursor.page}" + self._of_app(cursor))
            return cursor
        if self.partial.exists():
            self.notify(f"{self.partial} {why_not}: starting over")
        self._open_fresh(header)
        return None

    def commit(self, text: str, cursor: Cursor) -> None:
        file = self._require_file()
        data = text.encode("utf-8")
        try:
            file.write(data)
            file.flush()
        except OSError as error:
            raise ExportError(f"cannot write {self.partial}: {error}") from error
        if self._held:  # written, but a re-run cuts it off and redoes it (see `hold`)
            return
        self._bytes += len(data)
        self._cursor, self._dirty = cursor, True
        if time.monotonic() - self._saved_at >= STATE_INTERVAL:
            self._save_state()

    def hold(self) -> None:
        self._held = True
        if self._dirty:
            self._save_state()

    def restart(self, header: str) -> None:
        self._held = False
        if self._file is not None:
            self._file.close()
            self._file = None
        self._open_fresh(header)

    def finish(self) -> None:
        file = self._require_file()
        try:
            file.flush()
            os.fsync(file.fileno())
            file.close()
            self._file = None
            os.replace(self.partial, self.path)
            self.sidecar.unlink(missing_ok=True)
        except OSError as error:
            raise ExportError(f"cannot finish {self.path}: {error}") from error

    def abort(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError, ExportError):
                self._file.flush()
                if self._dirty:
                    self._save_state()
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None

    # -- internals

    def _of_app(self, cursor: Cursor) -> str:
        apps = self.params.get("apps") or []
        if len(apps) > 1 and cursor.app_index < len(apps):
            return f" of {apps[cursor.app_index]}"
        return ""

    def _require_file(self) -> IO[bytes]:
        if self._file is None:
            raise RuntimeError("output not started")
        return self._file

    def _open_fresh(self, header: str) -> None:
        try:
            self._file = open(self.partial, "wb")  # noqa: SIM115 - kept open across pages
        except OSError as error:
            raise ExportError(f"cannot write {self.partial}: {error}") from error
        self._bytes = 0
        self.commit(header, Cursor(app_index=0, page=0, total_count=None))
        self._save_state()

    def _saved_state(self) -> tuple[tuple[Cursor, int] | None, str]:
        """The committed cursor and byte count of a resumable partial file, or why there is none."""
        try:
            state = json.loads(self.sidecar.read_text(encoding="utf-8"))
            if state.get("version") != STATE_VERSION or state.get("params") != self.params:
                return None, "is from an export with other parameters"
            cursor = Cursor(**state["cursor"])
            size = int(state["bytes"])
            if not 0 <= size <= self.partial.stat().st_size:
                return None, "does not match its resume state"
            if cursor.page < 1:
                return None, "holds no complete page yet"
            return (cursor, size), ""
        except FileNotFoundError:
            return None, "has no resume state"
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return None, "has an unreadable resume state"

    def _save_state(self) -> None:
        """Record the committed cursor and byte count (atomically: a new file, then a rename)."""
        if self._cursor is None:
            return
        state = {
            "version": STATE_VERSION,
            "params": self.params,
            "cursor": asdict(self._cursor),
            "bytes": self._bytes,
        }
        temporary = self.sidecar.with_name(self.sidecar.name + ".tmp")
        try:
            temporary.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
            os.replace(temporary, self.sidecar)
            self._saved_at, self._dirty = time.monotonic(), False
        except OSError as error:
            raise ExportError(f"cannot write {self.sidecar}: {error}") from error
