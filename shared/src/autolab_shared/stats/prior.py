"""Empirical-Bayes prior over effect sizes: a spike at zero plus a slab, fitted on a grid.

The slab is fitted to past (delta, se) pairs by the Kiefer–Wolfowitz NPMLE with an EMS
smoothing step (the atom at exactly 0 is left unsmoothed), then blended with a default
prior (30 % atom at 0, Laplace(0, 0.2 %) slab) worth ``n0`` pseudo-observations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from autolab_shared.core.eqrepr import EqRepr

if TYPE_CHECKING:
    from autolab_shared.core.arrays import FloatArray

GRID_LO = -0.02
GRID_HI = 0.035
GRID_STEP = 0.00025
GRID_RATIO = 1.15  # beyond the core, points grow geometrically by this ratio
DEFAULT_SPIKE = 0.3
DEFAULT_SLAB_SCALE = 0.002
DEFAULT_N0 = 10.0
COMPRESS_ABOVE = 500  # observations fitted one by one; more are binned (memory, time)


def _likelihood(d: FloatArray, s: FloatArray, grid: FloatArray) -> FloatArray:
    """Row-rescaled Gaussian likelihood of each observation at each grid point."""
    z2 = ((d[:, None] - grid[None, :]) / s[:, None]) ** 2
    z2 -= z2.min(axis=1, keepdims=True)
    out: FloatArray = np.exp(-0.5 * z2)
    return out


def _compress(
    d: FloatArray, s: FloatArray, step: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Observations as distinct (d, s) pairs with counts; beyond COMPRESS_ABOVE of them, d is
    rounded to step/8 and s to 1 % first (the likelihood matrix then stays small)."""
    if d.size <= COMPRESS_ABOVE:
        return d, s, np.ones(d.size)
    dq = np.round(d / (step / 8)) * (step / 8)
    sq = np.exp(np.round(np.log(s) / 0.01) * 0.01)
    pairs, count = np.unique(np.stack([dq, sq], axis=1), axis=0, return_counts=True)
    return pairs[:, 0], pairs[:, 1], count.astype(np.float64)


def _outer(edge: float, span: float) -> FloatArray:
    """Geometric grid points beyond ``edge`` up to ``span`` (empty when span ≤ edge)."""
    if span <= edge:
        return np.zeros(0)
    count = int(np.ceil(np.log(span / edge) / np.log(GRID_RATIO)))
    out: FloatArray = (edge * GRID_RATIO ** np.arange(1, count + 1)).astype(np.float64)
    return out


