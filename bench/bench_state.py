"""What the state store's common operations cost, on SQLite and (if given) PostgreSQL.

    .venv/bin/python bench/bench_state.py [--events 500] [--processes 4] [--postgres URL]

For each backend: opening a new store (creating the schema) and reopening it; storing distinct
audit events one by one (each a durable commit, as the receiver does before answering
`success`); the same from several processes at once; a lock taken and released; an encrypted
secret rotated with compare-and-swap. Prints operations per second; asserts nothing.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from smartpay_apply.state import AuditEvent, LockOwner, open_store  # noqa: E402
from smartpay_apply.timeutil import parse_baidu_time  # noqa: E402

START = parse_baidu_time("2030-01-01 00:00:00")


def _events(store_location: str, base: str, offset: int, count: int) -> None:
    with open_store(store_location, base_dir=Path(base)) as store:
        for index in range(count):
            store.record_event(
                AuditEvent(
                    app_id=1000 + index % 50,
                    tp_app_id=1,
                    event="APP_PAYMENT_CREATE_PAYMENT_PASS",
                    event_time=START + timedelta(seconds=offset + index),
                )
            )


def bench(name: str, location: str, base: str, events: int, processes: int) -> None:
    began = time.perf_counter()
    store = open_store(location, base_dir=Path(base))
    created = time.perf_counter() - began
    store.close()
    began = time.perf_counter()
    store = open_store(location, base_dir=Path(base))
    reopened = time.perf_counter() - began

    began = time.perf_counter()
    _events(location, base, 0, events)
    sequential = events / (time.perf_counter() - began)

    context = multiprocessing.get_context("fork")
    workers = [
        context.Process(
            target=_events, args=(location, base, 10_000_000 * (n + 1), events // processes)
        )
        for n in range(processes)
    ]
    began = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    parallel = (events // processes * processes) / (time.perf_counter() - began)

    owner = LockOwner.current("r-bench")
    rounds = 200
    began = time.perf_counter()
    for _ in range(rounds):
        assert store.acquire_lock(1, owner, ttl=60)
        store.release_lock(1, owner)
    locks = rounds / (time.perf_counter() - began)

    store.put_secret("app/1/refresh_token", "rt-0")
    began = time.perf_counter()
    for step in range(rounds):
        assert store.replace_secret("app/1/refresh_token", f"rt-{step}", f"rt-{step + 1}")
    rotations = rounds / (time.perf_counter() - began)
    stored = len(store.list_events())
    store.close()

    print(f"{name}:")
    print(f"  open new store (schema)     {created * 1000:8.1f} ms")
    print(f"  reopen                      {reopened * 1000:8.1f} ms")
    print(f"  record_event, 1 process     {sequential:8.0f} /s")
    print(f"  record_event, {processes} processes   {parallel:8.0f} /s")
    print(f"  lock acquire+release        {locks:8.0f} /s")
    print(f"  secret CAS rotation         {rotations:8.0f} /s")
    print(
        f"  events stored               {stored:8d} (expected {events + events // processes * processes})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--postgres", help="a PostgreSQL server URL; a scratch schema is used")
    args = parser.parse_args()
    import os

    os.environ.setdefault("SMARTPAY_STATE_KEY", "bench-key-" + uuid.uuid4().hex)
    with tempfile.TemporaryDirectory() as base:
        bench("SQLite", str(Path(base) / "state.db"), base, args.events, args.processes)
        if args.postgres:
            import psycopg

            schema = f"bench_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(args.postgres, autocommit=True) as conn:
                conn.execute(f'CREATE SCHEMA "{schema}"')
            try:
                url = f"{args.postgres}{'&' if '?' in args.postgres else '?'}options=-csearch_path%3D{schema}"
                bench("PostgreSQL", url, base, args.events, args.processes)
            finally:
                with psycopg.connect(args.postgres, autocommit=True) as conn:
                    conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


if __name__ == "__main__":
    main()
