"""Fixtures of the apply tests: a sandbox with short audits, a project on SQLite or PostgreSQL.

The end-to-end tests run on SQLite; the races between processes (test_apply_races.py) run on
PostgreSQL as well, through tests/conftest.py's `postgres_url` (a fresh database), which fails
rather than skips in CI.
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


@pytest.fixture
def state_location() -> str:
    """SQLite: the store contract is the same on both backends and tests/state runs it on
    PostgreSQL too; test_apply_races.py overrides this with both, for the multi-process cases."""
    return ".smartpay/state.db"


def both_backends(request: pytest.FixtureRequest) -> str:
    """The `state_location` of a module whose tests must also run on PostgreSQL."""
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
