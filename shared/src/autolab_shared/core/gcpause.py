"""The cyclic garbage collector around bulk reads: 10^5 rows are about 10^6 objects, and each
collection of the oldest generation would walk all of them (a third of a verdict's CPU)."""

from __future__ import annotations

import atexit
import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic collection inside the block (reference counting still frees everything that
    makes no cycle, as parsed rows never do); the collector's state is restored after it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def no_collection_at_exit() -> None:
    """At interpreter exit, skip the last cyclic collection (gc.freeze): it walks every object
    still alive, ~10^5 of them once numpy and click are loaded (~15 ms of a 200-row verdict),
    only to free memory the process gives back anyway. For a console script's ``main`` only.
    Finalizers of objects left in reference cycles then do not run at exit (Python never
    promises that they do); files are closed by their ``with`` blocks, stdout is flushed."""
    atexit.register(gc.freeze)
