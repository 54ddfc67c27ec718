"""A throwaway specs project on disk: smartpay.yaml, an RSA key, ID-card images, spec files.

Tests write real files and load them through the public loader, as a user's repo would be.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from smartpay_apply.config import load_project_config
from smartpay_apply.project import load_report, validate_project
from smartpay_apply.spec.loader import LoadReport
from tests.support.files import public_key_pem, tiny_png
from tests.support.specs import VALID_SPEC

REPO = Path(__file__).resolve().parents[2]
QUICKSTART = REPO / "examples" / "quickstart"


@dataclass
class Project:
    """A project directory with helpers to write specs and validate them."""

    root: Path

    def write(self, relative: str, text: str | bytes) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    def spec(self, text: str = VALID_SPEC, name: str = "app.yaml") -> Path:
        return self.write(f"specs/{name}", text)

    def config(self, text: str) -> Path:
        return self.write("smartpay.yaml", text)

    def report(self, environ: dict[str, str] | None = None) -> LoadReport:
        config = load_project_config(self.root, None, environ=environ or {})
        return load_report(config, environ=environ or {}, cwd=self.root)

    def validate(self) -> LoadReport:
        config = load_project_config(self.root, None, environ={})
        return validate_project(config, environ={}, cwd=self.root)

    def problems(self, environ: dict[str, str] | None = None) -> list[str]:
        return [str(problem) for problem in self.report(environ).problems]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    """An empty valid project: smartpay.yaml (sandbox), keys/tp.pem, specs/images/*.png."""
    monkeypatch.chdir(tmp_path)
    for name in list(__import__("os").environ):
        if name.startswith("SMARTPAY_"):
            monkeypatch.delenv(name)
    result = Project(tmp_path)
    result.config("endpoint: sandbox\n")
    result.write("specs/keys/tp.pem", public_key_pem())
    result.write("specs/images/front.png", tiny_png())
    result.write("specs/images/back.png", tiny_png())
    return result


@pytest.fixture
def quickstart(tmp_path: Path) -> Path:
    """A fresh copy of examples/quickstart (its .smartpay/ is never shared between tests)."""
    target = tmp_path / "quickstart"
    shutil.copytree(QUICKSTART, target, ignore=shutil.ignore_patterns(".smartpay"))
    return target
