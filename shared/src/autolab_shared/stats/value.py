"""Value of information: is one more run of this candidate worth more than a fresh idea?

A decision is worth its expected gain when it keeps; with a keep floor (no keep below
P(better) = ``floor``), a candidate below the floor is discarded and is worth 0, now and after
the next run alike.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from autolab_shared.stats.prior import EffectPrior

if TYPE_CHECKING:
    from autolab_shared.core.arrays import FloatArray


def _kept_gain(prior: EffectPrior, d: FloatArray, se: float, floor: float) -> FloatArray:
    """The gain of deciding at each observed delta: −E[δ] when kept (> 0, P ≥ floor), else 0."""
    if floor <= 0:
        return np.maximum(0.0, -prior.posterior_means(d, se))
    means, better = prior.posterior_summary(d, se)
    return np.where(better >= floor, np.maximum(0.0, -means), 0.0)


def evsi_one_more_run(
    prior: EffectPrior,
    post: FloatArray,
    d: float,
    n: int,
    sigma2: float,
    v: float,
    floor: float = 0.0,
) -> float:
    """Expected gain from deciding after one more run minus the gain of deciding now."""
    grid = prior.grid
    rho = v / (v + sigma2 / n)
    var_u = v * (sigma2 / n) / (v + sigma2 / n)
    m_k = (n * d + grid + (d - grid) * rho) / (n + 1)
    sd = math.sqrt(var_u + sigma2) / (n + 1)
    se_next = math.sqrt(sigma2 / (n + 1) + v)
    centre = float(post @ m_k)
    spread = math.sqrt(max(float(post @ (m_k**2)) - centre**2, 0.0))
    dg = np.linspace(centre - 6 * (sd + spread), centre + 6 * (sd + spread), 81).astype(np.float64)
    dens = (post[None, :] * np.exp(-0.5 * ((dg[:, None] - m_k[None, :]) / sd) ** 2)).sum(axis=1)
    dens /= dens.sum()
    v_next = float(dens @ _kept_gain(prior, dg, se_next, floor))
    p_now = float(post[grid < 0].sum())
    v_now = max(0.0, -float(post @ grid)) if p_now >= floor else 0.0
    return v_next - v_now


_SLOTS: dict[tuple[int, float, float, float], float] = {}


def fresh_slot_value(prior: EffectPrior, sigma2: float, v: float, floor: float = 0.0) -> float:
    """Expected gain of a fresh candidate (memoised on the prior and the rounded variances)."""
    key = (hash(prior.weights.tobytes()), float(f"{sigma2:.3g}"), float(f"{v:.2g}"), floor)
    if key not in _SLOTS:
        if len(_SLOTS) > 4096:
            _SLOTS.clear()
        _SLOTS[key] = _fresh_slot_value(prior, sigma2, v, floor)
    return _SLOTS[key]


def _fresh_slot_value(prior: EffectPrior, sigma2: float, v: float, floor: float) -> float:
    """Expected gain of spending one run on a fresh candidate decided after one run."""
    se = math.sqrt(sigma2 + v)
    w, grid = prior.weights, prior.grid
    mu = float(w @ grid)
    sd = math.sqrt(max(float(w @ grid**2) - mu**2, 0.0) + se**2)
    dg = np.linspace(mu - 6 * sd, mu + 6 * sd, 161).astype(np.float64)
    dens = (w[None, :] * np.exp(-0.5 * ((dg[:, None] - grid[None, :]) / se) ** 2)).sum(axis=1)
    dens /= dens.sum()
    return float(dens @ _kept_gain(prior, dg, se, floor))


RETEST_Z = np.linspace(-4.0, 4.0, 17)  # deltas, in units of their sd, where EVSI is evaluated
_Key = tuple[int, int, float, float, float, float]
_INTERVALS: dict[_Key, tuple[float, float] | None] = {}
_WORSE_ENDS: dict[_Key, float | None] = {}


def retest_interval(
    prior: EffectPrior,
    n: int,
    sigma2: float,
    v: float,
    slot: float,
    floor: float = 0.0,
    *,
    better_end: bool = True,
) -> tuple[float, float] | None:
    """The z = delta/sd range in which one more run is worth more than ``slot`` (a fresh idea).

    The hull of the z values on :data:`RETEST_Z` where the EVSI exceeds the slot value, so that
    a better measured value never moves a candidate from RETEST back to a worse label. With
    ``better_end=False`` only the worse end (the largest such z) is searched, from the top
    down, and the better end is given as −inf. Memoised on the prior's weights and the rounded
    variances (an audit asks thousands of times).
    """
    weights = hash(prior.weights.tobytes())  # a refitted prior is another prior
    key = (weights, n, float(f"{sigma2:.3g}"), float(f"{v:.2g}"), float(f"{slot:.2g}"), floor)
    if better_end:
        return _interval(key, prior, n, sigma2, v, slot, floor)
    end = _worse_end(key, prior, n, sigma2, v, slot, floor)
    return None if end is None else (-math.inf, end)


def _interval(
    key: _Key, prior: EffectPrior, n: int, sigma2: float, v: float, slot: float, floor: float
) -> tuple[float, float] | None:
    if key not in _INTERVALS:
        if len(_INTERVALS) > 4096:
            _INTERVALS.clear()
        worth = [float(z) for z in RETEST_Z if _worth(z, prior, n, sigma2, v, slot, floor)]
        _INTERVALS[key] = (min(worth), max(worth)) if worth else None
    return _INTERVALS[key]


def _worse_end(
    key: _Key, prior: EffectPrior, n: int, sigma2: float, v: float, slot: float, floor: float
) -> float | None:
    """The largest z worth a re-run: the first found from the top down (or the memoised hull's)."""
    if key in _INTERVALS:
        whole = _INTERVALS[key]
        return None if whole is None else whole[1]
    if key not in _WORSE_ENDS:
        if len(_WORSE_ENDS) > 4096:
            _WORSE_ENDS.clear()
        worse = (z for z in RETEST_Z[::-1] if _worth(z, prior, n, sigma2, v, slot, floor))
        _WORSE_ENDS[key] = next((float(z) for z in worse), None)
    return _WORSE_ENDS[key]


def _worth(
    z: float, prior: EffectPrior, n: int, sigma2: float, v: float, slot: float, floor: float
) -> bool:
    """Whether one more run of a candidate measured at z sd from the incumbent beats ``slot``."""
    s = math.sqrt(sigma2 / n + v)
    return evsi_one_more_run(prior, prior.posterior(z * s, s), z * s, n, sigma2, v, floor) > slot
