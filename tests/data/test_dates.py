"""Date ranges are checked before any call: a clear message instead of Baidu's errno 60000.

`data orders --from 2000-01-01` used to reach orderlist as a 9-digit timestamp. The project's
endpoint here refuses connections, so an accepted range shows up as "connection refused".
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from smartpay_apply.timeutil import SHANGHAI, day_start_timestamp, now
from tests.data.conftest import write_project
from tests.support.cli import invoke

TODAY = now().astimezone(SHANGHAI).date()
TOMORROW = (TODAY + timedelta(days=1)).isoformat()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_project(tmp_path / "p", "http://127.0.0.1:9", [("shop", 41)])


def test_the_orders_lower_bound_is_the_first_day_with_a_10_digit_timestamp() -> None:
    assert len(str(day_start_timestamp(date(2001, 9, 9)))) == 9
    assert len(str(day_start_timestamp(date(2001, 9, 10)))) == 10


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["orders", "shop", "--from", "2000-01-01", "--to", "2000-01-02"],
            "--from 2000-01-01: orders can be exported from 2001-09-10 on "
            "(orderlist takes 10-digit unix timestamps)",
        ),
        (
            ["orders", "shop", "--from", "2001-09-09", "--to", "2001-09-30"],
            "--from 2001-09-09: orders can be exported from 2001-09-10 on",
        ),
        (
            ["orders", "shop", "--from", "2024-03-02", "--to", "2024-03-01"],
            "--to 2024-03-01 is before --from 2024-03-02",
        ),
        (
            ["income", "shop", "--from", "2024-03-01", "--to", TOMORROW],
            f"--to {TOMORROW} is after today ({TODAY}, Beijing time)",
        ),
        (
            ["orders", "--all-apps", "--from", TOMORROW, "--to", TOMORROW],
            f"--from {TOMORROW} is after today",
        ),
        (["income-detail", "shop", "--day", TOMORROW], f"--day {TOMORROW} is after today"),
    ],
)
def test_impossible_ranges_are_refused_before_any_call(
    project: Path, args: list[str], message: str
) -> None:
    result = invoke("data", *args, cwd=project)
    assert result.returncode == 1
    assert result.stderr.startswith(f"Error: {message}")
    assert "connection refused" not in result.stderr  # nothing was called


@pytest.mark.parametrize(
    "args",
    [
        ["orders", "shop", "--from", "2001-09-10", "--to", TODAY.isoformat()],
        ["income", "shop", "--from", "2000-01-01", "--to", "2000-01-31"],  # dates, not timestamps
        ["income-detail", "shop", "--day", TODAY.isoformat()],
    ],
)
def test_possible_ranges_reach_the_api(project: Path, args: list[str]) -> None:
    result = invoke("data", *args, cwd=project)
    assert result.returncode == 1
    assert "transport connection refused (http://127.0.0.1:9)" in result.stderr
