"""`endpoint: sandbox`: the sandbox in-process, its world in `<state_dir>/sandbox.json`.

Each CLI invocation builds a fresh app over the same file, so plan / apply / plan in separate
processes see one world; audits are decided by the clock on every request, and, while the
transport is open, by a ticker on the process's event loop (as a served sandbox's lifespan
does), so an outcome is pushed when its audit is decided, not when the next command runs.
Nothing outlives the process. Faults are off unless asked for.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import httpx

from smartpay_apply.sandbox.app import create_app
from smartpay_apply.sandbox.config import SandboxConfig
from smartpay_apply.sandbox.faults import ConnectionDropped

EMBEDDED_BASE_URL = "http://sandbox.invalid"
STATE_FILE_NAME = "sandbox.json"
#: How long closing the client waits for pushes still being delivered.
PUSH_DRAIN_TIMEOUT = 10.0


class EmbeddedTransport(httpx.ASGITransport):
    """An ASGITransport whose injected dropped connections look like real ones to httpx, which
    decides due audits on time while open (a ticker started with the first request), and which
    delivers pending pushes before the client closes (the process may end right after)."""

    _ticker: asyncio.Task[None] | None = None

    def _sandbox(self) -> Any:
        return getattr(getattr(self.app, "state", None), "sandbox", None)

    def _start_ticker(self) -> None:
        """Start the ticker on the running loop (once; again if a new loop serves requests)."""
        sandbox = self._sandbox()
        loop = asyncio.get_running_loop()
        if sandbox is None or (self._ticker is not None and self._ticker.get_loop() is loop):
            return
        self._ticker = loop.create_task(sandbox.tick_forever())

    async def aclose(self) -> None:
        ticker, self._ticker = self._ticker, None
        if ticker is not None and ticker.get_loop() is asyncio.get_running_loop():
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
        sandbox = self._sandbox()
        if sandbox is not None:
            await sandbox.pusher.drain(timeout=PUSH_DRAIN_TIMEOUT)
        await super().aclose()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self._start_ticker()
        try:
            return await super().handle_async_request(request)
        except ConnectionDropped as error:
            raise httpx.RemoteProtocolError(str(error), request=request) from None


def embedded_transport(state_dir: Path, **config_overrides: Any) -> httpx.AsyncBaseTransport:
    """An httpx transport over a sandbox whose world persists in state_dir/sandbox.json."""
    state_dir = Path(state_dir)
    state_dir.mkdir(parents=True, exist_ok=True)
    config = SandboxConfig.from_settings(config_overrides).with_overrides(
        state_file=state_dir / STATE_FILE_NAME
    )
    return EmbeddedTransport(app=create_app(config))
