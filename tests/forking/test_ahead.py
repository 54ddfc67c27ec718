"""`forking.Ahead`: a generator's items made in a forked child, the same as without it.

Each case runs in a fresh interpreter (a subprocess): whether it forks depends on the process
having a single thread, which a test process cannot promise.
"""

from __future__ import annotations

import os
import sys
import textwrap

import pytest

from tests.forking.fresh import CHILDREN_LEFT, run_fresh

pytestmark = [
    pytest.mark.skipif(
        not sys.platform.startswith("linux") or len(os.sched_getaffinity(0)) < 2,
        reason="Ahead forks only on Linux with two cores",
    ),
    pytest.mark.slow,  # a new interpreter per case
]

PRELUDE = """
import asyncio, json, os, sys, threading, time
from smartpay_apply.forking import Ahead
parent = os.getpid()

def numbers(count, then=None):
    for n in range(count):
        yield {"n": n, "pid": os.getpid()}
    if then is not None:
        raise then

def collect(produce):
    got, error = [], None
    async def main(ahead):
        nonlocal error
        try:
            async for item in ahead.items():
                got.append(item)
        except Exception as caught:
            error = {"type": type(caught).__name__, "text": str(caught)}
    with Ahead(produce, whole=os.environ.get("AHEAD_WHOLE") == "1") as ahead:
        forked = ahead.forked
        if os.environ.get("AHEAD_MODE") == "collect":  # every item, waited for, no loop
            try:
                got = ahead.collect()
            except Exception as caught:
                error = {"type": type(caught).__name__, "text": str(caught)}
        else:
            asyncio.run(main(ahead))
    children = children_left()
    return {"parent": parent, "forked": forked, "items": got, "error": error,
            "children": children}
"""


