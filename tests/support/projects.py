"""Project directories for the end-to-end tests: smartpay.yaml and complete spec documents.

Spec values come from tests/engine/factory.py (the one set of valid values the engine, render,
plan and apply tests share), written as JSON, which the YAML loader reads as well.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.engine.factory import account_values, developer_values, payment_values


def write_config(
    root: Path,
    endpoint: str,
    *,
    state: str = ".smartpay/state.db",
    concurrency: int = 8,
    **settings: Any,
) -> Path:
    """smartpay.yaml for specs under specs/, pointing at `endpoint` (a sandbox's URL).

    `settings` are further top-level keys (`apply:`, `credentials:`...), written as JSON.
    `credentials:` defaults to the sandbox's TP token (image uploads take the TP's own token).
    """
    settings.setdefault("credentials", {"tp_access_token": "sandbox-tp"})
    lines = [
        "version: 1",
        f"endpoint: {endpoint}",
        f"state: {json.dumps(state)}",
        'specs: ["specs/**/*.yaml"]',
        f"concurrency: {concurrency}",
    ]
    lines += [f"{key}: {json.dumps(value)}" for key, value in settings.items()]
    path = root / "smartpay.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def plain(values: dict[str, Any]) -> dict[str, Any]:
    """Spec values as YAML can hold them (Decimal as a number, text as text)."""
    return {
        k: (
            int(v)
            if isinstance(v, Decimal) and v == v.to_integral()
            else float(v)
            if isinstance(v, Decimal)
            else v
        )
        for k, v in values.items()
    }


def spec_document(
    app: str,
    app_id: int,
    *,
    token: str | None = None,
    account: dict[str, Any] | None = None,
    payment: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A complete spec (id cards as uploaded URLs); `account`/`payment` override fields."""
    return {
        "app": app,
        "app_id": app_id,
        "credentials": {"access_token": token or f"sandbox-{app_id}"},
        "account": plain(account_values(**(account or {}))),
        "developer_config": developer_values(),
        "payment_service": plain(payment_values(**(payment or {}))),
    }
