"""The narrow component of a history's differences: the empirical null where real effects crowd
the centre (benchmarks/sigma_estimators.py).

Central matching on the middle half assumes most differences are null. Where a third to a half
of the changes had real effects (Karpathy's H100 night), the middle half holds them and the MAD
reads the noise 2-4x too high. A zero-mean two-Gaussian scale mixture, w·N(0, 2σ²) +
(1 − w)·N(0, v), fitted by EM, separates the null pairs from the rest where the data say there
are two scales: its likelihood ratio against one Gaussian must pass `GATE`, which null nights of
30-300 rows pass in under 1 % of cases. Pure Python, on the latest `LATEST` differences.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass

GATE = 12.0  # 2·Δ log-likelihood; null nights: 99th percentile 6.8-10.3 (sigma_estimators.py)
LATEST = 1000  # differences the mixture is fitted on (the most recent)
TRIM = 20.0  # differences beyond this many MADs of the centre are left out (broken runs)
FLOOR = 1.0 / 25.0  # the narrow variance stays above this share of one Gaussian's (no spike)
MIN_NARROW = 10.0  # expected differences in the narrow component, at least
STEPS = 60
TOLERANCE = 1e-4  # relative change of the narrow variance (σ̂ to ~1e-5)


@dataclass(frozen=True)
class Narrow:
    """σ̂ of the narrow component, its share of the differences, and the gate statistic."""

    sigma: float
    share: float
    lrt: float


def narrow_component(deltas: Sequence[float], mad: float, centre: float) -> Narrow | None:
    """The narrow component of `deltas` (nonzero, centred at `centre`, MAD `mad`) where two
    scales fit them better than one by the gate; None where one Gaussian will do."""
    xs = [d - centre for d in deltas[-LATEST:] if abs(d - centre) < TRIM * mad]
    if len(xs) < 2 * MIN_NARROW:  # (none when the MAD is 0 or NaN)
        return None
    # No shortcut on the sample kurtosis: on 20-60 differences it is too noisy to tell (H100's
    # rows 51-59 read -0.1..0.5 while two scales beat one by 13-17), and only the gate decides.
    w, v1, lrt = two_scales(xs, (1.4826 * mad) ** 2)
    if lrt <= GATE or w * len(xs) < MIN_NARROW:
        return None
    return Narrow(math.sqrt(v1 / 2.0), w, lrt)


def two_scales(xs: Sequence[float], one: float) -> tuple[float, float, float]:
    """(narrow weight, narrow variance, 2·Δ log-likelihood against one Gaussian) of centred
    differences `xs`, EM started from `one`, one Gaussian's variance as the MAD reads it."""
    w, v1, v2 = _fit(xs, one)
    single = math.fsum(x * x for x in xs) / len(xs)  # one Gaussian's maximum-likelihood variance
    return w, v1, 2.0 * (_log_likelihood(xs, w, v1, v2) - _log_likelihood(xs, 1.0, single, single))


def _fit(xs: Sequence[float], one: float) -> tuple[float, float, float]:
    """EM for (w, narrow variance, broad variance), started at a quarter and 4x of `one`."""
    w, v1, v2 = 0.5, one / 4.0, 4.0 * one
    floor, n, exp = one * FLOOR, len(xs), math.exp
    squares = [x * x for x in xs]
    total = math.fsum(squares)
    for _ in range(STEPS):
        r = _shares(squares, w, v1, v2, exp)
        narrow = math.fsum(r)
        if narrow < 1.0 or n - narrow < 1.0:
            break
        new_w = narrow / n
        weighted = math.fsum(map(operator.mul, r, squares))
        new_v1 = max(weighted / narrow, floor)
        new_v2 = max((total - weighted) / (n - narrow), new_v1)
        done = abs(new_v1 - v1) <= TOLERANCE * v1 and abs(new_w - w) <= TOLERANCE
        w, v1, v2 = new_w, new_v1, new_v2
        if done:
            break
    return w, v1, v2


def _shares(
    squares: Sequence[float], w: float, v1: float, v2: float, exp: Callable[[float], float]
) -> list[float]:
    """The narrow component's responsibility for each difference, with one exponential each:
    1 / (1 + odds·e^{k·s}), odds the broad/narrow density ratio at 0, k = (1/v1 − 1/v2)/2 ≥ 0."""
    odds = (1.0 - w) / w * math.sqrt(v1 / v2)
    k = 0.5 * (1.0 / v1 - 1.0 / v2)
    return [1.0 / (1.0 + odds * exp(min(k * s, _EXP_MAX))) for s in squares]


_EXP_MAX = 700.0  # e^700 is finite: a far difference then has a responsibility of ~0


def _log_likelihood(xs: Sequence[float], w: float, v1: float, v2: float) -> float:
    """Log-likelihood of a zero-mean two-Gaussian scale mixture (w = 1: one Gaussian), with one
    exponential a difference: log(c1·e^{−s/2v1}) + log(1 + (c2/c1)·e^{k·s}), k = (1/v1 − 1/v2)/2."""
    squares = [x * x for x in xs]
    base = len(xs) * math.log(w / math.sqrt(2 * math.pi * v1)) - math.fsum(squares) / (2 * v1)
    if w >= 1.0:
        return base
    log_odds = math.log((1.0 - w) / w * math.sqrt(v1 / v2))
    k = 0.5 * (1.0 / v1 - 1.0 / v2)
    return base + math.fsum(_softplus(log_odds + k * s) for s in squares)


def _softplus(u: float) -> float:
    """log(1 + e^u) without overflow."""
    return max(u, 0.0) + math.log1p(math.exp(-abs(u)))
