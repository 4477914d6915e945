"""Python's cyclic garbage collector kept out of the way of a load.

Loading a fact base (or restoring one from its snapshot file) creates millions of long-lived
objects and next to no cyclic garbage; with the collector on, each of its full collections
walks the whole growing heap again: 40 % of a load's CPU at 1,000 executors and a third of a
restore's at 10,000 (bench/README, "Issue 14: the collector during a load").
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic collector off for the block, then as it was (reference counting still frees
    everything not in a cycle). It is one switch for the process: a load in a background thread
    pauses it for the threads serving meanwhile too, whose cyclic garbage waits until the load
    ends.

    >>> with collector_paused():
    ...     gc.isenabled()
    False
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
