"""The noise floor of a history without replicates: an empirical null (Efron 2004, 2010 ch. 6).

Between two keeps every row is the same incumbent plus one change, so the difference of two
consecutive non-kept rows is (δ_i − δ_j) + (ε_i − ε_j): pure noise N(0, 2σ²) when both changes
did nothing, wider when they did. Assumption (stated in every output): the central peak of
those differences is made of near-null changes. Central matching on the middle half (the MAD,
Rousseeuw & Croux 1993) then gives σ̂ = 1.4826·MAD/√2, robust to real effects in the tails.
Where real effects crowd the centre too, two scales fit the differences better than one, and
the narrow one is the null (`nullmixture`). Exact zeros (logging duplicates, not runs) are left
out. Pure Python but for the medians of a long history's differences (numpy, imported there).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from operator import attrgetter

from autolab_shared.core.eqrepr import EqRepr
from autolab_shared.core.scale import Scale
from autolab_shared.core.vocabulary import Status
from autolab_shared.parsing.experiment import Experiment
from autolab_shared.parsing.replicates import replicate_keys
from autolab_shared.parsing.status import DISCARD, KEEP
from autolab_shared.stats.nullmixture import LATEST, Narrow, narrow_component

MIN_PAIRS = 10
MAX_ZERO_SHARE = 0.5
MAD_TO_SD = 1.4826
# Variance of the MAD-based σ̂ is about 1.36 σ²/n for independent normal data (37 % efficiency,
# df ≈ 0.37·n); consecutive differences overlap, which the simulation (benchmarks/sigma_sim.py)
# puts at about half that information.
DF_PER_PAIR = 0.37 * 0.5
BULK = 5000  # differences from which the medians are taken with numpy
ESTIMATOR = "empirical null: 1.4826*MAD/sqrt(2) of differences of consecutive non-kept rows"
MIXTURE = (
    "empirical null: narrow component ({share:.0%} of differences) of a two-Gaussian scale"
    " mixture of differences of consecutive non-kept rows (likelihood ratio {lrt:.0f} against"
    " one Gaussian)"
)


@dataclass(eq=False, repr=False)
class NullNoise(EqRepr):
    """σ̂ from the central peak of the history's deltas, on how many differences, and the
    share of them the narrow component holds (1 for the MAD reading)."""

    sigma: float
    pairs: int
    zeros: int
    share: float = 1.0
    lrt: float | None = None

    @property
    def df(self) -> float:
        """Effective degrees of freedom (its weight when pooled with replicates): the
        differences that carry it."""
        return DF_PER_PAIR * self.pairs * self.share

    @property
    def estimator(self) -> str:
        """How σ̂ was read, in words."""
        if self.lrt is None:
            return ESTIMATOR
        return MIXTURE.format(share=self.share, lrt=self.lrt)


def consecutive_deltas(
    experiments: Sequence[Experiment],
    scale: Scale,
    keys: Sequence[str] | None = None,
    skip: str | None = None,
) -> list[float]:
    """Differences of consecutive non-kept first runs between keeps, on the working scale.

    A row counts as kept by its status word, or greedily (better than every earlier value)
    when it has none; repeat runs of one configuration and crashes are skipped, and so are the
    rows of replicate key `skip` (as if they were not in the history).
    """
    values = list(map(attrgetter("value"), experiments))
    statuses = list(map(attrgetter("status"), experiments))
    return deltas_of_columns(values, statuses, keys or replicate_keys(experiments), scale, skip)


def deltas_of_columns(
    values: Sequence[float | None],
    statuses: Sequence[Status],
    keys: Sequence[str],
    scale: Scale,
    skip: str | None = None,
    rows: list[int] | None = None,
) -> list[float]:
    """`consecutive_deltas` of rows given as their value, status and key columns; `rows`, when
    given, receives the index of each difference's later row."""
    seen: set[str] = {skip} if skip is not None else set()
    out: list[float] = []
    last: float | None = None
    best = math.inf
    sign, log, ln = scale.sign, scale.log, math.log  # scale.to_x inlined: a call per row
    for i, (value, key, status) in enumerate(zip(values, keys, statuses, strict=True)):
        if value is None or key in seen:
            continue
        seen.add(key)
        x = sign * (ln(value) if log else value)
        if status == KEEP or (status != DISCARD and x < best):  # kept (greedy without a word)
            if x < best:
                best = x
            last = None
        elif last is not None:
            out.append(x - last)
            last = x
            if rows is not None:
                rows.append(i)
        else:
            last = x
    return out


def empirical_null(deltas: Sequence[float], *, bulk: int = BULK) -> NullNoise | None:
    """σ̂ by central matching, or None when there is no usable central peak. From `bulk`
    differences on, the medians are taken with numpy (the same floats)."""
    if len(deltas) >= bulk:
        return _null_of(*_bulk_medians(deltas))
    nonzero = [d for d in deltas if d != 0.0]
    if len(nonzero) < MIN_PAIRS or len(deltas) - len(nonzero) > MAX_ZERO_SHARE * len(deltas):
        return None
    centre = _median(nonzero)
    mad = _median([abs(d - centre) for d in nonzero])
    return _null_of(mad, len(nonzero), len(deltas), _narrow(nonzero, mad, centre))


def _bulk_medians(deltas: Sequence[float]) -> tuple[float, int, int, Narrow | None]:
    """(MAD, nonzero count, count, narrow component) of `deltas`, the MAD NaN when it would be
    None above."""
    import numpy as np  # here: a short history never loads it

    array = np.asarray(deltas, dtype=float)
    nonzero = array[array != 0.0]
    if len(nonzero) < MIN_PAIRS or len(array) - len(nonzero) > MAX_ZERO_SHARE * len(array):
        return math.nan, len(nonzero), len(array), None
    centre = _median(np.sort(nonzero).tolist())
    mad = _median(np.sort(np.abs(nonzero - centre)).tolist())
    return mad, len(nonzero), len(array), _narrow(nonzero[-LATEST:].tolist(), mad, centre)


def _narrow(nonzero: Sequence[float], mad: float, centre: float) -> Narrow | None:
    """The narrow component where it reads the noise below the MAD, else None (also for a
    MAD that is not positive: `narrow_component` then keeps no difference)."""
    narrow = narrow_component(nonzero, mad, centre)
    return narrow if narrow is not None and narrow.sigma < _mad_sigma(mad) else None


def _mad_sigma(mad: float) -> float:
    """σ̂ of central matching: 1.4826·MAD of the differences, over √2."""
    return MAD_TO_SD * mad / math.sqrt(2.0)


def _null_of(mad: float, pairs: int, count: int, narrow: Narrow | None) -> NullNoise | None:
    """The null of a MAD on `pairs` nonzero differences out of `count`, or of the narrow
    component when there is one; None for a MAD that is not positive (NaN included)."""
    if not mad > 0:
        return None
    if narrow is not None:
        return NullNoise(narrow.sigma, pairs, count - pairs, narrow.share, narrow.lrt)
    return NullNoise(_mad_sigma(mad), pairs, count - pairs)


def _median(values: Sequence[float]) -> float:
    """``statistics.median`` (the same arithmetic) without importing statistics (2 ms)."""
    data = sorted(values)
    n = len(data)
    if n % 2:
        return data[n // 2]
    return (data[n // 2 - 1] + data[n // 2]) / 2
