"""docs/data.md documents the columns; this keeps the documented order the real one."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from smartpay_apply.data.kinds import COLUMNS, order_time_range

DOC = Path(__file__).resolve().parents[2] / "docs" / "data.md"


def _documented_columns(export: str) -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    section = text.split(f"### {export} (", 1)[1].split("\n### ", 1)[0].split("\n\n", 2)[1]
    return [
        re.split(r"\s*\|\s*", line.strip("| "))[0]
        for line in section.splitlines()[2:]
        if line.startswith("|")
    ]


@pytest.mark.parametrize("export", sorted(COLUMNS))
def test_documented_columns_match_the_export(export: str) -> None:
    assert _documented_columns(export) == [column.name for column in COLUMNS[export]]


def test_documented_order_range_example_is_true() -> None:
    start, end = order_time_range(date(2026, 11, 1), date(2026, 11, 2))
    text = DOC.read_text(encoding="utf-8")
    assert f"start_time={start}" in text and f"end_time={end}" in text
    assert end - start == 2 * 86400 - 1
