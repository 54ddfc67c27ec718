"""Orders and finance data (filled in by the data generator)."""

from __future__ import annotations

from smartpay_apply.sandbox.handlers import Handler

DATA_HANDLERS: dict[str, Handler] = {}
