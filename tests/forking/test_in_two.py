"""`forking.in_two`: half the work in a forked child, the same answer as without it.

Each case runs in a fresh interpreter (a subprocess): whether it forks depends on the process
having a single thread, which a test process cannot promise.
"""

from __future__ import annotations

import os
import sys

import pytest

from tests.forking.fresh import CHILDREN_LEFT, run_fresh

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or len(os.sched_getaffinity(0)) < 2,
    reason="in_two forks only on Linux with two cores",
)

PRELUDE = """
import json, os, sys, threading, time
from smartpay_apply.forking import in_two
parent = os.getpid()
def squares(some):
    return {"pid": os.getpid(), "values": [n * n for n in some]}
"""


def run(body: str, env: dict[str, str] | None = None) -> dict:  # type: ignore[type-arg]
    """Run PRELUDE + body in a new interpreter; its last line of output, as JSON."""
    return run_fresh(PRELUDE + CHILDREN_LEFT, body, env)


def test_the_second_half_is_done_in_a_child_and_the_order_kept() -> None:
    result = run(
        """
        parts = in_two(list(range(10)), squares, min_items=4)
        print(json.dumps({"parent": parent, "parts": parts}))
        """
    )
    first, second = result["parts"]
    assert first == {"pid": result["parent"], "values": [0, 1, 4, 9, 16]}
    assert second["pid"] != result["parent"]
    assert second["values"] == [25, 36, 49, 64, 81]


@pytest.mark.parametrize(
    ("setup", "env"),
    [
        ("items = list(range(3))", {}),  # fewer than min_items
        ("items = list(range(10))", {"SMARTPAY_READ_PROCESSES": "1"}),  # turned off
        (  # another thread: a lock it holds would stay held in a child
            "items = list(range(10)); "
            "threading.Thread(target=time.sleep, args=(5,), daemon=True).start()",
            {},
        ),
    ],
    ids=["few-items", "turned-off", "threads"],
)
def test_no_child_when_it_would_not_pay_or_not_be_safe(setup: str, env: dict[str, str]) -> None:
    result = run(
        f"""
        {setup}
        parts = in_two(items, squares, min_items=4)
        print(json.dumps({{"parent": parent, "parts": parts}}))
        """,
        env,
    )
    (only,) = result["parts"]
    assert only["pid"] == result["parent"]


def test_a_child_that_fails_has_its_half_done_here() -> None:
    result = run(
        """
        def fragile(some):
            if os.getpid() != parent:
                raise RuntimeError("only in the child")
            return squares(some)
        parts = in_two(list(range(6)), fragile, min_items=2)
        print(json.dumps({"parent": parent, "parts": parts}))
        """
    )
    assert [part["pid"] for part in result["parts"]] == [result["parent"]] * 2
    assert [part["values"] for part in result["parts"]] == [[0, 1, 4], [9, 16, 25]]


def test_an_error_here_leaves_no_child_behind() -> None:
    result = run(
        """
        def failing_here(some):
            if os.getpid() == parent:
                raise ValueError("in the parent")
            time.sleep(30)  # the child would outlive the parent's error
            return []
        try:
            in_two(list(range(6)), failing_here, min_items=2)
        except ValueError as error:
            caught = str(error)
        children = children_left()
        print(json.dumps({"caught": caught, "children": children}))
        """
    )
    assert result == {"caught": "in the parent", "children": "none"}


def test_the_child_takes_its_share_of_the_items() -> None:
    result = run(
        """
        parts = in_two(list(range(20)), squares, min_items=4, child_share=0.45)
        print(json.dumps({"parent": parent, "parts": parts}))
        """
    )
    mine, theirs = result["parts"]
    assert len(mine["values"]) == 11 and len(theirs["values"]) == 9
    assert mine["values"] + theirs["values"] == [n * n for n in range(20)]
    assert theirs["pid"] != result["parent"]
