"""Fixtures of the apply tests: a sandbox with short audits, a project on SQLite or PostgreSQL.

Every end-to-end test runs twice, once per state store backend (`state` parameter): the
PostgreSQL run uses tests/conftest.py's `postgres_url` (a fresh database), which fails rather
than skips in CI.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.apply.project import Project

AUDIT_DELAY = 0.3


@pytest.fixture(params=["sqlite", "postgres"])
def state_location(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres":
        return str(request.getfixturevalue("postgres_url"))
    return ".smartpay/state.db"


@pytest.fixture
def sandbox(sandbox_factory: Any) -> Any:
    """Audits decided by policy after AUDIT_DELAY seconds (approve unless a test says otherwise)."""
    return sandbox_factory(audit_delay=AUDIT_DELAY)


@pytest.fixture
def project(tmp_path: Path, sandbox: Any, state_location: str) -> Project:
    return Project(tmp_path / "project", sandbox.base_url, state=state_location)


ApplyRunner = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def apply_cli(run_cli: Any, project: Project) -> ApplyRunner:
    """`smartpay-apply ARGS` in the project directory, progress lines every second."""

    def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return run_cli(
            *args, cwd=project.root, env={"SMARTPAY_PROGRESS_INTERVAL": "1", **(env or {})}
        )

    return run


def result_json(process: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The `apply --format json` document, with a readable failure when it is not JSON."""
    try:
        document: dict[str, Any] = json.loads(process.stdout)
    except json.JSONDecodeError:
        raise AssertionError(
            f"not JSON (exit {process.returncode}):\n{process.stdout}\n{process.stderr}"
        ) from None
    return document


def app_result(document: dict[str, Any], app: str) -> dict[str, Any]:
    (found,) = [entry for entry in document["apps"] if entry["app"] == app]
    return found
