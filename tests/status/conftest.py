"""A project at the embedded sandbox (`endpoint: sandbox`, audits decided by hand), driven
through the real CLI in-process (tests/support/cli.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.apply.project import Project
from tests.support.cli import Result, invoke


class StatusProject(Project):
    """A Project whose commands run through the real CLI in its directory."""

    def cli(self, *args: str, env: dict[str, str] | None = None) -> Result:
        return invoke(*args, cwd=self.root, env=env)

    def ok(self, *args: str) -> Result:
        result = self.cli(*args)
        assert result.returncode == 0, result.stdout + result.stderr
        return result


@pytest.fixture
def project(tmp_path: Path) -> StatusProject:
    """Two mini-programs (one with Chinese names), audits decided only by `sandbox approve/reject`."""
    made = StatusProject(tmp_path, "sandbox", sandbox={"audit_policy": "manual"})
    made.add("shop-beijing", 20230001, app_name="北京百货小店")
    made.add("tea", 20230002)
    return made
