"""The incumbent as a posterior N(m, v) on the working scale, updated by every run.

Kept runs update it through the shrunken effect; discarded runs are partial replicates of it
(ignoring them would condition on the discard events, a selection bias). This removes the
winner's curse of "best observed value" reporting.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from autolab_shared.stats.prior import Posterior


@dataclass(frozen=True)
class Incumbent:
    """Posterior mean and variance of the incumbent's true working value."""

    mean: float
    var: float
    key: str = ""

    @property
    def sd(self) -> float:
        """Posterior sd."""
        return math.sqrt(self.var)


def start(runs: Sequence[float], sigma2: float, key: str = "") -> Incumbent:
    """The baseline: the mean of its runs, variance σ²/n."""
    return Incumbent(sum(map(float, runs)) / len(runs), sigma2 / len(runs), key)


def after_candidate(
    inc: Incumbent,
    post: Posterior,
    xbar: float,
    n: int,
    sigma2: float,
    *,
    kept: bool,
    key: str = "",
) -> Incumbent:
    """Update with a candidate's n runs (mean xbar) given the posterior over its effect."""
    wa, wb = 1.0 / max(inc.var, 1e-18), n / max(sigma2, 1e-18)
    # the shifted mean is affine in δ: m_k = a + b·δ, so its spread is b²·Var(δ | data)
    den = wa + wb
    a = (wa * inc.mean + wb * xbar) / den
    b = wa / den if kept else -wb / den
    centre = post.mean()
    spread = post.expect([(g - centre) ** 2 for g in post.support])
    mean = a + b * centre
    var = 1.0 / den + b * b * spread
    return Incumbent(mean, max(var, 1e-18), key if kept else inc.key)


def confirm(inc: Incumbent, y: float, sigma2: float) -> Incumbent:
    """A plain Gaussian update with one more run of the incumbent itself."""
    var = 1.0 / (1.0 / max(inc.var, 1e-18) + 1.0 / max(sigma2, 1e-18))
    return Incumbent(var * (inc.mean / max(inc.var, 1e-18) + y / max(sigma2, 1e-18)), var, inc.key)
