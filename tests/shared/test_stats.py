"""Statistics building blocks: noise floor, effect prior, BH, Pareto-free decision pieces."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autolab_shared.core.scale import Scale, scale_for
from autolab_shared.stats.audit import benjamini_hochberg
from autolab_shared.stats.decision import Candidate, Context, Policy, assess
from autolab_shared.stats.incumbent import Incumbent, after_candidate, confirm
from autolab_shared.stats.noise import SIGMA0, given_noise, min_replicate_df, pooled_noise
from autolab_shared.stats.prior import EffectPrior


def test_pooled_noise_matches_the_formula() -> None:
    groups = [[1.0, 1.002], [2.0, 2.001, 1.999]]
    ss = 0.002**2 / 2 + 0.001**2 * 2
    floor = pooled_noise(groups, window=0)
    assert floor.df == 3 and floor.total_df == 3
    assert floor.sigma == pytest.approx(math.sqrt((SIGMA0**2 + ss) / 4))
    assert floor.source == "replicates" and floor.values == 5


def test_window_keeps_the_latest_groups_but_counts_all_df() -> None:
    groups = [[0.0, 0.01]] + [[1.0, 1.0]] * 5
    floor = pooled_noise(groups, window=5)
    assert floor.source == "window" and floor.groups == 5 and floor.df == 5
    assert floor.total_df == 6


def test_no_replicates_falls_back_to_the_prior() -> None:
    floor = pooled_noise([[1.0]], window=5)
    assert (floor.source, floor.sigma, floor.df) == ("default", SIGMA0, 0.0)


def test_bit_identical_replicates_shrink_sigma_without_reaching_zero() -> None:
    floor = pooled_noise([[2.31445] * 8], window=0)
    assert 0 < floor.sigma < SIGMA0


def test_robust_check_flags_an_outlier() -> None:
    rng = np.random.default_rng(1)
    groups = [list(1 + 0.001 * rng.standard_normal(2)) for _ in range(10)]
    groups.append([1.0, 1.05])
    floor = pooled_noise(groups, window=0)
    assert floor.robust_sigma is not None and floor.outliers


def test_min_replicate_df() -> None:
    assert [min_replicate_df(n) for n in (10, 140, 700)] == [2, 2, 10]


def test_scale_is_log_and_mirrored() -> None:
    lo, hi = Scale("min", log=True), Scale("max", log=True)
    assert lo.to_x(1.0) == 0 and lo.to_x(2.0) > 0 > hi.to_x(2.0)
    assert hi.to_y(hi.to_x(84.0)) == pytest.approx(84.0)
    assert not scale_for([0.0, 1.0], "min").log


def test_default_prior_has_a_spike_at_zero_and_sums_to_one() -> None:
    prior = EffectPrior.default_prior()
    assert prior.grid[prior.zero] == 0.0
    assert prior.weights.sum() == pytest.approx(1.0)
    assert 0.3 <= prior.pi_null < 0.4  # the atom plus the slab's own grid point at 0


def test_prior_fit_learns_that_most_effects_are_null() -> None:
    rng = np.random.default_rng(7)
    d = np.where(rng.random(300) < 0.8, 0.0, 0.004) + 0.0005 * rng.standard_normal(300)
    prior = EffectPrior.default_prior()
    prior.fit(d, np.full(d.size, 0.0005), smooth_sd=0.00025)
    assert prior.pi_null > 0.5 and prior.n_fit == 300


def test_wide_span_widens_the_grid() -> None:
    prior = EffectPrior.default_prior(span=0.5)
    assert prior.grid[0] <= -0.5 and prior.grid[-1] >= 0.5 and prior.grid.size <= 801
    post = prior.posterior(-0.3, 1e-6)
    assert np.isfinite(post).all() and post.sum() == pytest.approx(1.0)


def test_incumbent_updates() -> None:
    inc = Incumbent(0.0, 1e-6)
    assert confirm(inc, 0.001, 1e-6).mean == pytest.approx(0.0005)
    prior = EffectPrior.default_prior()
    post = prior.posterior(-0.003, 0.0014)
    bins = prior.bin_var
    kept = after_candidate(inc, post, prior.grid, -0.003, 1, 1e-6, kept=True, bin_var=bins)
    assert -0.003 < kept.mean < 0 and kept.var < 2e-6


def test_calibration_uses_all_replicate_df_not_the_window() -> None:
    groups = [[0.0, 0.0005]] * 12
    ctx = Context(
        EffectPrior.default_prior(), Incumbent(0.0, 2.5e-7), pooled_noise(groups, window=5)
    )
    verdict = assess(Candidate((-0.01,)), ctx, Policy(min_df=10)).verdict
    assert verdict == "STRONG_KEEP"


def test_given_noise_never_calibrates() -> None:
    ctx = Context(EffectPrior.default_prior(), Incumbent(0.0, 1e-8), given_noise(0.0005))
    assert assess(Candidate((-0.01,)), ctx, Policy(min_df=10)).verdict == "STRONG_KEEP"


def test_benjamini_hochberg() -> None:
    p = np.array([0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216])
    assert benjamini_hochberg(p, 0.05).tolist() == [True, True] + [False] * 8
    assert benjamini_hochberg(np.array([]), 0.1).size == 0


@settings(max_examples=30, deadline=None)
@given(st.floats(1e3, 1e11), st.floats(1e-4, 1e-2), st.booleans())
def test_the_incumbent_variance_keeps_its_digits_on_large_values(
    level: float, rel_sd: float, kept: bool
) -> None:
    """Values far larger than their spread (a profit of 5e10 on a linear scale): the variance
    is the spread about the mean, to 1e-9 of the exact one (E[m²] − E[m]² lost every digit)."""
    prior, sigma2 = EffectPrior.default_prior(span=0.5), (rel_sd * level) ** 2
    var = sigma2 / 4
    post = prior.posterior(0.002, 0.003)
    flat = np.zeros_like(prior.grid)  # the exact formula below has no bin spread
    new = after_candidate(
        Incumbent(level, var), post, prior.grid, level * 1.001, 1, sigma2, kept=kept, bin_var=flat
    )
    wa, wb = Fraction(1) / Fraction(var), Fraction(1) / Fraction(sigma2)
    xbar = Fraction(level * 1.001)
    mk = [
        (wa * (Fraction(level) + Fraction(g)) + wb * xbar) / (wa + wb)
        if kept
        else (wa * Fraction(level) + wb * (xbar - Fraction(g))) / (wa + wb)
        for g in prior.grid.tolist()
    ]
    p = [Fraction(x) for x in post.tolist()]
    mean = sum(pi * m for pi, m in zip(p, mk, strict=True)) / sum(p)
    spread = sum(pi * (m - mean) ** 2 for pi, m in zip(p, mk, strict=True)) / sum(p)
    exact = 1 / (wa + wb) + spread
    assert abs(new.var - float(exact)) <= 1e-9 * float(exact)
