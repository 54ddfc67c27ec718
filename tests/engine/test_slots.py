"""The executor's concurrency slots (engine/slots.py): a mini-program coming back from an audit
wait goes before those not started yet; never more holders than slots; cancellation leaves
the count as it was."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from smartpay_apply.engine.decide import DecideOptions
from smartpay_apply.engine.executor import Executor, Wiring
from smartpay_apply.engine.options import ApplyOptions
from smartpay_apply.engine.planner import Planner
from smartpay_apply.engine.slots import Slots
from smartpay_apply.engine.waiting import Backoff
from tests.engine.world import PAY, TP_TOKEN, World, open_world, spec_with_images

FAST = Backoff(initial=0.01, factor=1.0, maximum=0.01)


async def settle() -> None:
    """Let every task that can run, run (no I/O in these tests)."""
    for _ in range(5):
        await asyncio.sleep(0)


async def holder(slots: Slots, name: str, order: list[str], *, returning: bool = False) -> None:
    await slots.acquire(returning=returning)
    order.append(name)


async def test_a_returning_waiter_is_served_before_new_ones_each_in_turn() -> None:
    slots = Slots(1)
    await slots.acquire()  # held
    order: list[str] = []
    tasks = [
        asyncio.ensure_future(holder(slots, "new-1", order)),
        asyncio.ensure_future(holder(slots, "new-2", order)),
        asyncio.ensure_future(holder(slots, "back-1", order, returning=True)),
        asyncio.ensure_future(holder(slots, "back-2", order, returning=True)),
    ]
    await settle()
    assert order == []  # one slot, held
    for _ in tasks:
        slots.release()
        await settle()
    assert order == ["back-1", "back-2", "new-1", "new-2"]
    await asyncio.gather(*tasks)


async def test_never_more_holders_than_slots() -> None:
    slots = Slots(2)
    order: list[str] = []
    tasks = [asyncio.ensure_future(holder(slots, f"h{n}", order)) for n in range(4)]
    await settle()
    assert order == ["h0", "h1"]  # h2, h3 wait
    slots.release()  # h0 done
    await settle()
    assert order == ["h0", "h1", "h2"]
    slots.release()  # h1 done
    await settle()
    assert order == ["h0", "h1", "h2", "h3"]
    await asyncio.gather(*tasks)
    slots.release()  # h2 done
    slots.release()  # h3 done: both free again, two take them at once, a third waits
    taken = [asyncio.ensure_future(holder(slots, f"t{n}", order)) for n in range(3)]
    await settle()
    assert order[-2:] == ["t0", "t1"] and not taken[2].done()
    taken[2].cancel()
    await asyncio.gather(*taken, return_exceptions=True)


async def test_a_new_waiter_cancelled_after_being_handed_a_slot_passes_it_on() -> None:
    slots = Slots(1)
    await slots.acquire()
    order: list[str] = []
    first = asyncio.ensure_future(holder(slots, "first", order))
    second = asyncio.ensure_future(holder(slots, "second", order))
    await settle()
    slots.release()  # handed to `first` ...
    first.cancel()  # ... which is cancelled before it runs
    await settle()
    assert first.cancelled()
    assert order == ["second"]
    await second


async def test_a_returning_waiter_cancelled_still_counts_until_it_releases() -> None:
    """The executor releases a mini-program's slot on its way out even when its wait's
    re-acquire was cancelled: that release must not free a slot somebody else holds."""
    slots = Slots(1)
    await slots.acquire()  # A
    slots.release()  # A gives its slot up for a wait
    await slots.acquire()  # B takes it
    back = asyncio.ensure_future(slots.acquire(returning=True))  # A comes back: waits
    await settle()
    back.cancel()
    with pytest.raises(asyncio.CancelledError):
        await back
    slots.release()  # A's way out
    order: list[str] = []
    c = asyncio.ensure_future(holder(slots, "C", order))
    await settle()
    assert order == []  # B still holds the only slot
    slots.release()  # B done
    await settle()
    assert order == ["C"]
    await c


# ---------------------------------------------------------------- in the executor


class Shown:
    """A progress sink that tells the test when a wait has ended."""

    def __init__(self) -> None:
        self.finished: dict[str, asyncio.Event] = {}

    def ended(self, message: str) -> asyncio.Event:
        return self.finished.setdefault(message, asyncio.Event())

    def start(self, key: str, label: str) -> None:
        pass

    def finish(self, key: str, message: str) -> None:
        self.ended(message).set()

    def note(self, message: str) -> None:
        pass


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async for made in open_world(tmp_path):
        yield made


def one_slot_planner(world: World, *, concurrency: int) -> Planner:
    """A planner of the sandbox world's mini-programs (their tokens `sandbox-<app_id>`)."""
    return Planner(
        app_api=lambda spec: world.api.app(f"sandbox-{spec.app_id}"),
        store=world.store,
        options=DecideOptions(),
        concurrency=concurrency,
    )


