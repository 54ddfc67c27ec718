"""Polling for what another thread or process does (a push stored, a server's answer)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def wait_for(condition: Callable[[], Any], timeout: float = 20) -> Any:
    """Call `condition` every 50 ms until it returns something truthy or `timeout` s pass.

    Returns its last result, so the test asserts on it (and a timeout fails there, by name).
    The timeout is generous: it is only ever reached by a test that is failing anyway.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.05)
