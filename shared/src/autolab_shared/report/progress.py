"""What the progress chart shows, as plain data: points, running best, noise band, doubtful keeps.

The chart is the one of Karpathy's ``analysis.ipynb`` (every experiment in order, keeps on a
running-best step line) with two additions: a band of ± one noise-floor sd (the audit's pooled
estimate, :mod:`.noise`) around the running best, and keeps the audit does not believe (their
configuration fails empirical-Bayes false-discovery control, :mod:`.audit`). Drawing is the
CLI's job; everything here works for lower- and higher-is-better metrics.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy

from autolab_shared.core.scale import Scale
from autolab_shared.parsing.metrics import MAX
from autolab_shared.parsing.results import Experiment, History
from autolab_shared.parsing.status import DISCARD, KEEP
from autolab_shared.stats.audit import Audit
from autolab_shared.stats.pareto import Point, pareto_front


@dataclass(frozen=True)
class ProgressPoint:
    """One experiment on the chart (``value`` None for a crash)."""

    index: int
    value: float | None
    status: str
    kept: bool
    believed: bool
    commit: str
    description: str


@dataclass(frozen=True)
class NightCounts:
    """How many experiments the night ran, kept, discarded and crashed: the one source of every
    count a chart title, a report or a summary shows (the baseline counts as kept)."""

    experiments: int
    kept: int
    discarded: int
    crashed: int


def night_counts(history: History) -> NightCounts:
    """The counts of :class:`NightCounts`, kept as :func:`kept_flags` decides."""
    flags = kept_flags(history.experiments, history.direction)
    crashed = sum(e.value is None for e in history.experiments)
    kept = sum(flags)
    return NightCounts(len(flags), kept, len(flags) - kept - crashed, crashed)


@dataclass(frozen=True)
class Progress:
    """Everything the progress chart draws, in metric units."""

    metric: str
    direction: str
    points: tuple[ProgressPoint, ...]
    best: tuple[float | None, ...]  # running best after each experiment
    band_low: tuple[float | None, ...]
    band_high: tuple[float | None, ...]
    baseline: float | None
    counts: NightCounts

    @property
    def final_best(self) -> float | None:
        """The running best after the last experiment."""
        return self.best[-1] if self.best else None


def better(a: float, b: float, direction: str) -> bool:
    """True when ``a`` is strictly better than ``b``."""
    return a > b if direction == MAX else a < b


def kept_flags(experiments: Sequence[Experiment], direction: str) -> list[bool]:
    """Which rows the loop kept: keep rows and the first valued row; unlabelled rows greedily."""
    flags: list[bool] = []
    best: float | None = None
    for exp in experiments:
        value = exp.value
        if value is None:
            kept = False
        elif best is None:
            kept = True  # the first measured row is the baseline
        elif exp.status in (KEEP, DISCARD):
            kept = exp.status == KEEP
        else:
            kept = better(value, best, direction)
        flags.append(kept)
        if kept and value is not None and (best is None or better(value, best, direction)):
            best = value
    return flags


def running_best(
    values: Sequence[float | None], kept: Sequence[bool], direction: str
) -> list[float | None]:
    """The best kept value so far at each position (None before the first keep)."""
    out: list[float | None] = []
    best: float | None = None
    for value, keep in zip(values, kept, strict=True):
        if keep and value is not None and (best is None or better(value, best, direction)):
            best = value
        out.append(best)
    return out


def noise_band(
    best: Sequence[float | None], sigma: float, scale: Scale
) -> tuple[list[float | None], list[float | None]]:
    """best ± one noise sd; ``sigma`` is on the working scale (relative when ``scale.log``)."""
    low: list[float | None] = []
    high: list[float | None] = []
    for value in best:
        if value is None:
            low.append(None)
            high.append(None)
            continue
        half = scale.spread_y(sigma, scale.to_x(value))
        low.append(value - half)
        high.append(value + half)
    return low, high


def unbelieved_keeps(audit: Audit) -> frozenset[int]:
    """Experiment indices of kept configurations that fail empirical-Bayes FDR control."""
    return frozenset(
        exp.index
        for row in audit.rows
        if row.kept and row.assessment is not None and not row.survives_eb
        for exp in row.config.rows
    )


def progress(history: History, audit: Audit) -> Progress:
    """The progress chart's data for a history and its audit."""
    exps = history.experiments
    kept = kept_flags(exps, history.direction)
    doubtful = unbelieved_keeps(audit)
    points = tuple(
        ProgressPoint(
            e.index, e.value, e.status, k, not (k and e.index in doubtful), e.commit, e.description
        )
        for e, k in zip(exps, kept, strict=True)
    )
    best = running_best([e.value for e in exps], kept, history.direction)
    low, high = noise_band(best, audit.noise.sigma, audit.scale)
    baseline = next((e.value for e in exps if e.value is not None), None)
    return Progress(
        history.metric,
        history.direction,
        points,
        tuple(best),
        tuple(low),
        tuple(high),
        baseline,
        night_counts(history),
    )


def view_range(data: Progress) -> tuple[float, float] | None:
    """Karpathy's zoom: the band, the baseline and every value not worse than it, plus 15 %."""
    values = [p.value for p in data.points if p.value is not None]
    base = data.baseline
    good = [v for v in values if base is None or not better(base, v, data.direction)]
    ends = [v for v in (*data.band_low, *data.band_high, base) if v is not None] + good
    if not ends:
        return None
    lo, hi = min(ends), max(ends)
    margin = 0.15 * (hi - lo) or 0.001 * abs(hi) or 1.0
    return lo - margin, hi + margin


def robust_range(values: Sequence[float], keep: Sequence[float] = ()) -> tuple[float, float]:
    """An axis range that one outlier cannot stretch: Tukey's far fences (quartiles ± 3 IQR),
    widened to hold every value of ``keep`` (e.g. the Pareto frontier), plus a 10 % margin."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("robust_range needs at least one value")
    q1, q3 = (float(q) for q in numpy.quantile(ordered, [0.25, 0.75]))
    fence = 3.0 * (q3 - q1)
    inside = [v for v in ordered if q1 - fence <= v <= q3 + fence] if fence > 0 else ordered
    lo, hi = min([*inside, *keep]), max([*inside, *keep])
    margin = 0.10 * (hi - lo) or 0.001 * abs(hi) or 1.0
    return lo - margin, hi + margin


def memory_points(history: History) -> tuple[Point, ...]:
    """Every valued experiment with a memory figure, keyed by its index."""
    return tuple(
        Point(str(e.index), e.value, e.memory_gb)
        for e in history.experiments
        if e.value is not None and e.memory_gb is not None
    )


def memory_front(history: History) -> tuple[Point, ...]:
    """The metric-vs-memory Pareto frontier of all valued experiments, by memory ascending."""
    return pareto_front(memory_points(history), history.direction)
