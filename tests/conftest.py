"""Fixtures every test area shares: the real CLI in a subprocess, and a real PostgreSQL.

Sandbox fixtures live in tests/fixtures_sandbox.py (registered below) next to the code they
drive. Nothing here mocks the project's own code.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytest_plugins = ["tests.fixtures_sandbox"]

#: Fixtures that make a test end-to-end: the real CLI in a subprocess (a new interpreter per
#: call), a sandbox served over real HTTP (uvicorn), or a PostgreSQL server. Such tests are
#: marked `slow` by `pytest_collection_modifyitems` below (so are tests that start processes or
#: terminals of their own, marked by hand), so `pytest -m "not slow"` is the fast, in-process
#: half of the suite; the README's test command runs both.
SLOW_FIXTURES = frozenset(
    {
        "run_cli",
        "sandbox",
        "sandbox_factory",
        "postgres_url",
        "postgres_server_url",
        "postgres_database",
    }
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark `slow` every test using a SLOW_FIXTURES fixture or marked `postgres` (the store
    contract on a real PostgreSQL runs in the full suite, SQLite in both)."""
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if used & SLOW_FIXTURES or item.get_closest_marker("postgres") is not None:
            item.add_marker(pytest.mark.slow)


REPO_ROOT = Path(__file__).resolve().parent.parent

CliRunner = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def run_cli(tmp_path: Path) -> CliRunner:
    """Run `python -m smartpay_apply ARGS` as a user would; returns the finished process.

    cwd defaults to tmp_path; NO_COLOR is set so output is stable; extra env merges over os.environ.
    """

    def run(
        *args: str,
        cwd: Path | None = None,
        env: dict[str, str] | None = None,
        input: str | None = None,
        timeout: float = 180,
    ) -> subprocess.CompletedProcess[str]:
        full_env = {**os.environ, "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"}
        full_env.pop("SMARTPAY_ENDPOINT", None)
        full_env.pop("SMARTPAY_STATE", None)
        full_env.update(env or {})
        return subprocess.run(
            [sys.executable, "-m", "smartpay_apply", *args],
            cwd=cwd or tmp_path,
            env=full_env,
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return run


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _postgres_bindir() -> Path | None:
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True).stdout.strip()
        if out and (Path(out) / "initdb").exists():
            return Path(out)
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return candidates[-1].parent if candidates else None


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A PostgreSQL server: SMARTPAY_TEST_POSTGRES_URL if set, else a throwaway one started here.

    In CI (CI=true) a missing server fails the run: the PostgreSQL tests must run, not skip.
    """
    url = os.environ.get("SMARTPAY_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    bindir = _postgres_bindir()
    if bindir is None or os.geteuid() != 0:
        message = "no PostgreSQL: set SMARTPAY_TEST_POSTGRES_URL or install postgresql (root)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    workdir = Path(tempfile.mkdtemp(prefix="smartpay-pg-"))
    shutil.chown(workdir, "postgres")
    port = free_port()
    as_postgres = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [
            *as_postgres,
            str(bindir / "initdb"),
            "-D",
            str(workdir / "data"),
            "-A",
            "trust",
            "-U",
            "postgres",
        ],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            *as_postgres,
            str(bindir / "pg_ctl"),
            "-D",
            str(workdir / "data"),
            "-l",
            str(workdir / "log"),
            "-w",
            "start",
            "-o",
            f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [
                *as_postgres,
                str(bindir / "pg_ctl"),
                "-D",
                str(workdir / "data"),
                "-m",
                "immediate",
                "stop",
            ],
            capture_output=True,
        )
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    """A fresh, empty database on the test server, dropped afterwards."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = postgres_server_url.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(postgres_server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
