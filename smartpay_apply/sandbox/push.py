"""Delivering pushed events to the configured webhook, in the background, with retries.

Pushes never block an API answer: the app hands events to `Pusher.push` after its transaction,
which schedules a task on the running loop. A delivery counts as done only when the receiver
answers HTTP 2xx with the literal body `success` (Baidu's push documentation: anything else is
retried); any other answer is a failed attempt, retried `push_attempts` times in all.
Relaxed (`push_success_body`): any 2xx counts.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
import time
from typing import Any

import httpx

from smartpay_apply.sandbox import crypto
from smartpay_apply.sandbox.config import SandboxConfig

log = logging.getLogger(__name__)

#: The only answer that acknowledges a push.
SUCCESS = b"success"


def _refusal(response: httpx.Response) -> str:
    """Why an answer did not acknowledge a push (for the admin API's deliveries)."""
    if not response.is_success:
        return f"HTTP {response.status_code}"
    return f"HTTP {response.status_code} with body {response.content[:40]!r}, not b'success'"


class Pusher:
    """Background delivery of events; `deliveries` records each outcome (for the admin API)."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self._tasks: set[asyncio.Task[None]] = set()
        self.deliveries: list[dict[str, Any]] = []
        self._tls: ssl.SSLContext | None = None

    def _client(self) -> httpx.AsyncClient:
        """A client for one delivery, sharing one TLS context.

        Why: making an httpx client loads the CA bundle, ~45 ms of CPU, most of the sandbox's
        CPU in the controller benchmark (1,000 apps). One shared client is no better: httpcore's
        pool walks every queued request for each one, so a burst of 1,000 pushes took seconds of
        CPU and stalled the API. A client per delivery over one TLS context costs ~0.8 ms.
        """
        if self._tls is None:
            self._tls = ssl.create_default_context()
        return httpx.AsyncClient(timeout=5, verify=self._tls)

    def body(self, event: dict[str, Any]) -> bytes:
        """The HTTP body for one event: the encrypted envelope, or plain JSON if configured."""
        message = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        if self.config.plaintext_push:
            return message
        sealed = crypto.envelope(
            message,
            self.config.push_token,
            self.config.encoding_aes_key,
            self.config.tp_client_id,
            int(time.time()),
        )
        return json.dumps(sealed).encode("utf-8")

    def push(self, events: list[dict[str, Any]], url: str | None = None) -> None:
        """Schedule delivery of `events` (no-op without a webhook or a running loop)."""
        target = url or self.config.webhook
        if not target or not events:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        for event in events:
            task = loop.create_task(self._deliver(target, event))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _deliver(self, url: str, event: dict[str, Any]) -> None:
        body = self.body(event)
        record: dict[str, Any] = {
            "event": event.get("event"),
            "appId": event.get("appId"),
            "attempts": 0,
        }
        self.deliveries.append(record)
        async with self._client() as client:
            for attempt in range(1, max(1, self.config.push_attempts) + 1):
                record["attempts"] = attempt
                try:
                    response = await client.post(
                        url, content=body, headers={"Content-Type": "application/json"}
                    )
                    if self.accepted(response):
                        record["delivered"] = True
                        return
                    record["last_error"] = _refusal(response)
                except httpx.HTTPError as error:
                    record["last_error"] = type(error).__name__
                await asyncio.sleep(self.config.push_retry_delay * attempt)
        record["delivered"] = False
        log.warning(
            "push of %s to the webhook failed after %d attempts",
            event.get("event"),
            record["attempts"],
        )

    def accepted(self, response: httpx.Response) -> bool:
        """Whether the receiver took the push: 2xx and the body `success`, nothing else."""
        if not response.is_success:
            return False
        return response.content == SUCCESS or not self.config.strict("push_success_body")

    async def drain(self, timeout: float = 10) -> None:
        """Wait for pending deliveries (used when an embedded run ends)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)
