"""Helpers for the data tests: a project directory whose specs point at a running sandbox."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def write_project(
    root: Path,
    endpoint: str,
    apps: Sequence[tuple[str, int]],
    *,
    concurrency: int = 8,
    extra: str = "",
) -> Path:
    """smartpay.yaml + one spec per (app, app_id), credentials `sandbox-<app_id>`; returns root."""
    (root / "specs").mkdir(parents=True, exist_ok=True)
    (root / "smartpay.yaml").write_text(
        f"version: 1\nendpoint: {endpoint}\nstate: .smartpay/state.db\nspecs: ['specs/*.yaml']\n"
        f"concurrency: {concurrency}\n{extra}",
        encoding="utf-8",
    )
    for app, app_id in apps:
        (root / "specs" / f"{app}.yaml").write_text(
            f"app: {app}\napp_id: {app_id}\ncredentials:\n  access_token: sandbox-{app_id}\n",
            encoding="utf-8",
        )
    return root
