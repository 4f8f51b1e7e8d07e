"""The incumbent as a posterior N(m, v) on the working scale, updated by every run.

Kept runs update it through the shrunken effect; discarded runs are partial replicates of it
(ignoring them would condition on the discard events, a selection bias). This removes the
winner's curse of "best observed value" reporting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from autolab_shared.core.eqrepr import EqRepr

if TYPE_CHECKING:
    from autolab_shared.core.arrays import FloatArray


@dataclass(eq=False, repr=False)
class Incumbent(EqRepr):
    """Posterior mean and variance of the incumbent's true working value."""

    mean: float
    var: float
    key: str = ""

    @property
    def sd(self) -> float:
        """Posterior sd."""
        return float(np.sqrt(self.var))


def start(runs: FloatArray, sigma2: float, key: str = "") -> Incumbent:
    """The baseline: the mean of its runs, variance σ²/n."""
    return Incumbent(float(np.mean(runs)), sigma2 / len(runs), key)


def after_candidate(
    inc: Incumbent,
    post: FloatArray,
    grid: FloatArray,
    xbar: float,
    n: int,
    sigma2: float,
    *,
    kept: bool,
    key: str = "",
    bin_var: FloatArray,
) -> Incumbent:
    """Update with a candidate's n runs (mean xbar) given the posterior over its effect.

    ``bin_var`` is each grid point's own spread (``EffectPrior.bin_var``): where the grid is
    coarse, the effect's grid point says little about the incumbent (a discard) or about the
    new one (a keep, whose own runs then tell).
    """
    s2n = max(sigma2 / n, 1e-18)
    # each grid point g gives the posterior of the (new) incumbent as base + f·r with variance
    # f·b, f = a / (a + b): a keep weighs its runs (variance a) against m + g (variance b), a
    # discard weighs m (a) against its runs minus g (b); bin_var widens b where the grid is coarse
    if kept:
        a, b = s2n, bin_var + inc.var
        base, r = xbar, grid + (inc.mean - xbar)
    else:
        a, b = max(inc.var, 1e-18), bin_var + s2n
        base, r = inc.mean, (xbar - inc.mean) - grid
    f = np.divide(a, b + a)  # in place below: a replay calls this once per configuration
    b *= f  # each point's own variance, f·b
    r *= f
    shift = float(post @ r)
    # the spread about the mean, from centred terms (E[x²] − E[x]² loses digits where the
    # values dwarf their spread: a profit of 5e10 with an sd of 5e3 on a linear scale)
    r -= shift
    r *= r
    var = float(post @ b) + float(post @ r)
    return Incumbent(base + shift, max(var, 1e-18), key if kept else inc.key)


def confirm(inc: Incumbent, y: float, sigma2: float) -> Incumbent:
    """A plain Gaussian update with one more run of the incumbent itself."""
    var = 1.0 / (1.0 / max(inc.var, 1e-18) + 1.0 / max(sigma2, 1e-18))
    return Incumbent(var * (inc.mean / max(inc.var, 1e-18) + y / max(sigma2, 1e-18)), var, inc.key)
