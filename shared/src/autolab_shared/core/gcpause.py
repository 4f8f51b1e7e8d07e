"""The cyclic garbage collector around bulk reads: 10^5 rows are about 10^6 objects, and each
collection of the oldest generation would walk all of them (a third of a verdict's CPU)."""

from __future__ import annotations

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
