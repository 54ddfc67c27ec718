"""Bounded concurrency: many jobs, at most N in flight, each result (or error) in order."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


async def bounded_gather(
    jobs: Sequence[Callable[[], Awaitable[T]]], concurrency: int
) -> list[T | BaseException]:
    """Run `jobs` with at most `concurrency` in flight; each result or its exception, in order.

    Workers pull from a shared index instead of one task per job, so 1,000 mini-programs cost
    `concurrency` tasks, not 1,000.
    """
    results: list[T | BaseException] = [None] * len(jobs)  # type: ignore[list-item]
    next_index = 0

    async def worker() -> None:
        nonlocal next_index
        while next_index < len(jobs):
            index = next_index
            next_index += 1
            try:
                results[index] = await jobs[index]()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                results[index] = error

    await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, len(jobs))))))
    return results
