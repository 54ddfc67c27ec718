"""The controller as a user runs it: `smartpay-apply controller` in a subprocess, the strict
sandbox over real HTTP pushing encrypted events to it.

- `controller_project(sandbox_settings..., apps=N)`: a sandbox whose webhook is a port chosen
  for the controller, and a project (smartpay.yaml with the receiver's token and key, N specs
  with local id-card images) pointing at it;
- `start_controller(project, *args)`: the controller on that port, returned once /readyz
  answers 200; stopped (SIGKILL if need be) at teardown. Its log is a file (`.log()`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.apply.project import Project
from tests.conftest import free_port
from tests.events.conftest import AES_KEY_TEXT, CLIENT_ID, STATE_KEY, TOKEN
from tests.fixtures_sandbox import SandboxHandle

PAY = "/rest/2.0/smartapp/pay"
ONBOARDING = ["/account/create", "/developconfig/submit", "/paymentservice/create"]
UPLOAD = "/file/2.0/smartapp/upload/image"


@dataclass
class ControlledProject:
    """A project, the sandbox it points at, and the port its controller is to listen on."""

    project: Project
    sandbox: SandboxHandle
    port: int
    apps: dict[str, int] = field(default_factory=dict)

    @property
    def root(self) -> Path:
        return self.project.root


@dataclass
class ControllerProcess:
    """A running `smartpay-apply controller`."""

    process: subprocess.Popen[bytes]
    url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def get(self, path: str) -> httpx.Response:
        return httpx.get(self.url + path, timeout=10)

    def metrics(self) -> dict[str, float]:
        """`name{labels}` -> value from /metrics."""
        found = {}
        for line in self.get("/metrics").text.splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                found[name] = float(value)
        return found

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 60) -> int:
        """Send `signum` and wait for the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signum)
        return self.process.wait(timeout)


def accepted_writes(sandbox: SandboxHandle, app_id: int) -> list[str]:
    """The payment POSTs of one mini-program Baidu accepted (errno 0), in order."""
    return [
        call["path"].removeprefix(PAY)
        for call in sandbox.calls(app_id=app_id)
        if call["method"] == "POST" and call["errno"] == 0 and call["path"].startswith(PAY)
    ]


def refused_writes(sandbox: SandboxHandle, app_id: int) -> list[tuple[str, int]]:
    return [
        (call["path"].removeprefix(PAY), call["errno"])
        for call in sandbox.calls(app_id=app_id)
        if call["method"] == "POST" and call["errno"] not in (0, None)
    ]


def onboarded(sandbox: SandboxHandle, app_id: int) -> bool:
    """Account approved, developer config approved, payment service approved."""
    try:
        state = sandbox.app_state(app_id)
    except AssertionError:  # never seen yet
        return False
    service = state["bind_service"]
    return (
        state["account"]["status"] == 4
        and state["developer_config"]["audit"] == "approved"
        and service is not None
        and service["open_status"] == 2
    )


def environment(**extra: str) -> dict[str, str]:
    env = {**os.environ, "NO_COLOR": "1", "PYTHONUNBUFFERED": "1", "SMARTPAY_STATE_KEY": STATE_KEY}
    for name in ("SMARTPAY_ENDPOINT", "SMARTPAY_STATE", "SMARTPAY_EVENTS_TOKEN"):
        env.pop(name, None)
    env.update(extra)
    return env


@pytest.fixture
def controller_project(
    tmp_path: Path, sandbox_factory: Callable[..., SandboxHandle]
) -> Callable[..., ControlledProject]:
    """make(apps=N, state="state.db", port=None, webhook=None, pushes=True, **sandbox_overrides)
    -> ControlledProject. Without `pushes` the project configures no receiver and the sandbox
    pushes nothing (what `--once` from cron sees)."""

    def make(
        apps: int = 1,
        *,
        state: str = "state.db",
        port: int | None = None,
        webhook: str | None = None,
        pushes: bool = True,
        **sandbox: Any,
    ) -> ControlledProject:
        port = port or free_port()
        sandbox.setdefault("audit_delay", 0.3)
        if pushes:
            sandbox.update(
                webhook=webhook or f"http://127.0.0.1:{port}/",
                push_token=TOKEN,
                encoding_aes_key=AES_KEY_TEXT,
                tp_client_id=CLIENT_ID,
            )
        handle = sandbox_factory(**sandbox)
        root = tmp_path / "project"
        root.mkdir(exist_ok=True)
        settings: dict[str, Any] = {}
        if pushes:
            settings["events"] = {
                "token": TOKEN,
                "encoding_aes_key": AES_KEY_TEXT,
                "tp_client_id": CLIENT_ID,
            }
        project = Project(root, handle.base_url, state=state, **settings)
        names = {}
        for number in range(apps):
            app, app_id = f"shop-{number:02d}", 8100 + number
            project.add(app, app_id)
            names[app] = app_id
        return ControlledProject(project, handle, port, names)

    return make


@pytest.fixture
def start_controller(tmp_path: Path) -> Iterator[Callable[..., ControllerProcess]]:
    """start(project, *args, port=None, env=None, ready=True) -> ControllerProcess."""
    started: list[ControllerProcess] = []
    counter = iter(range(1, 100))

    def start(
        project: ControlledProject,
        *args: str,
        port: int | None = None,
        env: dict[str, str] | None = None,
        ready: bool = True,
    ) -> ControllerProcess:
        port = port or project.port
        log_path = tmp_path / f"controller-{next(counter)}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "smartpay_apply", "controller", "--port", str(port), *args],
                cwd=project.root,
                env=environment(**(env or {})),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        running = ControllerProcess(process, f"http://127.0.0.1:{port}", log_path)
        started.append(running)
        if ready:
            _wait_ready(running)
        return running

    yield start
    for running in started:
        if running.process.poll() is None:
            running.process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                running.process.wait(10)


def _wait_ready(running: ControllerProcess, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if running.process.poll() is not None:
            raise AssertionError(
                f"controller exited {running.process.returncode}:\n{running.log()}"
            )
        with contextlib.suppress(httpx.HTTPError):
            if running.get("/readyz").status_code == 200:
                return
        time.sleep(0.05)
    raise AssertionError(f"controller not ready after {timeout} s:\n{running.log()}")
