"""A one-line unicode sparkline (▁▂▃▄▅▆▇█) of metric values, crashes shown as gaps."""

from __future__ import annotations

import math
from collections.abc import Sequence

BARS = "▁▂▃▄▅▆▇█"
GAP = " "


def _buckets(n: int, width: int) -> list[range]:
    """``n`` positions cut into at most ``width`` consecutive, nearly equal runs."""
    count = min(n, width)
    edges = [round(i * n / count) for i in range(count + 1)]
    return [range(edges[i], edges[i + 1]) for i in range(count)]


def _clip_range(values: Sequence[float]) -> tuple[float, float]:
    """The 5th to 95th percentile when there are 20 values or more (outliers would flatten it)."""
    ordered = sorted(values)
    if len(ordered) < 20:
        return ordered[0], ordered[-1]
    last = len(ordered) - 1
    return ordered[round(0.05 * last)], ordered[round(0.95 * last)]


def sparkline(
    values: Sequence[float | None], *, width: int = 60, higher_better: bool = False
) -> str:
    """One character per experiment (or per run of them when there are more than ``width``).

    A run of experiments shows its best value (lowest, or highest with ``higher_better``); a
    run of crashes only (None or non-finite values) is a gap. Bar height follows the value.
    """
    if not values or width < 1:
        return ""
    finite = [v for v in values if v is not None and math.isfinite(v)]
    if not finite:
        return GAP * min(len(values), width)
    lo, hi = _clip_range(finite)
    chars = []
    for bucket in _buckets(len(values), width):
        got = [v for v in (values[i] for i in bucket) if v is not None and math.isfinite(v)]
        if not got:
            chars.append(GAP)
            continue
        value = min(max(got) if higher_better else min(got), hi)
        level = 0.0 if hi == lo else (max(value, lo) - lo) / (hi - lo)
        chars.append(BARS[min(int(level * len(BARS)), len(BARS) - 1)])
    return "".join(chars)
