"""The real sandbox app behind a recorder of what reaches it, served over real HTTP.

The sandbox keeps only the documented fields and logs no parameters; some tests must see the
wire itself (which form fields were sent) or hold a write's answer back while the CLI is
interrupted. `FormRecorder` wraps the sandbox's ASGI app for that; it changes nothing it passes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import uvicorn

from smartpay_apply.sandbox.app import create_app
from smartpay_apply.sandbox.config import SandboxConfig
from smartpay_apply.sandbox.server import bind


class FormRecorder:
    """ASGI middleware: remembers each urlencoded POST body by path, then passes it on.

    `hold(suffix)`: the answer to the next POST whose path ends with `suffix` is held back
    after the sandbox handled it (the write happened) until `release` is set; `reached` is set
    when that write has been handled.
    """

    def __init__(self, app: Any) -> None:
        self.app = app
        self.forms: list[tuple[str, dict[str, str]]] = []
        #: (path, errno of the answer) of every POST, in order (None: no JSON errno).
        self.answers: list[tuple[str, int | None]] = []
        self.held_suffix: str | None = None
        self.reached = threading.Event()
        self.release = threading.Event()

    def hold(self, suffix: str) -> None:
        self.held_suffix = suffix

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        headers = dict(scope["headers"])
        if headers.get(b"content-type", b"").startswith(b"application/x-www-form-urlencoded"):
            form = {key: values[-1] for key, values in parse_qs(body.decode()).items()}
            self.forms.append((scope["path"], form))
        sent = False

        async def replay() -> dict[str, Any]:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        held = self.held_suffix is not None and scope["path"].endswith(self.held_suffix)
        send = self._noting(scope["path"], send)
        if held:
            self.held_suffix = None
            send = self._holding(send)
        await self.app(scope, replay, send)

    def _noting(self, path: str, send: Any) -> Any:
        """Remember the errno Baidu answered (a refused write changed nothing)."""
        chunks: list[bytes] = []

        async def wrapped(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    try:
                        errno = json.loads(b"".join(chunks)).get("errno")
                    except (ValueError, AttributeError):
                        errno = None
                    self.answers.append((path, errno))
            await send(message)

        return wrapped

    def _holding(self, send: Any) -> Any:
        async def wrapped(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                self.reached.set()  # the sandbox has handled the write
                while not self.release.is_set():
                    await asyncio.sleep(0.01)
            await send(message)

        return wrapped

    def sent_to(self, suffix: str) -> list[dict[str, str]]:
        return [form for path, form in self.forms if path.endswith(suffix)]

    def accepted(self, suffix: str) -> int:
        """How many POSTs to `suffix` Baidu accepted (errno 0)."""
        return sum(1 for path, errno in self.answers if path.endswith(suffix) and errno == 0)


@contextlib.contextmanager
def recording_sandbox(state_file: Path, **overrides: Any) -> Iterator[tuple[str, FormRecorder]]:
    """A sandbox (audit_delay 0.2 s unless overridden) behind a FormRecorder, on a free port."""
    overrides.setdefault("audit_delay", 0.2)
    config = SandboxConfig().with_overrides(state_file=state_file, **overrides)
    recorder = FormRecorder(create_app(config))
    sock = bind("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(recorder, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", recorder
    finally:
        recorder.release.set()
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
