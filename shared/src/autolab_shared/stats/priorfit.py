"""The prior's EM fit in pure Python, on the bands of the grid where each term matters.

Same iteration as :mod:`.priorfit_np` (the NPMLE's EM step, the smoothing step, the spike
left as it was, renormalised), but every likelihood row and smoothing row keeps only the grid
points where its Gaussian factor is at least e^-40 of its peak: weights are at most 1, so a
dropped term is below 4.3e-18 in absolute value. Used while its :func:`work` is below
``prior.PURE_WORK_MAX`` (a few hundred observations with a noise floor of a few grid steps),
where it is faster than importing numpy; wider bands (a noisy metric) go to numpy.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from operator import itemgetter, mul

GAP = 0.001  # a generous distance from an observation to its nearest grid point (estimates)
TAIL_FIT = 40.0  # log units below the peak from which a likelihood or kernel term is dropped

Band = tuple[int, int, list[float]]  # (first index, end index, values on grid[first:end])


def work(grid: Sequence[float], d: Sequence[float], s: Sequence[float], sd: float) -> int:
    """Terms one EM step touches here (the likelihood's bands twice, the smoother's once)."""
    spread = sd * math.sqrt(2.0 * TAIL_FIT)
    terms = sum(bisect_right(grid, g + spread) - bisect_left(grid, g - spread) for g in grid)
    for di, si in zip(d, s, strict=True):
        radius = si * math.sqrt(2.0 * TAIL_FIT) + GAP
        terms += 2 * (bisect_right(grid, di + radius) - bisect_left(grid, di - radius))
    return terms


def _likelihood_rows(grid: Sequence[float], d: Sequence[float], s: Sequence[float]) -> list[Band]:
    """Each observation's Gaussian likelihood on the grid, rescaled to 1 at its nearest point."""
    rows = []
    last = len(grid) - 1
    for di, si in zip(d, s, strict=True):
        j = min(bisect_left(grid, di), last)
        gap = min(abs(di - grid[k]) for k in (max(j - 1, 0), j))
        radius = math.sqrt(gap * gap + 2.0 * TAIL_FIT * si * si)
        lo, hi = bisect_left(grid, di - radius), bisect_right(grid, di + radius)
        z2 = [((di - g) / si) ** 2 for g in grid[lo:hi]]
        least = min(z2)
        rows.append((lo, hi, [math.exp(-0.5 * (v - least)) for v in z2]))
    return rows


def _columns(
    rows: list[Band], size: int
) -> list[tuple[Callable[[list[float]], tuple[float, ...]], list[float]]]:
    """The likelihood by grid point: a getter of the rows that reach it, and their values."""
    idx: list[list[int]] = [[] for _ in range(size)]
    val: list[list[float]] = [[] for _ in range(size)]
    for i, (lo, _, values) in enumerate(rows):
        for j, v in enumerate(values, lo):
            idx[j].append(i)
            val[j].append(v)
    return [(_getter(ix), vs) for ix, vs in zip(idx, val, strict=True)]


def _getter(indices: list[int]) -> Callable[[list[float]], tuple[float, ...]]:
    """A function that picks ``indices`` out of a list, as a tuple."""
    if len(indices) == 1:
        only = indices[0]
        return lambda r: (r[only],)
    if not indices:
        return lambda r: ()
    return itemgetter(*indices)


def _smoother_rows(grid: Sequence[float], zero: int, sd: float) -> list[Band]:
    """The column-normalised Gaussian smoothing matrix by rows; the atom at 0 is left out."""
    radius = sd * math.sqrt(2.0 * TAIL_FIT)
    rows: list[Band] = []
    colsum = [0.0] * len(grid)
    for i, gi in enumerate(grid):
        if i == zero:
            rows.append((0, 0, []))
            continue
        lo, hi = bisect_left(grid, gi - radius), bisect_right(grid, gi + radius)
        kernel = [
            0.0 if j == zero else math.exp(-0.5 * ((gi - grid[j]) / sd) ** 2) for j in range(lo, hi)
        ]
        rows.append((lo, hi, kernel))
        for j, v in enumerate(kernel, lo):
            colsum[j] += v
    return [
        (lo, hi, [v / max(colsum[j], 1e-300) for j, v in enumerate(kernel, lo)])
        for lo, hi, kernel in rows
    ]


def em(
    grid: Sequence[float],
    zero: int,
    w: list[float],
    d: Sequence[float],
    s: Sequence[float],
    sd: float,
    iters: int,
    compress_above: int,
    step: float,
) -> list[float]:
    """``iters`` EM steps from the weights ``w`` (normalised); ``d`` are never binned here."""
    del compress_above, step  # the numpy fit's binning; this one fits every observation
    rows = _likelihood_rows(grid, d, s)
    columns = _columns(rows, len(grid))
    smoother = _smoother_rows(grid, zero, sd)
    n = len(d)
    for _ in range(iters):
        r = [1.0 / max(sum(map(mul, lik, w[lo:hi])), 1e-300) for lo, hi, lik in rows]
        w = [
            wj * sum(map(mul, vals, pick(r))) / n
            for wj, (pick, vals) in zip(w, columns, strict=True)
        ]
        spike = w[zero]
        w = [sum(map(mul, k, w[lo:hi])) for lo, hi, k in smoother]
        w[zero] = spike
        total = sum(w)
        w = [v / total for v in w]
    return w
