"""Pareto front of (metric value, memory) points: the metric has a direction, memory is minimised.

Callers drop rows without a finite value or memory (crashes, missing memory) before building
:class:`Point` objects; :func:`pareto_front` and :func:`dominating` still ignore non-finite
points defensively, and :func:`pareto_status` refuses a non-finite candidate.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from autolab_shared.core.eqrepr import EqRepr
from autolab_shared.parsing.metrics import MAX, MIN

EFFICIENT = "EFFICIENT"
DOMINATED = "DOMINATED"


@dataclass(eq=False, repr=False)
class Point(EqRepr):
    """One experiment as a point: a label (commit or row index), its metric value and memory."""

    key: str
    value: float
    memory_gb: float

    @property
    def is_finite(self) -> bool:
        """True when both the value and the memory are finite numbers."""
        return math.isfinite(self.value) and math.isfinite(self.memory_gb)


def _sign(direction: str) -> float:
    """+1 for ``min`` and -1 for ``max``: ``sign * value`` is then lower-is-better."""
    if direction == MIN:
        return 1.0
    if direction == MAX:
        return -1.0
    raise ValueError(f"direction must be '{MIN}' or '{MAX}', not {direction!r}")


def dominates(a: Point, b: Point, direction: str) -> bool:
    """True when ``a`` is at least as good as ``b`` in value and memory, strictly in one."""
    sign = _sign(direction)
    va, vb = sign * a.value, sign * b.value
    if va > vb or a.memory_gb > b.memory_gb:
        return False
    return va < vb or a.memory_gb < b.memory_gb


def pareto_front(points: Sequence[Point], direction: str) -> tuple[Point, ...]:
    """The non-dominated finite points, by memory ascending; of exact duplicates the first stays.

    Sort by (memory, value best first, input order), then sweep keeping each point whose value
    is strictly better than every point before it: O(n log n).
    """
    sign = _sign(direction)
    ordered = sorted(
        (p for p in points if p.is_finite),
        key=lambda p: (p.memory_gb, sign * p.value),
    )  # sorted() is stable, so equal points keep their input order
    front: list[Point] = []
    best = math.inf
    for point in ordered:
        score = sign * point.value
        if score < best:
            front.append(point)
            best = score
    return tuple(front)


def dominating(candidate: Point, others: Sequence[Point], direction: str) -> tuple[Point, ...]:
    """The finite points of ``others`` that dominate ``candidate``, in input order."""
    _sign(direction)
    return tuple(p for p in others if p.is_finite and dominates(p, candidate, direction))


def pareto_status(candidate: Point, others: Sequence[Point], direction: str) -> str:
    """``'EFFICIENT'`` when no point of ``others`` dominates ``candidate``, else ``'DOMINATED'``.

    A candidate with a non-finite value or memory raises ValueError (callers filter those).
    """
    if not candidate.is_finite:
        raise ValueError(f"point {candidate.key!r} has no finite value and memory")
    return DOMINATED if dominating(candidate, others, direction) else EFFICIENT
