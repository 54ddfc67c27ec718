"""`data … --all-apps` across a fleet where not every mini-program can be exported.

A mini-program without a payment service (cafe-shanghai in the quick start) is skipped and named
on stderr, and the export succeeds; a mini-program that really fails does not stop the others,
the command exits 1 naming it, and what succeeded is kept (stdout as written; with -o FILE in
FILE.partial, which a re-run resumes from the failure).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from smartpay_apply.api.errors import BusinessError, TransportError
from smartpay_apply.data.export import AppSource, ExportJob, run_export
from smartpay_apply.data.kinds import page_from_wire
from smartpay_apply.data.output import PartialFileOutput, StreamOutput
from smartpay_apply.data.pages import PageResult
from smartpay_apply.data.writers import make_writer

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
