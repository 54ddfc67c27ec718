"""Group commit (state/group_commit.py): the store calls of a moment share one transaction,
and each caller still gets what its own transaction gave it.

What a user would notice if it were wrong: a record missing after a run that reported it
written, a failed write that took its neighbours down with it, or half of a failed write left
behind. Each test reads the file back through a second, independent connection.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from smartpay_apply.errors import StateError
from smartpay_apply.state import open_store
from smartpay_apply.state.sql import SqlStore
from smartpay_apply.state.sqlite import SqliteBackend
from tests.state.conftest import BACKENDS, run_raw

AT = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)


def sections(path: Path) -> list[tuple[int, str]]:
    """What another connection sees committed: (app_id, section) of every submission."""
    rows = run_raw(str(path), "SELECT app_id, section FROM smartpay_submissions ORDER BY app_id")
    return [(int(app_id), str(section)) for app_id, section in rows]


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "state.db"


async def test_calls_of_one_moment_share_a_transaction_committed_before_any_await_returns(
    path: Path,
) -> None:
    backend = SqliteBackend(path)
    store = SqlStore(backend)
    seen_meanwhile: list[list[tuple[int, str]]] = []

    def record_and_look(app_id: int) -> None:
        store.record_submission(app_id, "account", "f" * 64, app=f"shop-{app_id}", at=AT)
        seen_meanwhile.append(sections(path))  # another connection, before the commit

    try:
        await asyncio.gather(*(store.call(record_and_look, app_id) for app_id in range(1, 6)))
        assert sections(path) == [(app_id, "account") for app_id in range(1, 6)]
    finally:
        store.close()
    # One transaction: nothing of the batch was visible elsewhere until all of it was.
    assert seen_meanwhile == [[]] * 5


async def test_a_failing_call_is_undone_alone_and_the_others_of_its_batch_commit(
    path: Path,
) -> None:
    backend = SqliteBackend(path)
    store = SqlStore(backend)

    def half_written() -> None:
        with backend.transaction(write=True) as tx:
            tx.execute(
                "INSERT INTO smartpay_submissions (app_id, section, app, fingerprint, "
                "submitted_us, outcome) VALUES (2, 'account', 'shop-2', 'x', 0, 'pending')"
            )
            raise ValueError("failed after its first statement")

    def record(app_id: int) -> None:
        store.record_submission(app_id, "account", "f" * 64, app=f"shop-{app_id}", at=AT)

    try:
        outcomes = await asyncio.gather(
            store.call(record, 1),
            store.call(half_written),
            store.call(record, 3),
            return_exceptions=True,
        )
    finally:
        store.close()
    assert outcomes[0] is None and outcomes[2] is None
    assert isinstance(outcomes[1], ValueError)
    assert sections(path) == [(1, "account"), (3, "account")]


async def test_a_batch_whose_transaction_is_lost_runs_each_call_again_alone(path: Path) -> None:
    """SQLite itself rolls a whole transaction back on some errors (here a conflict clause
    that says so): every call of that batch is then run on its own, as without batching —
    nothing that was reported written is missing, and the failing call fails alone."""
    backend = SqliteBackend(path)
    store = SqlStore(backend)
    runs: list[str] = []

    def record(app_id: int) -> int:
        runs.append(f"record {app_id}")
        store.record_submission(app_id, "account", "f" * 64, app=f"shop-{app_id}", at=AT)
        return app_id

    def conflicting() -> None:
        runs.append("conflicting")
        with backend.transaction(write=True) as tx:  # the salt exists: ROLLBACK everything
            tx.execute("INSERT OR ROLLBACK INTO smartpay_meta (key, value) VALUES ('salt', 'x')")

    try:
        outcomes = await asyncio.gather(
            store.call(record, 1),
            store.call(conflicting),
            store.call(record, 3),
            return_exceptions=True,
        )
        assert store.get_submission(1, "account") is not None
    finally:
        store.close()
    assert outcomes[0] == 1 and outcomes[2] == 3
    assert isinstance(outcomes[1], StateError)
    assert "UNIQUE constraint failed" in str(outcomes[1])
    assert sections(path) == [(1, "account"), (3, "account")]
    # The batch ran once (the third call found its transaction gone), then each call alone.
    assert runs == ["record 1", "conflicting", "record 3", "record 1", "conflicting", "record 3"]


async def test_a_call_cancelled_before_its_batch_starts_is_not_run(path: Path) -> None:
    store = SqlStore(SqliteBackend(path))
    try:
        first = asyncio.ensure_future(
            store.call(store.record_submission, 1, "account", "f" * 64, app="shop-1", at=AT)
        )
        second = asyncio.ensure_future(
            store.call(store.record_submission, 2, "account", "f" * 64, app="shop-2", at=AT)
        )
        await asyncio.sleep(0)  # both queued; their batch starts on the loop's next turn
        second.cancel()
        await first
        with pytest.raises(asyncio.CancelledError):
            await second
    finally:
        store.close()
    assert sections(path) == [(1, "account")]


async def test_reads_in_a_batch_see_the_writes_before_them(path: Path) -> None:
    store = SqlStore(SqliteBackend(path))
    try:
        _, found, missing = await asyncio.gather(
            store.call(store.record_submission, 7, "account", "a" * 64, app="shop-7", at=AT),
            store.call(store.get_submission, 7, "account"),
            store.call(store.get_submission, 8, "account"),
        )
    finally:
        store.close()
    assert found is not None and found.fingerprint == "a" * 64 and missing is None


@pytest.mark.parametrize("location", BACKENDS, indirect=True)
async def test_call_gives_each_caller_its_own_result_or_error(
    location: str, tmp_path: Path
) -> None:
    """The same contract on both backends (PostgreSQL runs each call in a thread of its own)."""
    store = open_store(location, base_dir=tmp_path)
    try:
        written, failed = await asyncio.gather(
            store.call(store.record_submission, 9, "account", "b" * 64, app="shop-9", at=AT),
            store.call(store.record_outcome, 9, "account", "no-such-outcome", reason=None, at=AT),
            return_exceptions=True,
        )
        record = await store.call(store.get_submission, 9, "account")
    finally:
        store.close()
    assert written is None
    assert isinstance(failed, ValueError)
    assert record is not None and (record.fingerprint, record.outcome) == ("b" * 64, "pending")
