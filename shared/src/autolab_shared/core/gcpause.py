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


def no_collection_until_exit() -> None:
    """For a console script's ``main`` only: the cyclic collector off for the rest of the
    process, and no last collection at exit (gc.freeze). Turned back on at the end, it would
    walk every object the run made in one pass; at exit, every object still alive, ~10^5 once
    numpy and click are loaded (~15 ms of a 200-row verdict), only to free memory the process
    gives back anyway. Finalizers of objects left in reference cycles then do not run at exit
    (Python never promises that they do); files are closed by their ``with`` blocks, stdout
    is flushed."""
    gc.disable()
    atexit.register(gc.freeze)
