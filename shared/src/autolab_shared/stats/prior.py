"""Empirical-Bayes prior over effect sizes: a spike at zero plus a slab, fitted on a grid.

The slab is fitted to past (delta, se) pairs by the Kiefer–Wolfowitz NPMLE with an EMS
smoothing step (the atom at exactly 0 is left unsmoothed), then blended with a default
prior (30 % atom at 0, Laplace(0, 0.2 %) slab) worth ``n0`` pseudo-observations.

Pure Python (math, bisect), so that a single verdict never imports numpy (its import costs
more than a 200-row verdict): a posterior on the chain is kept only on the grid points
within ``TAIL`` log units of its peak (the rest weigh less than e^-40 of it each); the
candidate's own, whose probabilities are reported, on every point. The fit runs in
:mod:`.priorfit` (pure Python, banded) up to ``PURE_FIT_MAX`` observations and
``PURE_WORK_MAX`` terms (about the cost of importing numpy), beyond them in
:mod:`.priorfit_np` (numpy, which pays for its import there).
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate
from operator import mul

GRID_LO = -0.02
GRID_HI = 0.035
GRID_STEP = 0.00025
GRID_RATIO = 1.15  # beyond the core, points grow geometrically by this ratio
DEFAULT_SPIKE = 0.3
DEFAULT_SLAB_SCALE = 0.002
DEFAULT_N0 = 10.0
COMPRESS_ABOVE = 500  # observations fitted one by one; more are binned (memory, time)
PURE_FIT_MAX = 500  # observations fitted in pure Python; more with numpy ...
PURE_WORK_MAX = 1_600_000  # ... and terms summed over its iterations (~30 ns each), more too
TAIL = 40.0  # a posterior keeps the grid points within this many log units of its peak


class Posterior:
    """Posterior weights ``p`` over ``grid[lo:lo + len(p)]`` (zero elsewhere), summing to 1."""

    __slots__ = ("grid", "lo", "p")

    def __init__(self, grid: Sequence[float], lo: int, p: list[float]) -> None:
        self.grid, self.lo, self.p = grid, lo, p

    @property
    def support(self) -> Sequence[float]:
        """The grid points the weights sit on."""
        return self.grid[self.lo : self.lo + len(self.p)]

    def below(self, t: float) -> float:
        """P(δ < t)."""
        k = bisect_left(self.grid, t, self.lo, self.lo + len(self.p)) - self.lo
        return sum(self.p[:k])

    def mean(self) -> float:
        """E[δ]."""
        out: float = sum(map(mul, self.p, self.support))
        return out

    def expect(self, values: Sequence[float]) -> float:
        """E[f(δ)] for ``values`` = f at the support points."""
        out: float = sum(map(mul, self.p, values))
        return out

    def interval(self, level: float = 0.90) -> tuple[float, float]:
        """The central ``level`` interval on the grid (first point where the cdf reaches each
        tail, as ``np.searchsorted`` on the cumulative sum finds it)."""
        cdf, last = list(accumulate(self.p)), len(self.grid) - 1
        lo = self.grid[min(self.lo + bisect_left(cdf, (1 - level) / 2), last)]
        hi = self.grid[min(self.lo + bisect_left(cdf, (1 + level) / 2), last)]
        return lo, hi


def _outer(edge: float, span: float) -> list[float]:
    """Geometric grid points beyond ``edge`` up to ``span`` (empty when span ≤ edge)."""
    if span <= edge:
        return []
    count = math.ceil(math.log(span / edge) / math.log(GRID_RATIO))
    return [edge * GRID_RATIO ** float(k) for k in range(1, count + 1)]


def _gradient(grid: Sequence[float]) -> list[float]:
    """``np.gradient`` of the grid (unit spacing): central differences, one-sided at the ends."""
    inner = [(b - a) / 2.0 for a, b in zip(grid[:-2], grid[2:], strict=True)]
    return [grid[1] - grid[0], *inner, grid[-1] - grid[-2]]


def _nearest_zero(grid: Sequence[float]) -> int:
    """Index of the grid point closest to 0 (the first of ties, as ``np.argmin``)."""
    return min(range(len(grid)), key=lambda i: abs(grid[i]))


@dataclass
class EffectPrior:
    """A discrete prior over the effect δ on a grid that contains 0 exactly."""

    grid: tuple[float, ...]
    default: tuple[float, ...]
    weights: tuple[float, ...]
    n0: float = DEFAULT_N0
    n_fit: int = 0

    @classmethod
    def default_prior(
        cls,
        spike: float = DEFAULT_SPIKE,
        slab_scale: float = DEFAULT_SLAB_SCALE,
        n0: float = DEFAULT_N0,
        span: float = 0.0,
    ) -> EffectPrior:
        """The prior before any data: a spike at 0 and a Laplace slab.

        The grid covers −2 %…+3.5 % in steps of 0.025 %, then out to ±``span`` in geometric
        steps (one broken run far away must not coarsen the grid where effects live).
        """
        lo, hi = round(GRID_LO / GRID_STEP), round(GRID_HI / GRID_STEP)
        core = [float(k) * GRID_STEP for k in range(lo, hi + 1)]
        left = [-v for v in reversed(_outer(-GRID_LO, span))]
        grid = (*left, *core, *_outer(GRID_HI, span))
        slab = [
            math.exp(-abs(g) / slab_scale) * h for g, h in zip(grid, _gradient(grid), strict=True)
        ]
        total = sum(slab)
        g0 = [(1 - spike) * v / total for v in slab]
        g0[_nearest_zero(grid)] += spike
        total = sum(g0)
        weights = tuple(v / total for v in g0)
        return cls(grid=grid, default=weights, weights=weights, n0=n0)

    @property
    def zero(self) -> int:
        """Index of the atom at exactly 0."""
        found: int | None = self.__dict__.get("_zero")
        if found is None or self.__dict__.get("_zero_of") is not self.grid:
            found = self.__dict__["_zero"] = _nearest_zero(self.grid)
            self.__dict__["_zero_of"] = self.grid
        return found

    def fit(
        self, d: Sequence[float], s: Sequence[float], *, smooth_sd: float, iters: int = 40
    ) -> None:
        """NPMLE by EM with slab smoothing, then blend with the default prior."""
        dd = [float(v) for v in d]
        ss = [max(float(v), 1e-12) for v in s]
        if not dd:
            return
        sd = max(smooth_sd, self.step)
        start = [max(w, 1e-12) for w in self.weights]
        total = sum(start)
        start = [w / total for w in start]
        from autolab_shared.stats import priorfit

        em = priorfit.em
        pure = len(dd) <= min(PURE_FIT_MAX, COMPRESS_ABOVE)
        if not pure or iters * priorfit.work(self.grid, dd, ss, sd) > PURE_WORK_MAX:
            from autolab_shared.stats.priorfit_np import em
        w = em(self.grid, self.zero, start, dd, ss, sd, iters, COMPRESS_ABOVE, self.step)
        n, n0 = len(dd), self.n0
        self.weights = tuple(
            (n * a + n0 * b) / (n + n0) for a, b in zip(w, self.default, strict=True)
        )
        self.n_fit = n

    @property
    def step(self) -> float:
        """Grid spacing where effects live (near 0)."""
        return self.grid[self.zero + 1] - self.grid[self.zero]

    def _log_weights(self) -> tuple[list[float], float]:
        """log of the weights and their largest value, computed once per weights tuple."""
        cached = self.__dict__.get("_logw")
        if cached is None or cached[0] is not self.weights:
            logw = [math.log(max(w, 1e-300)) for w in self.weights]
            cached = (self.weights, logw, max(logw))
            self.__dict__["_logw"] = cached
        return cached[1], cached[2]

    def posterior(self, d: float, s: float, tail: float = TAIL) -> Posterior:
        """Posterior weights over the grid after observing delta ``d`` with sd ``s``.

        Grid points whose log weight is below the peak's by more than ``tail`` are left out
        (a log weight is at most ``top`` − z²/2, so every point beyond the radius below is);
        ``tail=math.inf`` keeps every point, for probabilities that are reported however
        small they are.
        """
        s = max(s, 1e-12)
        grid, (logw, top) = self.grid, self._log_weights()
        lo, hi = 0, len(grid)
        if tail < math.inf:
            j = min(bisect_left(grid, d), hi - 1)
            near = [k for k in (j - 1, j) if k >= 0]
            floor = max(logw[k] - 0.5 * ((grid[k] - d) / s) ** 2 for k in near)
            radius = s * math.sqrt(2.0 * (top - floor + tail))
            lo, hi = bisect_left(grid, d - radius), bisect_right(grid, d + radius)
        logp = [
            lw - 0.5 * ((g - d) / s) ** 2 for lw, g in zip(logw[lo:hi], grid[lo:hi], strict=True)
        ]
        peak, exp = max(logp), math.exp
        p = [exp(v - peak) for v in logp]
        total = sum(p)
        return Posterior(grid, lo, [v / total for v in p])

    def posterior_means(self, d: Sequence[float], s: float) -> list[float]:
        """E[δ | d] for every d in a sequence (same sd)."""
        return [self.posterior(x, s).mean() for x in d]

    def posterior_summary(self, d: Sequence[float], s: float) -> tuple[list[float], list[float]]:
        """E[δ | d] and P(δ < 0 | d) for every d in a sequence (same sd)."""
        posts = [self.posterior(x, s) for x in d]
        return [p.mean() for p in posts], [p.below(0.0) for p in posts]

    @property
    def pi_null(self) -> float:
        """Prior mass at exactly 0."""
        return self.weights[self.zero]

    @property
    def pi_better(self) -> float:
        """Prior mass on improvements (δ < 0)."""
        return sum(self.weights[: bisect_left(self.grid, 0.0)])