def one_slot_executor(world: World, planner: Planner, shown: Shown) -> Executor:
    """An executor with one slot that waits for audits (the cases below contend for it)."""
    return Executor(
        planner,
        Wiring(
            app_api=lambda spec: world.api.app(f"sandbox-{spec.app_id}"),
            tp_api=lambda spec: world.api.tp(TP_TOKEN),
            recorder=world.recorder,
            store=world.store,
        ),
        ApplyOptions(wait=True, wait_timeout=60, concurrency=1, backoff=FAST),
        shown,
    )


async def test_a_mini_program_whose_audit_ended_goes_on_before_one_not_started(
    world: World, tmp_path: Path
) -> None:
    """Concurrency 1, three mini-programs: while B holds the slot, A's account is approved
    and C has not started. When B gives the slot up (its own wait), A goes on first: its
    developer config is sent before C's account is created."""
    a, b, c = (
        spec_with_images(tmp_path, app_id).model_copy(update={"app": f"shop-{app_id}"})
        for app_id in (5301, 5302, 5303)
    )
    planner = one_slot_planner(world, concurrency=3)
    plans = [await planner.plan(spec) for spec in (a, b, c)]
    shown = Shown()
    running = one_slot_executor(world, planner, shown)
    a_created = world.transport.hold("/account/create")
    task = asyncio.ensure_future(running.run(list(zip((a, b, c), plans, strict=True))))
    try:
        await world.transport.reached["/account/create"].wait()  # A's, in the only slot
        b_created = world.transport.hold("/account/create")
        a_created.set()
        await world.transport.reached["/account/create"].wait()  # B's: A gave the slot up
        await world.approve(a.app_id, "account")
        await shown.ended(f"{a.app}: account: approved").wait()  # A is back, C never started
        b_created.set()  # B gives the slot up for its own wait
        while not await world.calls("/developconfig/submit"):
            await asyncio.sleep(0.01)
        sent = [
            (call["app_id"], call["path"].removeprefix(PAY))
            for call in (await world.admin("GET", "calls"))["calls"]
        ]
        assert (a.app_id, "/developconfig/submit") in sent
        assert (c.app_id, "/account/create") not in sent[
            : sent.index((a.app_id, "/developconfig/submit"))
        ]
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_an_audits_outcome_is_recorded_before_the_slot_is_taken_back(
    world: World, tmp_path: Path
) -> None:
    """Concurrency 1: while B holds the only slot (its account's create unanswered), A's
    account is approved. Recording that outcome is part of A's wait, not work that needs a
    slot: the store has it at once, before B gives the slot up."""
    a, b = (
        spec_with_images(tmp_path, app_id).model_copy(update={"app": f"shop-{app_id}"})
        for app_id in (5311, 5312)
    )
    planner = one_slot_planner(world, concurrency=2)
    plans = [await planner.plan(spec) for spec in (a, b)]
    shown = Shown()
    running = one_slot_executor(world, planner, shown)
    held = [world.transport.hold("/account/create")]
    task = asyncio.ensure_future(running.run(list(zip((a, b), plans, strict=True))))
    try:
        await world.transport.reached["/account/create"].wait()  # A's, in the only slot
        held.append(world.transport.hold("/account/create"))
        held[0].set()
        await world.transport.reached["/account/create"].wait()  # B's: B holds the slot now
        await world.approve(a.app_id, "account")
        await shown.ended(f"{a.app}: account: approved").wait()

        async def recorded() -> None:
            while True:
                record = world.store.get_submission(a.app_id, "account")
                if record is not None and record.outcome == "approved":
                    return
                await asyncio.sleep(0.01)

        await asyncio.wait_for(recorded(), 10)  # never, while B holds the slot, before
        assert not held[1].is_set() and not task.done()
    finally:
        for release in held:
            release.set()  # B's create answered: a step under way is finished, then stopped
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
