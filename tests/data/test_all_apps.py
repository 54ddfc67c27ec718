"""`data … --all-apps` across a fleet where not every mini-program can be exported.

A mini-program without a payment service (cafe-shanghai in the quick start) is skipped and named
on stderr, and the export succeeds; a mini-program that really fails does not stop the others,
the command exits 1 naming it, and what succeeded is kept (stdout as written; with -o FILE in
FILE.partial, which a re-run resumes from the failure).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest

from smartpay_apply.api.errors import BusinessError, TransportError
from smartpay_apply.data.export import AppSource, ExportJob, run_export
from smartpay_apply.data.kinds import page_from_wire
from smartpay_apply.data.output import PartialFileOutput, StreamOutput
from smartpay_apply.data.pages import PageResult
from smartpay_apply.data.writers import make_writer
from tests.data.conftest import SMALL_EXPORT_SANDBOX, onboard, write_project
from tests.support.cli import invoke

RANGE = ["--from", "2024-03-22", "--to", "2024-03-31"]
SHOP, CAFE, TEA = 31, 32, 33


@pytest.fixture
def fleet(sandbox_factory: Any, tmp_path: Path) -> tuple[Any, Path]:
    """shop (31) and tea (33) have an approved payment service; cafe (32) has none."""
    sandbox = sandbox_factory(**SMALL_EXPORT_SANDBOX)
    onboard(sandbox.base_url, SHOP)
    onboard(sandbox.base_url, TEA)
    project = write_project(
        tmp_path / "p", sandbox.base_url, [("shop", SHOP), ("cafe", CAFE), ("tea", TEA)]
    )
    return sandbox, project


def _apps(text: str) -> set[str]:
    return {row["app"] for row in csv.DictReader(io.StringIO(text))}


def test_a_mini_program_without_payment_service_is_skipped_and_named(fleet) -> None:
    _, project = fleet
    result = invoke("data", "orders", "--all-apps", *RANGE, cwd=project)
    assert result.returncode == 0, result.stderr
    assert _apps(result.stdout) == {"shop", "tea"}
    assert result.stderr == ("Skipped cafe: no payment service (errno 60008 支付服务不存在)\n")


def test_to_a_file_the_summary_says_how_many_were_exported(fleet) -> None:
    _, project = fleet
    result = invoke("data", "income", "--all-apps", *RANGE, "-o", "income.csv", cwd=project)
    assert result.returncode == 0, result.stderr
    assert _apps((project / "income.csv").read_text()) == {"shop", "tea"}
    assert result.stderr.splitlines()[-1] == "Wrote income.csv: 20 rows from 2 of 3 mini-programs"


def test_payout_all_apps_skips_too(fleet) -> None:
    _, project = fleet
    result = invoke("data", "payout", "--all-apps", "12345", cwd=project)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines[0].startswith("Skipped cafe: no payment service (errno 60008")
    assert "No payout with task_id 12345 for cafe" not in result.stderr


def test_a_real_failure_does_not_stop_the_others_and_exits_1(fleet) -> None:
    _, project = fleet
    (project / "specs" / "shop.yaml").write_text(
        f"app: shop\napp_id: {SHOP}\ncredentials:\n  access_token: not-a-sandbox-token\n"
    )
    result = invoke("data", "orders", "--all-apps", *RANGE, cwd=project)
    assert result.returncode == 1
    assert _apps(result.stdout) == {"tea"}  # kept: tea's rows were written
    assert "Skipped cafe: no payment service" in result.stderr
    assert "Error: orders: 1 mini-program(s) failed:\n  shop: " in result.stderr
    assert "not-a-sandbox-token" not in result.stderr


def test_a_failed_file_export_keeps_its_rows_and_a_rerun_resumes(fleet) -> None:
    _, project = fleet
    shop_spec = project / "specs" / "shop.yaml"
    good = shop_spec.read_text()
    clean = invoke("data", "orders", "--all-apps", *RANGE, "-o", "clean.csv", cwd=project)
    assert clean.returncode == 0, clean.stderr

    shop_spec.write_text(good.replace(f"sandbox-{SHOP}", "not-a-sandbox-token"))
    failed = invoke("data", "orders", "--all-apps", *RANGE, "-o", "out.csv", cwd=project)
    assert failed.returncode == 1
    assert not (project / "out.csv").exists()  # never a short file under the final name
    assert _apps((project / "out.csv.partial").read_text()) == {"tea"}
    assert "kept out.csv.partial: 370 rows from 1 of 3 mini-programs" in failed.stderr

    shop_spec.write_text(good)
    resumed = invoke("data", "orders", "--all-apps", *RANGE, "-o", "out.csv", cwd=project)
    assert resumed.returncode == 0, resumed.stderr
    assert (project / "out.csv").read_text() == (project / "clean.csv").read_text()


# ---------------------------------------------------------------- other "no service" answers


def _failing(errno: int):  # type: ignore[no-untyped-def]
    async def fetch(number: int) -> PageResult:
        raise BusinessError("paymentservice/orderlist", errno, "x")

    return fetch


async def _rows(number: int) -> PageResult:
    return PageResult(number, [("a", "1")], 1, 1)


@pytest.mark.parametrize("errno", [60002, 60008, 60013])
async def test_every_no_service_errno_is_a_skip(errno: int) -> None:
    stream = io.StringIO()
    job = ExportJob(
        "orders",
        [AppSource("none", _failing(errno)), AppSource("ok", _rows)],
        10,
        with_app=True,
        keep_going=True,
    )
    result = await run_export(job, StreamOutput(stream), make_writer("csv", ("app", "n", "v"), []))
    assert list(result.skipped) == ["none"] and result.failed == {}
    assert stream.getvalue() == "app,n,v\nok,a,1\n"


async def test_an_answer_without_data_is_a_skip_with_all_apps() -> None:
    async def empty(number: int) -> PageResult:
        return page_from_wire("orders", number, None)

    stream = io.StringIO()
    job = ExportJob(
        "orders",
        [AppSource("none", empty), AppSource("ok", _rows)],
        10,
        with_app=True,
        keep_going=True,
    )
    result = await run_export(job, StreamOutput(stream), make_writer("csv", ("app", "n", "v"), []))
    assert result.skipped == {"none": "no payment service (an empty answer)"}


async def test_without_all_apps_the_first_failure_stops_the_export() -> None:
    job = ExportJob("orders", [AppSource("none", _failing(60008))], 10)
    with pytest.raises(Exception, match="60008"):
        await run_export(job, StreamOutput(io.StringIO()), make_writer("csv", ("n", "v"), []))


async def test_a_failure_holds_the_resume_point_of_a_partial_file(tmp_path: Path) -> None:
    """Rows after the failure are written but not committed: a re-run cuts them and redoes them."""
    calls: list[int] = []

    async def flaky(number: int) -> PageResult:
        calls.append(number)
        if number == 2:
            raise TransportError("paymentservice/orderlist", 503, "busy")
        return PageResult(number, [(f"f{number}", "1")], 3, 3)

    path = tmp_path / "out.csv"
    params = {"x": 1}
    writer = make_writer("csv", ("app", "n", "v"), [])
    job = ExportJob(
        "orders",
        [AppSource("flaky", flaky), AppSource("ok", _rows)],
        1,
        concurrency=1,
        with_app=True,
        keep_going=True,
    )
    result = await run_export(job, PartialFileOutput(path, params), writer)
    assert list(result.failed) == ["flaky"]
    assert not path.exists()
    partial = path.with_name("out.csv.partial").read_text()
    assert partial == "app,n,v\nflaky,f1,1\nok,a,1\n"  # kept, ok's row included

    async def fixed(number: int) -> PageResult:
        return PageResult(number, [(f"f{number}", "1")], 3, 3)

    job = ExportJob(
        "orders",
        [AppSource("flaky", fixed), AppSource("ok", _rows)],
        1,
        concurrency=1,
        with_app=True,
        keep_going=True,
    )
    await run_export(job, PartialFileOutput(path, params), writer)
    assert path.read_text() == "app,n,v\nflaky,f1,1\nflaky,f2,1\nflaky,f3,1\nok,a,1\n"
