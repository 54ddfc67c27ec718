"""The text of an imported spec: read back by the project's own loader, it holds exactly the
values that were rendered, whatever characters they contain."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from smartpay_apply.importing.render import Reference, render_spec
from smartpay_apply.spec.loader import load_spec_file
from smartpay_apply.timeutil import SHANGHAI
from tests.engine.factory import BANK_CARD

AT = datetime(2026, 12, 1, 9, 30, tzinfo=SHANGHAI)
CARD_VARIABLE = "SMARTPAY_APP_7_BANK_CARD"


def payment(**changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "app_name": "小店",
        "service_phone": "13957112345",
        "bank_account": "北京小店科技有限公司",
        "bank_card": Reference("${env:" + CARD_VARIABLE + "}"),
        "bank_name": "招商银行",
        "bank_branch": "招商银行北京上地支行",
        "open_province": "北京市",
        "open_city": "海淀区",
        "payment_days": 7,
        "commission_rate": 6,
        "pool_cash_pledge": 9223372036854775807,
        "day_max_frozen_amount": 0,
    }
    values.update(changes)
    return values


def loaded(tmp_path: Path, text: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv(CARD_VARIABLE, BANK_CARD)
    path = tmp_path / "app-7.yaml"
    path.write_text(text, encoding="utf-8")
    (spec,) = load_spec_file(path)
    return spec


TRICKY = [
    "yes",
    "no",
    "null",
    "~",
    "true",
    "010",
    "1e3",
    ".inf",
    "0x1F",
    "- 小店",
    "? 小店",
    "小店: 北京",
    "小店 #1",
    "#小店",
    "'引号'",
    '"双引号"',
    "a\\b",
    "${env:HOME}",
    "$${literal}",
    "%x",
    "@x",
    "`x`",
    "&x",
    "*x",
    "!x",
    "|x",
    ">x",
    "[x]",
    "{x}",
    "x,",
    "行\u2028分隔",
    "x\u00a0y",
    "<<",
    "=",
    "铃\x07声",
    "\ufeff开头",
    "表情 😀",
    "全角\u3000空格",
    "零宽\u200b空格",
    'tab\tand "quote" \\ back',
]


@pytest.mark.parametrize("text", TRICKY)
def test_any_text_reads_back_as_itself(
    text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = loaded(tmp_path, render_spec("app-7", 7, payment(bank_branch=text), AT), monkeypatch)
    assert spec.payment_service.bank_branch == text


def test_numbers_are_numbers_and_the_reference_is_resolved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = render_spec("app-7", 7, payment(), AT)
    assert "  payment_days: 7\n" in text
    assert "  pool_cash_pledge: 9223372036854775807\n" in text
    assert '  service_phone: "13957112345"\n' in text  # would be a number unquoted
    assert "  bank_card: ${env:SMARTPAY_APP_7_BANK_CARD}\n" in text
    spec = loaded(tmp_path, text, monkeypatch)
    assert spec.app == "app-7" and spec.app_id == 7
    assert spec.credentials is None and spec.account is None and spec.developer_config is None
    assert spec.payment_service.bank_card.get_secret_value() == BANK_CARD
    assert spec.payment_service.pool_cash_pledge == 9223372036854775807


def test_one_header_comment_with_the_beijing_time_and_a_note_on_the_other_sections() -> None:
    text = render_spec("app-7", 7, payment(), AT, schema="../smartpay-spec.schema.json")
    lines = text.splitlines()
    assert lines[0] == "# yaml-language-server: $schema=../smartpay-spec.schema.json"
    assert lines[1] == (
        "# Imported from Baidu by `smartpay-apply import` on 2026-12-01 09:30:00 +08:00."
    )
    assert lines[4:6] == ["app: app-7", "app_id: 7"]
    assert "# account and developer_config are not managed by this spec" in text
    assert "the next plan\n# shows `adopt` for each" in text


def test_without_a_payment_service_the_spec_manages_nothing_and_says_how_to_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = render_spec("app-7", 7, None, AT)
    assert "payment_service:" not in text.replace("add payment_service:", "")
    assert "# Baidu reported no payment service for this mini-program" in text
    assert loaded(tmp_path, text, monkeypatch).payment_service is None
