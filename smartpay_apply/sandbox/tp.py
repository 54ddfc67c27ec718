"""Third-party-platform endpoints (filled in below)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from smartpay_apply.sandbox.config import SandboxConfig
from smartpay_apply.sandbox.store import State


@dataclass
class TpCall:
    state: State
    config: SandboxConfig
    now: float
    token: str | None
    params: dict[str, str]


TpHandler = Callable[[TpCall], dict[str, Any]]
TP_ROUTES: dict[tuple[str, str], TpHandler] = {}
