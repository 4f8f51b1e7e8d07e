"""The pure-Python prior, posterior, incumbent update and EM fit agree with numpy on the
whole grid (the computation they replaced on a verdict's path) to 1e-12."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from autolab_shared.stats import priorfit, priorfit_np
from autolab_shared.stats.incumbent import Incumbent, after_candidate
from autolab_shared.stats.prior import EffectPrior
from autolab_shared.stats.value import evsi_one_more_run

RTOL = 1e-12

deltas = st.floats(-0.03, 0.05)
sds = st.floats(1e-4, 5e-3)
spans = st.sampled_from([0.0, 0.04, 0.1, 0.5])


def _np_posterior(prior: EffectPrior, d: float, s: float) -> np.ndarray:
    """The former numpy posterior: every grid point."""
    grid, w = np.asarray(prior.grid), np.asarray(prior.weights)
    z = (grid - d) / max(s, 1e-12)
    logp = np.log(np.maximum(w, 1e-300)) - 0.5 * (z * z)
    p = np.exp(logp - logp.max())
    out: np.ndarray = p / p.sum()
    return out


def _fitted(seed: int, n: int, span: float) -> EffectPrior:
    rng = np.random.default_rng(seed)
    d = np.where(rng.random(n) < 0.3, 0.0, rng.normal(0.002, 0.003, n))
    d += 0.0007 * rng.standard_normal(n)
    s = rng.uniform(0.0005, 0.0012, n)
    prior = EffectPrior.default_prior(span=span)
    prior.fit(d.tolist(), s.tolist(), smooth_sd=0.00035)
    return prior


def _close(a: float, b: float, scale: float = 0.0) -> bool:
    return abs(a - b) <= RTOL * max(abs(a), abs(b), scale)


@settings(max_examples=100, deadline=None)
@given(deltas, sds, spans)
def test_the_posterior_matches_numpy(d: float, s: float, span: float) -> None:
    """Every grid point (the candidate's posterior, whose P is reported): each mass to 1e-12
    of itself however small; the chain's, on the points within e^-40 of the peak: to 1e-12
    of the whole (1), and the mean to 1e-12 of the grid step."""
    prior = _fitted(1, 150, span)
    full, band = prior.posterior(d, s, math.inf), prior.posterior(d, s)
    ref, grid = _np_posterior(prior, d, s), np.asarray(prior.grid)
    for t in (0.0, -0.001, 0.002):
        mass = float(ref[grid < t].sum())
        assert _close(full.below(t), mass, 1e-300)
        assert _close(band.below(t), mass, 1.0)
    for post in (full, band):
        assert _close(post.mean(), float(ref @ grid), prior.step)
        assert _close(sum(post.p), 1.0)
    cdf = np.cumsum(ref)
    last = grid.size - 1
    ends = [float(grid[min(int(np.searchsorted(cdf, q)), last)]) for q in (0.05, 0.95)]
    assert list(full.interval()) == ends


@settings(max_examples=100, deadline=None)
@given(deltas, sds, st.floats(1e-9, 1e-5), st.floats(-0.05, 0.05), st.integers(1, 4))
def test_the_incumbent_update_matches_numpy(
    d: float, s: float, var: float, xbar: float, n: int
) -> None:
    prior, sigma2 = _fitted(2, 120, 0.1), 8e-7
    inc = Incumbent(xbar - d, var)
    post, ref, grid = prior.posterior(d, s), _np_posterior(prior, d, s), np.asarray(prior.grid)
    for kept in (True, False):
        new = after_candidate(inc, post, xbar, n, sigma2, kept=kept)
        wa, wb = 1.0 / max(var, 1e-18), n / sigma2
        mk = (wa * (inc.mean + grid) + wb * xbar) if kept else (wa * inc.mean + wb * (xbar - grid))
        mk = mk / (wa + wb)
        mean = float(ref @ mk)
        spread = float(ref @ (mk - mean) ** 2)
        assert _close(new.mean, mean, abs(xbar) + 1e-3)
        assert _close(new.var, 1.0 / (wa + wb) + spread)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10**6), st.integers(1, 300), spans, st.floats(2.5e-4, 1e-3))
def test_the_pure_fit_matches_the_numpy_fit(seed: int, n: int, span: float, sd: float) -> None:
    rng = np.random.default_rng(seed)
    d = np.where(rng.random(n) < 0.3, 0.0, rng.normal(0.001, 0.004, n))
    d = (d + 0.0008 * rng.standard_normal(n)).tolist()
    s = rng.uniform(0.0004, 0.002, n).tolist()
    prior = EffectPrior.default_prior(span=span)
    start = list(prior.weights)
    args = (prior.grid, prior.zero, start, d, s, sd, 40, 10**9, prior.step)
    pure, ref = priorfit.em(*args), priorfit_np.em(*args)
    # every weight to 1e-12 of the largest, the masses (and so the verdicts' P) to 1e-12 of 1
    top = max(ref)
    assert all(abs(a - b) <= RTOL * top for a, b in zip(pure, ref, strict=True))
    negative = sum(w for w, g in zip(ref, prior.grid, strict=True) if g < 0)
    assert _close(sum(w for w, g in zip(pure, prior.grid, strict=True) if g < 0), negative, 1.0)
    assert _close(pure[prior.zero], ref[prior.zero], 1.0)


@settings(max_examples=30, deadline=None)
@given(st.floats(-4.0, 4.0), st.integers(1, 2), st.sampled_from([0.0, 0.55, 0.8]))
def test_the_value_of_one_more_run_is_that_of_the_whole_posterior(
    z: float, n: int, floor: float
) -> None:
    """The chain's posterior (points within e^-40 of its peak) values a re-run as the whole."""
    prior, sigma2, v = _fitted(3, 150, 0.04), 7e-7, 2e-7
    s = math.sqrt(sigma2 / n + v)
    band = evsi_one_more_run(prior, prior.posterior(z * s, s), z * s, n, sigma2, v, floor)
    full = evsi_one_more_run(prior, prior.posterior(z * s, s, math.inf), z * s, n, sigma2, v, floor)
    assert abs(band - full) <= RTOL * prior.step


def test_the_default_prior_matches_numpy() -> None:
    for span in (0.0, 0.04, 0.5):
        prior = EffectPrior.default_prior(span=span)
        grid = np.asarray(prior.grid)
        core = np.arange(round(-0.02 / 0.00025), round(0.035 / 0.00025) + 1) * 0.00025
        outer = [
            edge * 1.15 ** np.arange(1, int(np.ceil(np.log(span / edge) / np.log(1.15))) + 1)
            if span > edge
            else np.zeros(0)
            for edge in (0.02, 0.035)
        ]
        assert grid.tolist() == np.concatenate([-outer[0][::-1], core, outer[1]]).tolist()
        slab = np.exp(-np.abs(grid) / 0.002) * np.gradient(grid)
        g0 = 0.7 * slab / slab.sum()
        g0[np.argmin(np.abs(grid))] += 0.3
        g0 /= g0.sum()
        assert np.allclose(prior.weights, g0, rtol=RTOL, atol=0.0)


@settings(max_examples=30, deadline=None)
@given(st.floats(1e3, 1e11), st.floats(1e-4, 1e-2), st.booleans())
def test_the_incumbent_variance_keeps_its_digits_on_large_values(
    level: float, rel_sd: float, kept: bool
) -> None:
    """Values far larger than their spread (a profit of 5e10 on a linear scale): the variance
    is the spread about the mean, to 1e-9 of the exact one (E[m²] − E[m]² lost every digit)."""
    from fractions import Fraction

    prior, sigma2 = _fitted(5, 120, 0.1), (rel_sd * level) ** 2
    var = sigma2 / 4
    post = prior.posterior(0.001 * level, math.sqrt(sigma2 + var))
    new = after_candidate(Incumbent(level, var), post, level * 1.001, 1, sigma2, kept=kept)
    wa, wb = Fraction(1) / Fraction(var), Fraction(1) / Fraction(sigma2)
    mk = [
        (wa * (Fraction(level) + Fraction(g)) + wb * Fraction(level * 1.001)) / (wa + wb)
        if kept
        else (wa * Fraction(level) + wb * (Fraction(level * 1.001) - Fraction(g))) / (wa + wb)
        for g in post.support
    ]
    p = [Fraction(x) for x in post.p]
    total = sum(p)
    mean = sum(pi * m for pi, m in zip(p, mk, strict=True)) / total
    exact = 1 / (wa + wb) + sum(pi * (m - mean) ** 2 for pi, m in zip(p, mk, strict=True)) / total
    assert abs(new.var - float(exact)) <= 1e-9 * float(exact)