@dataclass(eq=False, repr=False)
class EffectPrior(EqRepr):
    """A discrete prior over the effect δ on a grid that contains 0 exactly."""

    grid: FloatArray
    default: FloatArray
    weights: FloatArray
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
        core = np.arange(round(GRID_LO / GRID_STEP), round(GRID_HI / GRID_STEP) + 1) * GRID_STEP
        grid = np.concatenate([-_outer(-GRID_LO, span)[::-1], core, _outer(GRID_HI, span)])
        grid = grid.astype(np.float64)
        slab = np.exp(-np.abs(grid) / slab_scale) * np.gradient(grid)
        g0 = (1 - spike) * slab / slab.sum()
        g0[np.argmin(np.abs(grid))] += spike
        g0 /= g0.sum()
        return cls(grid=grid, default=g0, weights=g0.copy(), n0=n0)

    @property
    def zero(self) -> int:
        """Index of the atom at exactly 0."""
        return int(np.argmin(np.abs(self.grid)))

    def fit(
        self, d: Sequence[float], s: Sequence[float], *, smooth_sd: float, iters: int = 40
    ) -> None:
        """NPMLE by EM with slab smoothing, then blend with the default prior."""
        dd = np.asarray(d, float)
        ss = np.maximum(np.asarray(s, float), 1e-12)
        if dd.size == 0:
            return
        dq, sq, count = _compress(dd, ss, self.step)
        lik = _likelihood(dq, sq, self.grid)
        smoother = self._smoother(max(smooth_sd, self.step))
        w = np.maximum(self.weights, 1e-12)
        w /= w.sum()
        zero = self.zero  # an argmin over the grid: once, not twice an iteration
        for _ in range(iters):
            w = w * (lik.T @ (count / np.maximum(lik @ w, 1e-300))) / dd.size
            spike = w[zero]
            w = smoother @ w
            w[zero] = spike
            w /= w.sum()
        self.weights = (dd.size * w + self.n0 * self.default) / (dd.size + self.n0)
        self.n_fit = int(dd.size)

    def _smoother(self, sd: float) -> FloatArray:
        """EMS smoothing: each point's mass spread with sd ``sd``, or its own grid spacing
        where the geometric steps are wider (else far effects stay atoms the posterior snaps to)."""
        g = self.grid
        local = np.maximum(np.gradient(g), sd)
        kernel = np.exp(-0.5 * ((g[:, None] - g[None, :]) / local[None, :]) ** 2)
        kernel[self.zero, :] = 0.0
        kernel[:, self.zero] = 0.0
        out: FloatArray = kernel / np.maximum(kernel.sum(axis=0, keepdims=True), 1e-300)
        return out

    @property
    def step(self) -> float:
        """Grid spacing where effects live (near 0)."""
        return float(self.grid[self.zero + 1] - self.grid[self.zero])

    @property
    def bin_var(self) -> FloatArray:
        """Variance of an effect spread evenly over each grid point's bin, h²/12 (0 at the
        atom): far from 0 the geometric steps are wider than the noise, and a value read as
        exactly its grid point would pass the rounding on as information (computed once)."""
        cached = self.__dict__.get("_binvar")
        if cached is None or cached[0] is not self.grid:
            var = np.gradient(self.grid) ** 2 / 12.0
            var[self.zero] = 0.0
            cached = (self.grid, var)
            self.__dict__["_binvar"] = cached
        out: FloatArray = cached[1]
        return out

    def _log_weights(self) -> FloatArray:
        """log of the weights, computed once per weights array (posterior is called a lot)."""
        cached = self.__dict__.get("_logw")
        if cached is None or cached[0] is not self.weights:
            cached = (self.weights, np.log(np.maximum(self.weights, 1e-300)))
            self.__dict__["_logw"] = cached
        logw: FloatArray = cached[1]
        return logw

    def _log_posterior(self, d: FloatArray, s: float) -> FloatArray:
        """Unnormalised log posterior over the grid, one row per observed delta."""
        z2 = ((d[:, None] - self.grid[None, :]) / max(s, 1e-12)) ** 2
        logp: FloatArray = self._log_weights()[None, :] - 0.5 * z2
        logp -= logp.max(axis=1, keepdims=True)
        return logp

    def posterior(self, d: float, s: float) -> FloatArray:
        """Posterior weights over the grid after observing delta ``d`` with sd ``s``."""
        # log w − ½ z² with z = (grid − d)/s, then exp and normalise, each step in place (the
        # same operations on the same values; a chain replay calls this once per configuration)
        half_z2 = self.grid - d
        half_z2 /= max(s, 1e-12)
        half_z2 *= half_z2
        half_z2 *= 0.5
        p: FloatArray = self._log_weights() - half_z2
        p -= np.maximum.reduce(p)  # what .max() and .sum() call, without their wrappers
        np.exp(p, out=p)
        p /= np.add.reduce(p)
        return p

    def posterior_means(self, d: FloatArray, s: float) -> FloatArray:
        """E[δ | d] for every d in an array (same sd)."""
        post = np.exp(self._log_posterior(np.asarray(d, dtype=float), s))
        post /= post.sum(axis=1, keepdims=True)
        means: FloatArray = post @ self.grid
        return means

    def posterior_summary(self, d: FloatArray, s: float) -> tuple[FloatArray, FloatArray]:
        """E[δ | d] and P(δ < 0 | d) for every d in an array (same sd)."""
        post = np.exp(self._log_posterior(np.asarray(d, dtype=float), s))
        post /= post.sum(axis=1, keepdims=True)
        means: FloatArray = post @ self.grid
        better: FloatArray = post[:, self.grid < 0].sum(axis=1)
        return means, better

    @property
    def pi_null(self) -> float:
        """Prior mass at exactly 0."""
        return float(self.weights[self.zero])

    @property
    def pi_better(self) -> float:
        """Prior mass on improvements (δ < 0)."""
        return float(self.weights[self.grid < 0].sum())