@pytest.fixture(autouse=True, params=["items", "collect"])
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each case through `items()` (the event loop's) and through `collect()` (no loop)."""
    monkeypatch.setenv("AHEAD_MODE", request.param)
    return str(request.param)


def run(body: str, env: dict[str, str] | None = None) -> dict:  # type: ignore[type-arg]
    """Run PRELUDE + body in a new interpreter; its last line of output, as JSON."""
    return run_fresh(PRELUDE + CHILDREN_LEFT, body, env)


def values(result: dict) -> list[int]:  # type: ignore[type-arg]
    return [item["n"] for item in result["items"]]


def pids(result: dict) -> set[int]:  # type: ignore[type-arg]
    return {item["pid"] for item in result["items"]}


def test_the_items_are_made_in_a_child_in_order() -> None:
    result = run("print(json.dumps(collect(lambda: numbers(50))))")
    assert result["forked"] is True
    assert values(result) == list(range(50))
    assert result["parent"] not in pids(result)
    assert result["error"] is None
    assert result["children"] == "none"


def test_the_childs_exception_is_raised_here_after_its_items(mode: str) -> None:
    result = run("print(json.dumps(collect(lambda: numbers(3, ValueError('spec 7 is wrong')))))")
    if mode == "items":  # collect() raises instead of returning what came before
        assert values(result) == [0, 1, 2]
        assert result["parent"] not in pids(result)
    assert result["error"] == {"type": "ValueError", "text": "spec 7 is wrong"}


def test_an_exception_that_cannot_be_sent_is_raised_by_making_the_items_here(
    mode: str,
) -> None:
    result = run(
        """
        class Unpicklable(Exception):
            def __init__(self, first, second):  # pickling rebuilds it with one argument
                super().__init__(f"{first} and {second}")
        print(json.dumps(collect(lambda: numbers(3, Unpicklable("one", "two")))))
        """
    )
    assert values(result) == ([0, 1, 2] if mode == "items" else [])  # none twice
    assert result["error"] == {"type": "Unpicklable", "text": "one and two"}
    assert result["children"] == "none"


@pytest.mark.parametrize(
    "fragile",
    [
        # the child dies after its third item
        """
        def fragile():
            for item in numbers(6):
                if os.getpid() != parent and item["n"] == 3:
                    os._exit(3)
                yield item
        """,
        # an item that cannot be pickled (only in the child: a lambda in it)
        """
        def fragile():
            for item in numbers(6):
                if os.getpid() != parent and item["n"] == 3:
                    item = {**item, "unpicklable": lambda: None}
                yield item
        """,
    ],
    ids=["child-dies", "unpicklable-item"],
)
def test_a_child_that_fails_has_the_rest_made_here(fragile: str) -> None:
    result = run(textwrap.dedent(fragile) + "print(json.dumps(collect(fragile)))\n")
    assert values(result) == [0, 1, 2, 3, 4, 5]
    by_value = {item["n"]: item["pid"] for item in result["items"]}
    assert {by_value[n] for n in (0, 1, 2)} != {result["parent"]}
    assert {by_value[n] for n in (3, 4, 5)} == {result["parent"]}
    assert result["children"] == "none"


@pytest.mark.parametrize(
    ("setup", "env"),
    [
        ("", {"SMARTPAY_READ_PROCESSES": "1"}),  # turned off
        (  # another thread: a lock it holds would stay held in a child
            "threading.Thread(target=time.sleep, args=(5,), daemon=True).start()",
            {},
        ),
    ],
    ids=["turned-off", "threads"],
)
def test_no_child_when_it_would_not_be_safe(setup: str, env: dict[str, str], mode: str) -> None:
    result = run(f"{setup}\nprint(json.dumps(collect(lambda: numbers(5, KeyError('k')))))\n", env)
    assert result["forked"] is False
    assert values(result) == (list(range(5)) if mode == "items" else [])
    assert pids(result) <= {result["parent"]}
    assert result["error"] == {"type": "KeyError", "text": "'k'"}


def test_leaving_early_leaves_no_child_behind() -> None:
    result = run(
        """
        def endless():
            n = 0
            while True:  # the child would write until its pipe is full, then wait forever
                yield {"n": n, "pid": os.getpid()}
                n += 1
        async def first_three(ahead):
            got = []
            async for item in ahead.items():
                got.append(item["n"])
                if len(got) == 3:
                    break
            return got
        with Ahead(endless) as ahead:
            got = asyncio.run(first_three(ahead))
        children = children_left()
        print(json.dumps({"got": got, "children": children}))
        """
    )
    assert result == {"got": [0, 1, 2], "children": "none"}


def test_items_never_asked_for_leave_no_child_behind() -> None:
    result = run(
        """
        with Ahead(lambda: numbers(100_000)) as ahead:
            pass  # e.g. the store could not be opened before the first spec was wanted
        children = children_left()
        print(json.dumps({"children": children}))
        """
    )
    assert result == {"children": "none"}


def test_the_child_keeps_a_wave_ahead_and_no_further() -> None:
    """The child runs ahead of a slow reader by a bounded number of items (the pipe's room):
    enough for the first requests' specs to wait ready, not the whole project at once."""
    result = run(
        """
        def big(count):
            for n in range(count):
                yield {"n": n, "pid": os.getpid(), "made": time.monotonic(), "pad": f"{n:05d}" * 800}
        async def slowly(ahead):
            got = []
            async for item in ahead.items():
                if not got:
                    await asyncio.sleep(1.0)  # the child makes all it can meanwhile
                    looked = time.monotonic()
                got.append(item)
            return got, looked
        with Ahead(lambda: big(1000)) as ahead:
            got, looked = asyncio.run(slowly(ahead))
        made = sum(1 for item in got if item["made"] < looked)
        print(json.dumps({"made": made, "count": len(got), "parent": parent,
                          "pids": sorted({item["pid"] for item in got})}))
        """
    )
    assert result["count"] == 1000
    assert result["parent"] not in result["pids"]
    assert 32 <= result["made"] <= 150


def test_items_pickled_with_one_memo_come_back_equal_and_share_what_they_shared() -> None:
    """The child pickles its items with one memo across frames (classes, field names and
    shared values sent once): each frame still unpickles to an equal item, in order."""
    from decimal import Decimal

    from smartpay_apply.forking import _StreamPickler, _StreamUnpickler

    shared = {"bank": "招商银行", "rate": Decimal("0.6")}
    items = [{"n": n, "shared": shared, "own": [n] * 3} for n in range(50)]
    pickled, unpickle = _StreamPickler(), _StreamUnpickler()
    frames = [pickled(item) for item in items]
    back = [unpickle(frame) for frame in frames]
    assert back == items
    assert all(item["shared"] is back[0]["shared"] for item in back)
    assert len(frames[1]) < len(frames[0])  # the shared value went once


def test_a_whole_child_sends_the_same_items_and_the_same_end(mode: str) -> None:
    """`whole=True` (apply: every spec at once, after its own imports): the same items in the
    same order, then the same exception, through `items()` and `collect()` alike."""
    result = run(
        """
        print(json.dumps(collect(lambda: numbers(300, ValueError("the last file is wrong")))))
        """,
        {"AHEAD_WHOLE": "1"},
    )
    assert result["error"] == {"type": "ValueError", "text": "the last file is wrong"}
    if mode == "items":
        assert values(result) == list(range(300))
        assert result["parent"] not in pids(result)


def test_a_whole_child_is_done_before_the_reader_looks() -> None:
    result = run(
        """
        def big(count):
            for n in range(count):
                yield {"n": n, "pid": os.getpid(), "made": time.monotonic(), "pad": f"{n:05d}" * 800}
        with Ahead(lambda: big(400), whole=True) as ahead:
            time.sleep(1.5)  # this process imports meanwhile
            looked = time.monotonic()
            got = ahead.collect()
        print(json.dumps({"made_before": sum(item["made"] < looked for item in got),
                          "values": [item["n"] for item in got], "parent": parent,
                          "pids": sorted({item["pid"] for item in got})}))
        """
    )
    assert result["values"] == list(range(400))
    assert result["made_before"] == 400  # a streaming child would stop at the pipe's room
    assert result["parent"] not in result["pids"]
