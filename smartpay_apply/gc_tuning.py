"""The cyclic garbage collector tuned for a batch command that builds many small objects,
and kept out of the interpreter's shut-down.

Why: `plan` of 1,000 mini-programs allocates millions of short-lived objects (answers, models,
changes) but few reference cycles. With Python's default threshold (700) the collector runs
~250 times per plan, each young collection walking every container allocated since the last
and promoting survivors, and the older generations are swept again and again: ~0.15 s of CPU
(issue 16, bench/README.md). A larger young generation gives the same collections (cycles are
still freed, reference counting frees the rest at once) ~15 times per plan instead. A data
export is the same kind of batch: 100,000 orders went through ~150 collections (0.055 s of
CPU), now ~10 (0.025 s).
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
