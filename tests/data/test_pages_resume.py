"""The ordered concurrent page walk and the .partial/resume behaviour, with fake page sources.

The fake is at the seam the export really uses (an async `page number -> PageResult`), so the
walker, the writers and the partial-file logic under test are the real ones.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import random
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from smartpay_apply.api.errors import PaginationError, ResponseError, TransportError
from smartpay_apply.data.errors import DataChangedError, PageFailedError
from smartpay_apply.data.export import AppSource, ExportJob, run_export
from smartpay_apply.data.output import PartialFileOutput, StreamOutput
from smartpay_apply.data.pages import Convert, PageResult, walk_pages
from smartpay_apply.data.writers import make_writer

NAMES = ("n", "square")


def _row(n: int) -> tuple[str, str]:
    return (str(n), str(n * n))


class FakeSource:
    """`total` numbered rows in pages of `page_size`; jittered latency; optional failures."""

    def __init__(
        self, total: int, page_size: int, *, fail_pages: set[int] = frozenset(), offset: int = 0
    ) -> None:
        self.total, self.page_size, self.fail_pages, self.offset = (
            total,
            page_size,
            set(fail_pages),
            offset,
        )
        self.calls: list[int] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.rng = random.Random(page_size * 7919 + total)

    async def __call__(self, number: int) -> PageResult:
        self.calls.append(number)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.rng.random() / 500)
            if number in self.fail_pages:
                raise TransportError("paymentservice/orderlist", 503, "service unavailable")
            first = (number - 1) * self.page_size
            items = [
                _row(self.offset + n) for n in range(first, min(first + self.page_size, self.total))
            ]
            return PageResult(number, items, self.total, -(-self.total // self.page_size))
        finally:
            self.in_flight -= 1


async def test_pages_come_in_order_with_bounded_concurrency() -> None:
    source = FakeSource(total=1234, page_size=10)
    seen = [page.number async for page in walk_pages(source, page_size=10, concurrency=4)]
    assert seen == list(range(1, 125))
    assert source.calls[0] == 1
    assert sorted(source.calls) == list(range(1, 125))
    assert source.max_in_flight == 4


async def test_without_totals_pages_are_walked_until_a_short_one() -> None:
    async def fetch(number: int) -> PageResult:
        return PageResult(number, [number * 100 + n for n in range(10 if number < 4 else 3)])

    pages = [page.number async for page in walk_pages(fetch, page_size=10)]
    assert pages == [1, 2, 3, 4]


async def test_a_failing_page_is_named_and_stops_the_walk() -> None:
    source = FakeSource(total=500, page_size=10, fail_pages={17})
    seen: list[int] = []
    with pytest.raises(PageFailedError, match=r"orders: page 17 of 50 failed: .*503"):
        async for page in walk_pages(source, page_size=10, concurrency=4, what="orders"):
            seen.append(page.number)
    assert seen == list(range(1, 17))
    await asyncio.sleep(0.01)
    assert source.in_flight == 0  # the window was cancelled, nothing left running


async def test_a_total_that_moves_mid_walk_is_an_error() -> None:
    async def fetch(number: int) -> PageResult:
        return PageResult(
            number, [number * 100 + n for n in range(10)], 100 if number < 5 else 101, 10
        )

    with pytest.raises(DataChangedError, match="page 1 reported 100 rows, page 5 reports 101"):
        async for _ in walk_pages(fetch, page_size=10):
            pass


def _job(sources: list[FakeSource], page_size: int, *, names: list[str] | None = None) -> ExportJob:
    names = names or [f"app{i}" for i in range(len(sources))]
    return ExportJob(
        what="orders",
        sources=[AppSource(name, source) for name, source in zip(names, sources, strict=True)],
        page_size=page_size,
        concurrency=3,
        with_app=len(sources) > 1,
    )


def _params(**extra: object) -> dict[str, object]:
    return {"what": "orders", "page_size": 10, "format": "csv", **extra}


async def _export(
    path: Path,
    sources: list[FakeSource],
    fmt: str = "csv",
    notes: list[str] | None = None,
    **params: object,
) -> None:
    job = _job(sources, 10)
    names = ("app", *NAMES) if job.with_app else NAMES
    output = PartialFileOutput(
        path, _params(format=fmt, **params), notify=(notes if notes is not None else []).append
    )
    await run_export(job, output, make_writer(fmt, names, [8] * len(names)))


async def test_a_clean_export_is_renamed_and_leaves_no_sidecar(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    await _export(target, [FakeSource(95, 10)])
    rows = list(csv.reader(target.open()))
    assert rows[0] == ["n", "square"]
    assert [int(r[0]) for r in rows[1:]] == list(range(95))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


async def test_failure_leaves_no_final_file_and_a_rerun_resumes_without_duplicates(
    tmp_path: Path,
) -> None:
    target = tmp_path / "out.csv"
    with pytest.raises(PageFailedError, match="page 6 of 10"):
        await _export(target, [FakeSource(95, 10, fail_pages={6})])
    assert not target.exists()
    partial = tmp_path / "out.csv.partial"
    assert len(partial.read_text().splitlines()) == 1 + 50  # header + pages 1..5

    healed, notes = FakeSource(95, 10), []
    await _export(target, [healed], notes=notes)
    assert notes == [f"Resuming {target} after page 5"]
    assert min(healed.calls) == 6  # resumed: pages 1-5 were not fetched again
    await _export(tmp_path / "clean.csv", [FakeSource(95, 10)])
    assert target.read_bytes() == (tmp_path / "clean.csv").read_bytes()
    assert not partial.exists()
    assert not (tmp_path / "out.csv.partial.state").exists()


async def test_a_half_written_page_is_cut_off_on_resume(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    with pytest.raises(PageFailedError):
        await _export(target, [FakeSource(95, 10, fail_pages={4})], fmt="jsonl")
    partial = tmp_path / "out.jsonl.partial"
    with partial.open("a") as file:  # a crash in the middle of writing page 4
        file.write('{"n": "30", "square": "900"}\n{"n": "3')
    await _export(target, [FakeSource(95, 10)], fmt="jsonl")
    numbers = [int(json.loads(line)["n"]) for line in target.read_text().splitlines()]
    assert numbers == list(range(95))


async def test_other_parameters_rewrite_instead_of_resuming(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    with pytest.raises(PageFailedError):
        await _export(target, [FakeSource(95, 10, fail_pages={3})], start="2019-01-01")
    other, notes = FakeSource(40, 10, offset=1000), []
    await _export(target, [other], notes=notes, start="2019-02-01")
    assert notes == [f"{target}.partial is from an export with other parameters: starting over"]
    assert min(other.calls) == 1
    assert [int(r[0]) for r in list(csv.reader(target.open()))[1:]] == list(range(1000, 1040))


async def test_data_changed_since_the_interruption_starts_over(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    with pytest.raises(PageFailedError):
        await _export(target, [FakeSource(95, 10, fail_pages={3})])
    grown = FakeSource(97, 10)
    await _export(target, [grown])
    assert [int(r[0]) for r in list(csv.reader(target.open()))[1:]] == list(range(97))


async def test_several_apps_resume_in_the_right_app(tmp_path: Path) -> None:
    target = tmp_path / "all.csv"
    with pytest.raises(PageFailedError, match="orders of app1: page 2 of 3"):
        await _export(target, [FakeSource(25, 10), FakeSource(30, 10, fail_pages={2}, offset=500)])
    first, second = FakeSource(25, 10), FakeSource(30, 10, offset=500)
    await _export(target, [first, second])
    assert first.calls == []
    assert min(second.calls) == 2
    rows = list(csv.reader(target.open()))
    assert rows[0] == ["app", "n", "square"]
    assert [(r[0], int(r[1])) for r in rows[1:]] == [("app0", n) for n in range(25)] + [
        ("app1", n) for n in range(500, 530)
    ]


async def test_stream_output_gets_header_and_every_row() -> None:
    stream = io.StringIO()
    job = _job([FakeSource(21, 10)], 10)
    result = await run_export(
        job, StreamOutput(stream), make_writer("csv", ("n", "square"), (8, 8))
    )
    assert result.total_rows == 21
    assert stream.getvalue().splitlines()[:2] == ["n,square", "0,0"]
    assert len(stream.getvalue().splitlines()) == 22


async def test_totals_that_disagree_walk_the_larger_and_stop_at_an_empty_page() -> None:
    async def fetch(number: int) -> PageResult:  # like the doc: 101 rows, "1 page"
        first = (number - 1) * 10
        return PageResult(number, list(range(first, min(first + 10, 101))), 101, 1)

    rows = [
        n async for page in walk_pages(fetch, page_size=10) for n in page.items
    ]  # plain ints here
    assert rows == list(range(101))


async def test_a_server_ignoring_paging_is_caught() -> None:
    async def fetch(number: int) -> PageResult:
        return PageResult(number, list(range(10)), 50, 5)

    with pytest.raises(PaginationError, match="page 2 repeats page 1"):
        async for _ in walk_pages(fetch, page_size=10):
            pass


async def test_an_empty_export_is_just_the_header(tmp_path: Path) -> None:
    target = tmp_path / "none.csv"
    await _export(target, [FakeSource(0, 10)])
    assert target.read_text() == "n,square\n"


async def test_a_page_is_converted_after_its_slot_went_to_the_next_request() -> None:
    """A fetcher answering with the page's conversion: the next page's request starts first."""
    started: list[int] = []
    started_when_converted: dict[int, list[int]] = {}

    async def fetch(number: int) -> Convert:
        started.append(number)
        await asyncio.sleep(0)

        def convert() -> PageResult:
            started_when_converted[number] = list(started)
            return PageResult(number, [_row(number)], 6, 6)

        return convert

    pages = [page async for page in walk_pages(fetch, page_size=1, concurrency=1)]
    assert [page.number for page in pages] == [1, 2, 3, 4, 5, 6]
    assert [page.items for page in pages] == [[_row(n)] for n in range(1, 7)]
    # With one slot and the window's next page already waiting for it (pages 3 and 5 are
    # scheduled only as 2 and 4 are taken), the slot's next request starts before the
    # conversion; converting inside the slot would have kept page 3 and 5 waiting for it.
    assert 3 in started_when_converted[2] and 5 in started_when_converted[4], started_when_converted


async def test_a_conversion_that_fails_names_its_page() -> None:
    def fetcher(bad: int) -> Callable[[int], Awaitable[Convert]]:
        async def fetch(number: int) -> Convert:
            def convert() -> PageResult:
                if number == bad:
                    raise ResponseError("paymentservice/orderlist", None, "row 3: field x")
                return PageResult(number, [_row(number)], 40, 4)

            return convert

        return fetch

    for bad in (1, 3):
        with pytest.raises(PageFailedError, match=rf"orders: page {bad} .*failed: .*row 3"):
            async for _ in walk_pages(fetcher(bad), page_size=10, concurrency=2, what="orders"):
                pass
