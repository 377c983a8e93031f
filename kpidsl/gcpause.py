"""Pausing Python's cyclic garbage collector while a large acyclic structure is built or read.

Syntax trees, models, plans and results hold no reference cycles, so a collection while millions of
their objects appear only walks them for nothing. ``paused_gc()`` is the one way the code pauses it.
"""

from __future__ import annotations

import contextlib
import gc
from typing import Iterator


def settle() -> None:
    """Move the objects the collector tracks into its oldest generation, without walking them.

    Call it with collection paused, after building a large acyclic structure. Otherwise the next
    collection of the youngest generation walks every new node, and the next of the middle one walks
    them again: a pass over the whole structure per stage. ``gc.freeze()`` then ``gc.unfreeze()``
    moves them in O(1); they are freed as before when no longer referenced, and still looked at by
    full collections. Skipped when someone else froze objects."""
    if gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()


@contextlib.contextmanager
def paused_gc(settle_after: bool = False) -> Iterator[None]:
    """Collection paused for the block; with ``settle_after``, what the block built is settled into
    the oldest generation (see ``settle``) before collection resumes. Nested uses are no-ops."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            if settle_after:
                settle()
            gc.enable()
