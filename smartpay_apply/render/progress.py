"""The "still waiting" display of `apply --wait` on stderr, Terraform-style.

"shop: payment service: in review [2m10s elapsed]": on a terminal one live line, rewritten; on a
pipe (CI logs) a line per waiting mini-program every `interval` seconds, so the log shows life
without flooding. It implements the engine's `ProgressSink`.
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import TextIO

from smartpay_apply.engine.waiting import format_elapsed


class Progress:
    """The "still waiting" display on stderr; one instance per run, shared by all mini-programs."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        live: bool | None = None,
        interval: float = 10.0,
        enabled: bool = True,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.interval = interval
        self.enabled = enabled
        self._waiting: dict[str, tuple[str, float]] = {}  # key -> (label, started)
        self._last_print: dict[str, float] = {}
        self._line_shown = False
        self._ticker: asyncio.Task[None] | None = None

    def start(self, key: str, label: str) -> None:
        """Begin showing `label` ("shop: payment service: in review") with its elapsed time."""
        now = time.monotonic()
        self._waiting[key] = (label, now)
        self._last_print[key] = now
        if not self.live:
            self._write_line(f"{label} [0s elapsed]")
        self._ensure_ticker()

    def finish(self, key: str, message: str) -> None:
        """Stop showing `key` and print how its wait ended."""
        entry = self._waiting.pop(key, None)
        self._last_print.pop(key, None)
        elapsed = time.monotonic() - entry[1] if entry else 0.0
        self._write_line(f"{message} [after {format_elapsed(elapsed)}]")
        if not self._waiting and self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None

    def note(self, message: str) -> None:
        """A one-off line (e.g. "shop: account approved; continuing")."""
        self._write_line(message)

    def tick(self) -> None:
        """Refresh the display: the live line, or the lines that are due on a pipe."""
        if not self.enabled or not self._waiting:
            return
        now = time.monotonic()
        if self.live:
            parts = [
                f"{label} [{format_elapsed(now - started)} elapsed]"
                for label, started in self._waiting.values()
            ]
            shown = (
                parts[0] if len(parts) == 1 else f"{len(parts)} waiting: " + "; ".join(parts[:3])
            )
            if len(parts) > 3:
                shown += f"; and {len(parts) - 3} more"
            self.stream.write("\r\033[K" + shown)
            self.stream.flush()
            self._line_shown = True
            return
        for key, (label, started) in list(self._waiting.items()):
            if now - self._last_print.get(key, started) >= self.interval:
                self._last_print[key] = now
                self._write_line(f"{label} [{format_elapsed(now - started)} elapsed]")

    def close(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None
        self._clear_live()

    def _write_line(self, text: str) -> None:
        if not self.enabled:
            return
        self._clear_live()
        self.stream.write(text + "\n")
        self.stream.flush()

    def _clear_live(self) -> None:
        if self._line_shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self._line_shown = False

    def _ensure_ticker(self) -> None:
        if self._ticker is not None or not self.enabled:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._ticker = loop.create_task(self._tick_forever())

    async def _tick_forever(self) -> None:
        period = 1.0 if self.live else min(1.0, self.interval)
        while True:
            self.tick()
            await asyncio.sleep(period)
