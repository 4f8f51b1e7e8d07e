"""Discounted Thompson sampling over experiment categories (docs/steering.md §4).

Per category c, with discount γ on older experiments: n_c (tries), s_c (real keeps) and G_c
(summed relative gain of real keeps). Keep probability p_c ~ Beta(1 + s_c, 3 + n_c − s_c);
gain if kept μ_c = (κ·ḡ + G_c)/(κ + s_c), shrunk toward the global median gain ḡ with κ = 2;
score S_c = p_c·μ_c, the expected improvement of one experiment in c.
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from autolab_shared.steering.steerdata import StepRow

ALPHA0 = 1.0
BETA0 = 3.0
KAPPA = 2.0
DEFAULT_GAIN = 0.0031  # median relative gain of a keep in 13 public histories (docs/steering.md)
GAMMA = {"auto": 0.95, "exploit": 0.98, "explore": 0.9, "random": 0.95}


@dataclass(frozen=True)
class ArmStats:
    """Discounted evidence for one category."""

    name: str
    n: float
    s: float
    gain: float
    crashes: float

    def keep_mean(self) -> float:
        """Posterior mean keep probability."""
        return (ALPHA0 + self.s) / (ALPHA0 + BETA0 + self.n)

    def gain_if_kept(self, median_gain: float) -> float:
        """Shrunken expected relative gain of a real keep."""
        return (KAPPA * median_gain + self.gain) / (KAPPA + self.s)


def arm_stats(
    rows: Sequence[StepRow], arms: Sequence[str], gamma: float, pending: Sequence[str] = ()
) -> dict[str, ArmStats]:
    """Discounted counts per arm; each pending experiment is a virtual loss (one more try)."""
    return _with_pending(_sums(rows, arms, gamma), arms, pending)


def _sums(rows: Sequence[StepRow], arms: Sequence[str], gamma: float) -> dict[str, list[float]]:
    """Discounted tries, real keeps, gains of real keeps and crashes of each arm."""
    acc = {a: [0.0, 0.0, 0.0, 0.0] for a in arms}
    for row, w in _weighted(rows, gamma):
        if row.category not in acc:
            continue
        a = acc[row.category]
        a[0] += w
        a[1] += w * row.success
        a[2] += w * (row.gain if row.success else 0.0)
        a[3] += w * row.crashed
    return acc


def _with_pending(
    sums: dict[str, list[float]], arms: Sequence[str], pending: Sequence[str]
) -> dict[str, ArmStats]:
    """The stats of `arms` (in their order) from `sums`, each pending one tried once more."""
    acc = {a: list(sums[a]) for a in arms}
    for name in pending:
        if name in acc:
            acc[name][0] += 1.0
    return {k: ArmStats(k, *v) for k, v in acc.items()}


def _weighted(rows: Sequence[StepRow], gamma: float) -> list[tuple[StepRow, float]]:
    """Each row with its weight γ^age (1 past the last row), less the rows whose weight is
    exactly 0 and whose gain is finite: they add exactly nothing to any sum."""
    total = len(rows)
    last = total - 1
    weights = [gamma ** (last - p) if p < total else 1.0 for p in [r.position for r in rows]]
    return [
        (row, w)
        for row, w in zip(rows, weights, strict=True)
        if w != 0.0 or not math.isfinite(row.gain)
    ]


def median_gain(rows: Sequence[StepRow]) -> float:
    """Median relative gain of real keeps (DEFAULT_GAIN, the public-corpus value, without any)."""
    gains = [r.gain for r in rows if r.success]
    return statistics.median(gains) if gains else DEFAULT_GAIN


def scores(
    stats: dict[str, ArmStats], mode: str, rng: random.Random, g_bar: float
) -> dict[str, float]:
    """The score of each arm under a mode (auto and explore sample; exploit does not)."""
    out = {}
    for name, st in stats.items():
        a, b = ALPHA0 + st.s, BETA0 + max(st.n - st.s, 0.0)
        if mode == "exploit":
            p = st.keep_mean() if st.s > 0 else 0.0
        elif mode == "explore":
            p = rng.betavariate(a / 3.0, b / 3.0) + (1.0 / (1.0 + st.n)) ** 0.5
        elif mode == "random":
            p = rng.random()
        else:
            p = rng.betavariate(a, b)
        out[name] = p * st.gain_if_kept(g_bar)
    return out


def pick(
    rows: Sequence[StepRow],
    arms: Sequence[str],
    mode: str,
    k: int,
    rng: random.Random,
    pending: Sequence[str] = (),
) -> list[tuple[str, float]]:
    """Choose k categories, re-scoring after a virtual loss on each pick so picks spread out."""
    gamma = GAMMA.get(mode, 0.95)
    g_bar = median_gain(rows)
    chosen: list[tuple[str, float]] = []
    virtual = list(pending)
    candidates = list(arms)
    sums = _sums(rows, arms, gamma)  # the rows' part of every arm_stats below, summed once
    if mode == "random":
        tried = _with_pending(sums, arms, ())
        cut = statistics.median([s.n for s in tried.values()]) if tried else 0.0
        candidates = [a for a in arms if tried[a].n <= cut] or list(arms)
    if mode == "exploit":
        stats = _with_pending(sums, arms, ())
        candidates = [a for a in arms if stats[a].s > 0] or list(arms)
    for _ in range(max(k, 0)):
        stats = _with_pending(sums, candidates, virtual)
        ranked = sorted(scores(stats, mode, rng, g_bar).items(), key=lambda t: (-t[1], t[0]))
        name, score = ranked[0]
        chosen.append((name, score))
        virtual.append(name)
    return chosen
