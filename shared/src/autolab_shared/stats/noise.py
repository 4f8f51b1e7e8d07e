"""The noise floor: run-to-run sd of one experiment, from replicates and from the history.

Estimator: pooled within-group variance of rows that measured the same configuration, with a
scaled-inverse-χ² prior σ0², ν0: σ̂² = (ν0·σ0² + Σ_g Σ_r (x_gr − x̄_g)²) / (ν0 + Σ_g (n_g − 1)),
on the working (log) scale. The prior is the history's empirical null (:mod:`.nullnoise`,
weighted by its effective df) when the history has one, else σ0 = 0.1 % with ν0 = 1.
The spread of keeps is never used: it measures the size of accepted improvements, not noise.
numpy is imported where values are pooled, so a history without replicates does not load it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from autolab_shared.core.eqrepr import EqRepr
from autolab_shared.stats.nullnoise import NullNoise, empirical_null

if TYPE_CHECKING:
    from autolab_shared.core.arrays import FloatArray

SIGMA0 = 0.001
NU0 = 1.0
ROBUST_MIN_DF = 6
NULL_PRIOR_DF = 1.0  # weight of the empirical null as the prior of replicates (as σ0's ν0)
NULL_CHECK_DF = 2.0  # replicate df from which replicates alone give σ̂ (the null is a note)
OUTLIER_Z = 5.0

ESTIMATOR = "pooled within-replicate-group sd with a scaled-inv-chi2 prior (sigma0=0.1%, nu0=1)"
COMBINED = "pooled within-replicate-group sd, with the empirical null as its prior (1 df)"


@dataclass(eq=False, repr=False)
class NoiseFloor(EqRepr):
    """σ̂ of one run on the working scale, with where it came from and on how much data."""

    sigma: float
    df: float
    source: str  # 'replicates' | 'window' | 'history' | 'replicates+history' | 'window+history'
    # | 'given' | 'default'
    estimator: str
    groups: int
    values: int
    robust_sigma: float | None = None
    outliers: tuple[int, ...] = ()  # positions in the flattened group values
    note: str = ""
    total_df: float = 0.0  # replicate df of all groups, windowed or not (drives calibration)
    null: NullNoise | None = None  # the history's empirical null, when it has one
    log: bool = True  # False: on a linear scale (a value <= 0), σ is in the metric's units

    @property
    def shown(self) -> str:
        """σ̂ as a reader sees it: "0.039%" (relative) or, on a linear scale, "0.8968"."""
        return f"{self.sigma:.2%}" if self.log else f"{self.sigma:.4g}"

    @property
    def replicate_df(self) -> float:
        """Degrees of freedom from replicates alone (all groups, windowed or not)."""
        if self.source in ("given", "default", "history"):
            return math.inf if self.source == "given" else 0.0
        return self.total_df - (NULL_PRIOR_DF if self.source.endswith("+history") else 0.0)

    @property
    def known(self) -> bool:
        """True when σ was given (its uncertainty is then ignored)."""
        return self.source == "given"


def given_noise(sigma: float) -> NoiseFloor:
    """A noise floor the user knows (``--noise``), already on the working scale."""
    return NoiseFloor(
        max(sigma, 0.0), math.inf, "given", "given with --noise", 0, 0, total_df=math.inf
    )


def given_relative(sigma: float, values: Sequence[float], log: bool) -> NoiseFloor:
    """A known noise floor in metric units, made relative to the median value on a log scale."""
    import numpy as np

    ref = float(np.median(values)) if len(values) else 1.0
    return replace(given_noise(sigma / abs(ref) if log and ref else sigma), log=log)


def pooled_noise(
    groups: Sequence[Sequence[float]],
    *,
    window: int = 5,
    sigma0: float = SIGMA0,
    nu0: float = NU0,
) -> NoiseFloor:
    """Pool the last ``window`` replicate groups (0 = all); the prior alone when there are none."""
    usable = [list(g) for g in groups if len(g) >= 2]
    if not usable:
        return NoiseFloor(sigma0, 0.0, "default", ESTIMATOR, 0, 0, note="no replicates")
    import numpy as np

    chosen = usable[-window:] if window > 0 else usable
    source = "window" if len(chosen) < len(usable) else "replicates"
    ss = sum(float(np.sum((np.asarray(g) - np.mean(g)) ** 2)) for g in chosen)
    df = float(sum(len(g) - 1 for g in chosen))
    sigma = math.sqrt((nu0 * sigma0**2 + ss) / (nu0 + df))
    robust, outliers, note = _robust_check(chosen, sigma, df)
    n_values = sum(len(g) for g in chosen)
    total_df = float(sum(len(g) - 1 for g in usable))
    return NoiseFloor(
        sigma, df, source, ESTIMATOR, len(chosen), n_values, robust, outliers, note, total_df
    )


def history_noise(
    groups: Sequence[Sequence[float]],
    deltas: Sequence[float],
    *,
    window: int = 5,
    log: bool = True,
) -> NoiseFloor:
    """The shared estimate: replicates pooled with the history's empirical null as their prior.

    Without replicates the empirical null alone; with fewer than 2 replicate df, the null as
    the replicates' prior (1 df, in place of the default σ0); from 2 replicate df on, replicates
    alone (the null only in a note: near-null effects widen it); with neither, the default.
    """
    return noise_with_null(groups, empirical_null(deltas), window=window, log=log)


def noise_with_null(
    groups: Sequence[Sequence[float]],
    null: NullNoise | None,
    *,
    window: int = 5,
    log: bool = True,
) -> NoiseFloor:
    """`history_noise` with the empirical null already taken (the audit reuses one); `log`
    False marks a linear working scale (σ in the metric's units, and said so in the note)."""
    return replace(_with_null(groups, null, window, log), log=log)


def _with_null(
    groups: Sequence[Sequence[float]], null: NullNoise | None, window: int, log: bool
) -> NoiseFloor:
    if null is None:
        return pooled_noise(groups, window=window)
    if not any(len(g) >= 2 for g in groups):
        return NoiseFloor(
            null.sigma, null.df, "history", null.estimator, 0, 0, total_df=null.df, null=null
        )
    alone = pooled_noise(groups, window=window)
    if alone.total_df >= NULL_CHECK_DF:
        note = (
            f"replicates ({_shown(alone.sigma, log)}) are used; the history's empirical null"
            f" says {_shown(null.sigma, log)} ({null.pairs} differences)"
        )
        return replace(alone, null=null, note="; ".join(filter(None, (alone.note, note))))
    floor = pooled_noise(groups, window=window, sigma0=null.sigma, nu0=NULL_PRIOR_DF)
    return replace(
        floor,
        source=f"{floor.source}+history",
        estimator=COMBINED,
        total_df=floor.total_df + NULL_PRIOR_DF,
        null=null,
    )


def _shown(sigma: float, log: bool) -> str:
    """σ̂ in a note: relative in % on a log scale, in the metric's units on a linear one."""
    return f"{sigma * 100:.3f}%" if log else f"{sigma:.4g}"


def _residuals(groups: Sequence[Sequence[float]]) -> FloatArray:
    """Within-group residuals scaled by √(n/(n−1)) so each has the run sd."""
    import numpy as np

    parts = [
        (np.asarray(g) - np.mean(g)) * math.sqrt(len(g) / (len(g) - 1))
        for g in groups
        if len(g) > 1
    ]
    return np.concatenate(parts) if parts else np.zeros(0)


def _robust_check(
    groups: Sequence[Sequence[float]], sigma: float, df: float
) -> tuple[float | None, tuple[int, ...], str]:
    """MAD-based σ cross-check and outlier flags once there are enough replicates."""
    if df < ROBUST_MIN_DF:
        return None, (), ""
    import numpy as np

    res = _residuals(groups)
    mad = _median(np.abs(res - _median(res)))
    robust = 1.4826 * mad
    outliers: tuple[int, ...] = ()
    if mad > 0:
        z = 0.6745 * (res - _median(res)) / mad
        outliers = tuple(int(i) for i in np.flatnonzero(np.abs(z) > OUTLIER_Z))
    note = ""
    if robust > 0 and max(sigma / robust, robust / sigma) > 1.5:
        note = f"robust MAD estimate {robust:.3g} differs from the pooled sd by more than 1.5x"
    return robust, outliers, note


def _median(values: FloatArray) -> float:
    """``np.median`` of a 1-d array without NaN (the middle value, or the mean of the two middle
    ones, as np.median computes it), without the numpy.ma import np.median makes (30 ms)."""
    import numpy as np

    ordered, mid = np.sort(values), values.size // 2
    if values.size % 2:
        return 0.0 + float(ordered[mid])  # numpy's mean starts from 0.0: -0.0 reads 0.0
    return (0.0 + float(ordered[mid - 1]) + float(ordered[mid])) / 2


def min_replicate_df(n_experiments: int) -> int:
    """Replicate df wanted before single runs are trusted: max(2, N/70) (≈1.5 % of runs)."""
    return max(2, round(n_experiments / 70))
