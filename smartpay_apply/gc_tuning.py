"""The cyclic garbage collector tuned for a command line that builds many objects at once,
and kept out of the interpreter's shut-down.

Why: a command builds millions of objects that are no garbage: the modules it imports (~0.5 s
of classes, functions and models for `plan`), the answers, models and changes of 1,000
mini-programs. With Python's default threshold (700 allocations) the collector walked them
again and again: 138 collections and 44-58 ms during `plan`'s imports alone, ~250 more and
~0.15 s during a plan of 1,000, ~150 and 0.055 s during an export of 100,000 orders (issue 16,
bench/README.md). A larger young generation gives the same collections (cycles are still
freed; reference counting frees the rest at once) a tenth as often: 24 during the imports
(18-23 ms). Set by the console script's `main` before anything else, for every command: the
long-running ones (controller, the servers) allocate in bursts too.
"""

from __future__ import annotations

import gc

#: Allocations between young collections (default 700), and young collections per middle one
#: (default 10). Peak memory of `plan` of 1,000 mini-programs: unchanged (88 MB).
BATCH_THRESHOLDS = (10_000, 20)


def for_batch() -> None:
    """Collect cycles less often for the rest of this process (a command's run)."""
    young, middle = BATCH_THRESHOLDS
    old = gc.get_threshold()[2]
    gc.set_threshold(young, middle, old)


def before_exit() -> None:
    """Spare the interpreter's shut-down a last walk over every object still alive.

    Why: after the command's work, Python's finalisation runs a full collection over what the
    run left in memory (a plan of 1,000 mini-programs: ~1 million objects), 0.08-0.2 s of CPU
    added to every command's wall time for nothing (issue 16). Frozen objects are skipped by
    that collection; they are still freed by reference counting as the modules are cleared.
    Called once the command has returned its exit code: no cycle needs collecting after it.
    """
    gc.freeze()
