"""`endpoint: sandbox`: the sandbox in-process, its world in `<state_dir>/sandbox.json`.

Each CLI invocation builds a fresh app over the same file, so plan / apply / plan in separate
processes see one world; audits are decided lazily by the clock on every request, so no
background thread has to outlive a process. Faults are off unless asked for.
"""

from __future__ import annotations

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
    """An ASGITransport whose injected dropped connections look like real ones to httpx, and
    which delivers pending pushes before the client closes (the process may end right after)."""

    async def aclose(self) -> None:
        sandbox = getattr(getattr(self.app, "state", None), "sandbox", None)
        if sandbox is not None:
            await sandbox.pusher.drain(timeout=PUSH_DRAIN_TIMEOUT)
        await super().aclose()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
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
