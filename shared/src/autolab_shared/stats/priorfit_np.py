"""The prior's EM fit with numpy: for many observations (binned above ``compress_above``).

The same iteration as :mod:`.priorfit` on the whole likelihood matrix; numpy's import is
paid only by histories long enough to need it (the audit, a verdict on thousands of rows).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from autolab_shared.core.arrays import FloatArray


def _likelihood(d: FloatArray, s: FloatArray, grid: FloatArray) -> FloatArray:
    """Row-rescaled Gaussian likelihood of each observation at each grid point."""
    z2 = ((d[:, None] - grid[None, :]) / s[:, None]) ** 2
    z2 -= z2.min(axis=1, keepdims=True)
    out: FloatArray = np.exp(-0.5 * z2)
    return out


def _compress(
    d: FloatArray, s: FloatArray, step: float, above: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Observations as distinct (d, s) pairs with counts; beyond ``above`` of them, d is
    rounded to step/8 and s to 1 % first (the likelihood matrix then stays small)."""
    if d.size <= above:
        return d, s, np.ones(d.size)
    dq = np.round(d / (step / 8)) * (step / 8)
    sq = np.exp(np.round(np.log(s) / 0.01) * 0.01)
    pairs, count = np.unique(np.stack([dq, sq], axis=1), axis=0, return_counts=True)
    return pairs[:, 0], pairs[:, 1], count.astype(np.float64)


def _smoother(grid: FloatArray, zero: int, sd: float) -> FloatArray:
    kernel = np.exp(-0.5 * ((grid[:, None] - grid[None, :]) / sd) ** 2)
    kernel[zero, :] = 0.0
    kernel[:, zero] = 0.0
    out: FloatArray = kernel / np.maximum(kernel.sum(axis=0, keepdims=True), 1e-300)
    return out


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
    """``iters`` EM steps from the weights ``w`` (normalised)."""
    g = np.asarray(grid, dtype=np.float64)
    dd, ss = np.asarray(d, dtype=np.float64), np.asarray(s, dtype=np.float64)
    dq, sq, count = _compress(dd, ss, step, compress_above)
    lik = _likelihood(dq, sq, g)
    smoother = _smoother(g, zero, sd)
    ww = np.asarray(w, dtype=np.float64)
    for _ in range(iters):
        ww = ww * (lik.T @ (count / np.maximum(lik @ ww, 1e-300))) / dd.size
        spike = ww[zero]
        ww = smoother @ ww
        ww[zero] = spike
        ww /= ww.sum()
    out: list[float] = ww.tolist()
    return out
