"""A real browser for the status page: Playwright for Python driving Debian's Chromium.

Never a downloaded browser: `executable_path=shutil.which("chromium")` (the `chromium`
package; `.ci/run` installs it), headless, a fresh user-data directory per context. `Console`
collects what a user's browser would complain about: console errors (a CSP violation, a failed
asset), uncaught page errors, and any dialog (an injected `alert` would open one).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def chromium_path() -> str:
    """Debian's chromium; in CI its absence fails the run, elsewhere it skips the test."""
    found = shutil.which("chromium")
    if found is None:
        message = "no chromium: apt-get install -y chromium chromium-driver (as .ci/run does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


@dataclass
class Console:
    """What the browser logged that a user would call broken."""

    problems: list[str] = field(default_factory=list)

    def watch(self, page: Any) -> Any:
        page.on(
            "console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text}")
        )
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))

        def dialog(d: Any) -> None:
            self.problems.append(f"dialog: {d.message}")
            d.dismiss()

        page.on("dialog", dialog)
        return page


@contextlib.contextmanager
def browser(user_data: Path, *, javascript: bool = True) -> Iterator[Any]:
    """A headless Chromium context with its own fresh profile directory."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    user_data.mkdir(parents=True, exist_ok=False)
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(user_data),
            executable_path=executable,
            headless=True,
            args=CHROMIUM_ARGS,
            java_script_enabled=javascript,
            viewport={"width": 1400, "height": 900},
            locale="zh-CN",
        )
        try:
            yield context
        finally:
            context.close()


def start_cli(root: Path, *args: str) -> subprocess.Popen[str]:
    """`smartpay-apply ARGS` as a background process in `root` (a server)."""
    env = {**os.environ, "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"}
    env.pop("SMARTPAY_ENDPOINT", None)
    env.pop("SMARTPAY_STATE", None)
    return subprocess.Popen(
        [sys.executable, "-m", "smartpay_apply", *args],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
