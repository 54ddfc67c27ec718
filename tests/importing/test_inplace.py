"""Editing a spec file in place: the changed fields' lines change, nothing else does."""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest

from smartpay_apply.importing.inplace import InPlaceError, SpecFile, masked_diff, replace_file

QUICKSTART = Path(__file__).resolve().parents[2] / "examples" / "quickstart" / "specs"


def changed_lines(old: str, new: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def spec_file(tmp_path: Path, text: str) -> SpecFile:
    path = tmp_path / "spec.yaml"
    path.write_text(text, encoding="utf-8")
    return SpecFile(path)


def test_a_hand_written_spec_keeps_comments_quotes_and_references(tmp_path: Path) -> None:
    path = tmp_path / "shop-beijing.yaml"
    shutil.copy(QUICKSTART / "shop-beijing.yaml", path)
    file = SpecFile(path)
    new = file.edited(
        {
            20230001: {
                "app_name": "北京百货 新店",
                "service_phone": "13912345678",
                "bank_branch": "招商银行北京海淀支行",
                "pool_cash_pledge": 800,
            }
        }
    )
    assert changed_lines(file.text, new) == [
        "-  app_name: 北京百货小店",
        '-  service_phone: "010-62881234"',
        "+  app_name: 北京百货 新店",
        '+  service_phone: "13912345678"',
        "-  bank_branch: 招商银行北京上地支行",
        "+  bank_branch: 招商银行北京海淀支行",
        "-  pool_cash_pledge: 500",
        "+  pool_cash_pledge: 800",
    ]


def test_quoted_stays_quoted_bare_stays_bare(tmp_path: Path) -> None:
    file = spec_file(
        tmp_path,
        "app: a\napp_id: 1\npayment_service:\n"
        "  app_name: 'single'   # why\n"
        '  pool_cash_pledge: "500"\n'
        "  service_phone: 13957112345\n"
        "  bank_account: plain\n",
    )
    new = file.edited(
        {
            1: {
                "app_name": "new",
                "pool_cash_pledge": 900,
                "service_phone": "13800138000",
                "bank_account": "null",
            }
        }
    )
    assert new == (
        "app: a\napp_id: 1\npayment_service:\n"
        "  app_name: 'new'      # why\n"
        '  pool_cash_pledge: "900"\n'
        "  service_phone: 13800138000\n"
        '  bank_account: "null"\n'
    )


def test_a_bare_number_field_that_becomes_text_is_quoted_as_needed(tmp_path: Path) -> None:
    file = spec_file(
        tmp_path, "app: a\napp_id: 1\npayment_service:\n  service_phone: 13957112345\n"
    )
    new = file.edited({1: {"service_phone": "010-62881234"}})
    assert "  service_phone: 010-62881234\n" in new  # plain text: no quotes needed
    new = spec_file(tmp_path, file.text).edited({1: {"service_phone": "01062881234"}})
    assert '  service_phone: "01062881234"\n' in new  # a leading 0: text, so quoted


def test_a_field_from_defaults_is_added_in_spec_order(tmp_path: Path) -> None:
    file = spec_file(
        tmp_path,
        "app: a\napp_id: 1\npayment_service:\n  app_name: x\n  bank_name: y\n  payment_days: 7\n",
    )
    new = file.edited({1: {"open_city": "海淀区"}})
    assert new.splitlines()[-3:] == ["  bank_name: y", "  open_city: 海淀区", "  payment_days: 7"]


def test_only_the_document_of_that_app_changes(tmp_path: Path) -> None:
    text = (
        "# two shops\napp: a\napp_id: 1\npayment_service:\n  app_name: x\n"
        "---\napp: b\napp_id: 2\npayment_service:\n  app_name: x\n"
    )
    new = spec_file(tmp_path, text).edited({2: {"app_name": "z"}})
    assert new == text[: text.rindex("x")] + "z\n"


def test_indentation_of_four_is_kept(tmp_path: Path) -> None:
    text = "app: a\napp_id: 1\npayment_service:\n    app_name: x\n    bank_name: y\n"
    new = spec_file(tmp_path, text).edited({1: {"app_name": "z"}})
    assert new == text.replace("app_name: x", "app_name: z")


def test_a_file_the_round_trip_would_reformat_is_refused(tmp_path: Path) -> None:
    text = "app: a\napp_id: 1\npayment_service:\n  app_name: x\n  bank_name:   y   # aligned\n"
    with pytest.raises(
        InPlaceError, match=r"would also rewrite other lines .*change its fields by hand"
    ):
        spec_file(tmp_path, text).edited({1: {"app_name": "z"}})


def test_a_literal_reference_text_from_baidu_is_escaped(tmp_path: Path) -> None:
    file = spec_file(tmp_path, "app: a\napp_id: 1\npayment_service:\n  app_name: x\n")
    assert "  app_name: 店$${x}\n" in file.edited({1: {"app_name": "店${x}"}})


def test_the_diff_never_shows_a_sensitive_value(tmp_path: Path) -> None:
    old = "payment_service:\n  bank_card: ${env:CARD:-6214830100012345}\n  app_name: x\n"
    new = old.replace("app_name: x", "app_name: y")
    shown = masked_diff(Path("specs/a.yaml"), old, new)
    assert "6214830100012345" not in shown
    assert "   bank_card: (sensitive)" in shown
    assert "-  app_name: x\n+  app_name: y" in shown
    assert shown.startswith("--- a/specs/a.yaml\n+++ b/specs/a.yaml\n")


def test_replace_keeps_the_mode_and_refuses_a_file_changed_meanwhile(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text("a: 1\n")
    path.chmod(0o640)
    replace_file(path, "a: 1\n", "a: 2\n")
    assert path.read_text() == "a: 2\n" and (path.stat().st_mode & 0o777) == 0o640
    with pytest.raises(InPlaceError, match="changed while import --update ran"):
        replace_file(path, "a: 1\n", "a: 3\n")
    assert path.read_text() == "a: 2\n"
