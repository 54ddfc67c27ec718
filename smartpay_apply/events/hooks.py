"""`--on-event CMD`: run a command after each newly stored event, the event as JSON on stdin.

Why: an approved audit is the moment to continue a pipeline (run `apply` again). The command
runs after Baidu already got its `success`, never through a shell, a few at a time, with a
timeout; a failure is logged and changes nothing about the stored event.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shlex
from typing import Any

from smartpay_apply.errors import UsageError

log = logging.getLogger(__name__)

HOOK_TIMEOUT = 300.0
MAX_PARALLEL = 4


class CommandHook:
    """An awaitable `on_event` for the receiver that runs `command` per event."""

    def __init__(
        self,
        command: str,
        *,
        timeout: float = HOOK_TIMEOUT,
        max_parallel: int = MAX_PARALLEL,
        cwd: str | None = None,
    ) -> None:
        try:
            self._argv = shlex.split(command)
        except ValueError as error:
            raise UsageError(f"--on-event cannot be parsed ({error})") from None
        if not self._argv:
            raise UsageError("--on-event is empty")
        self._timeout = timeout
        self._cwd = cwd
        self._slots = asyncio.Semaphore(max_parallel)

    @property
    def program(self) -> str:
        return os.path.basename(self._argv[0])

    async def __call__(self, event: dict[str, Any]) -> None:
        payload = json.dumps(event, ensure_ascii=False).encode("utf-8") + b"\n"
        async with self._slots:
            try:
                process = await asyncio.create_subprocess_exec(
                    *self._argv, stdin=asyncio.subprocess.PIPE, cwd=self._cwd
                )
            except OSError as error:
                log.error("on-event command %r cannot start: %s", self.program, error.strerror)
                return
            try:
                await asyncio.wait_for(process.communicate(payload), self._timeout)
            except TimeoutError:
                process.kill()
                await process.wait()
                log.error("on-event command %r killed after %g s", self.program, self._timeout)
                return
            if process.returncode != 0:
                log.error(
                    "on-event command %r exited with status %s for %s %s",
                    self.program,
                    process.returncode,
                    event.get("app_id"),
                    event.get("event"),
                )
            else:
                log.info(
                    "on-event command %r done for %s %s",
                    self.program,
                    event.get("app_id"),
                    event.get("event"),
                )
