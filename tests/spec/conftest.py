"""A throwaway specs project on disk: smartpay.yaml, an RSA key, ID-card images, spec files.

Tests write real files and load them through the public loader, as a user's repo would be.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from smartpay_apply.config import load_project_config
from smartpay_apply.spec.loader import LoadReport, load_report
from smartpay_apply.spec.validation import validate_project
from tests.support.files import public_key_pem, tiny_png

REPO = Path(__file__).resolve().parents[2]
QUICKSTART = REPO / "examples" / "quickstart"

#: A valid spec; line numbers matter to the tests (they assert file:line:col).
VALID_SPEC = """\
app: shop-beijing
app_id: 12345678
credentials:
  access_token: sandbox-12345678
account:
  business_scope: 餐饮服务
  business_province: 北京市
  business_city: 北京市
  business_detail_address: 海淀区上地十街10号
  legal_person: 张三
  legal_id: 11010519491231002X
  id_card_front: images/front.png
  id_card_back: images/back.png
developer_config:
  tp_public_key: ${file:keys/tp.pem}
  pay_notify_url: https://example.com/notify
  refund_audit_url: https://example.com/audit
  refund_succ_url: https://example.com/done
payment_service:
  app_name: 北京小店
  service_phone: "13514310000"
  bank_account: 北京小店餐饮有限公司
  bank_card: "6217000010001234"
  bank_name: 招商银行
  bank_branch: 招商银行北京上地支行
  open_province: 北京市
  open_city: 海淀区
  payment_days: 1
  commission_rate: 6
  pool_cash_pledge: 1000
  day_max_frozen_amount: 10000
"""


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
