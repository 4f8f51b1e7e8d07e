"""Time bounds for parsers on long hostile text that hold on a slow or loaded machine.

A 50 KB text must be read within `bound` seconds; where the machine is slow, it passes if it
took at most RATIO times as long as a text a tenth its size (its first and last 5 %): linear
work scales by about 10, a quadratic reader by about 100 (the readers this guards against took
2-56 s on 50 KB).
"""

from __future__ import annotations

import time
from collections.abc import Callable

RATIO = 30.0


def best_of(runs: int, work: Callable[[], object]) -> float:
    """The shortest of `runs` wall times of `work`, in seconds."""
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def tenth(text: str) -> str:
    """A text a tenth as long, of the same make: its first and last twentieth."""
    part = max(len(text) // 20, 1)
    return text[:part] + text[-part:]


def linear_enough(read: Callable[[str], object], text: str, bound: float) -> tuple[bool, str]:
    """(passed, what was measured): `read(text)` within `bound`, else within RATIO times
    `read` of a tenth of the text."""
    big = best_of(2, lambda: read(text))
    if big < bound:
        return True, f"{big:.3f} s"
    small = best_of(3, lambda: read(tenth(text)))
    return big <= RATIO * small, f"{big:.3f} s on {len(text)} chars, {small:.4f} s on a tenth"
