"""--from-file: one mini-program per line, `APP_ID` or `APP_ID NAME`; errors at FILE:LINE."""

from __future__ import annotations

from pathlib import Path

import pytest

from smartpay_apply.errors import UsageError
from smartpay_apply.importing.targets import Wanted, from_file


def test_ids_names_comments_and_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "fleet.txt"
    path.write_text(
        "# our fleet\n20230001\n\n20230002 shop-beijing   # the flagship\n20230003,tea-hz\nshop-x\n",
        encoding="utf-8",
    )
    found = from_file(path)
    assert [(w.text, w.name, w.app_id) for w in found] == [
        ("20230001", None, 20230001),
        ("20230002", "shop-beijing", 20230002),
        ("20230003", "tea-hz", 20230003),
        ("shop-x", None, None),
    ]
    assert found[1].origin == f"{path}:4"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("1 a b", ":1: expected `APP_ID` or `APP_ID NAME`, got 3 values"),
        ("shop shop-a", ":1: 'shop' is not an app_id (digits)"),
    ],
)
def test_a_line_it_cannot_read_is_an_error_at_its_line(
    tmp_path: Path, line: str, message: str
) -> None:
    path = tmp_path / "fleet.txt"
    path.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(UsageError) as raised:
        from_file(path)
    assert str(raised.value) == f"{path}{message}"


def test_a_missing_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"--from-file .*nope\.txt: no such file"):
        from_file(tmp_path / "nope.txt")


def test_zero_is_not_an_app_id() -> None:
    assert Wanted("0", "argument").app_id is None
    assert Wanted("٣", "argument").app_id is None  # not ASCII digits
