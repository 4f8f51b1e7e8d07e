"""The re-run zone and the noise floor's own uncertainty in ``decision.assess``."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autolab_shared.core.vocabulary import EXIT_CODES
from autolab_shared.stats.decision import (
    DISCARD,
    P_MARGINAL,
    RETEST,
    Candidate,
    Context,
    Policy,
    assess,
    noise_var,
)
from autolab_shared.stats.incumbent import start
from autolab_shared.stats.noise import NoiseFloor, given_noise
from autolab_shared.stats.prior import EffectPrior

SIGMA = 0.001


def _floor(df: float) -> NoiseFloor:
    return NoiseFloor(SIGMA, df, "replicates", "test", 2, 2 + int(df), total_df=df)


def _ctx(noise: NoiseFloor) -> Context:
    return Context(EffectPrior.default_prior(), start(np.zeros(4), SIGMA**2), noise)


@pytest.mark.parametrize(("df", "factor"), [(1.0, 1.5), (3.0, 1.5), (6.0, 1.5), (10.0, 1.25)])
def test_sigma_is_widened_by_its_own_uncertainty(df: float, factor: float) -> None:
    assert noise_var(_ctx(_floor(df)), Policy()) == pytest.approx(factor * SIGMA**2)
    assert noise_var(_ctx(_floor(df)), Policy(noise_df_cap=1.0)) == pytest.approx(SIGMA**2)


def test_a_given_noise_is_not_widened() -> None:
    assert noise_var(_ctx(given_noise(SIGMA)), Policy()) == pytest.approx(SIGMA**2)


def test_few_replicate_df_make_a_single_run_less_conclusive() -> None:
    cand = Candidate((-2.5 * SIGMA,))
    few, many = (
        assess(cand, _ctx(_floor(2.0)), Policy()),
        assess(cand, _ctx(_floor(50.0)), Policy()),
    )
    assert 0.5 < few.p_improve < many.p_improve


def test_within_noise_rerun_while_sigma_is_uncertain_only() -> None:
    """A first run within 1 sd is a RETEST while σ̂ rests on < 4 replicate df (a re-run also
    measures the noise); afterwards only the value of one more run decides."""
    cand = Candidate((-0.3 * SIGMA,))
    uncertain = assess(cand, _ctx(_floor(2.0)), Policy())
    assert (uncertain.verdict, uncertain.next_action) == (RETEST, "rerun_candidate")
    settled = assess(cand, _ctx(_floor(40.0)), Policy(evsi_kappa=math.inf))
    assert settled.verdict == DISCARD  # P < 0.55 and no re-run worth a fresh idea
    assert settled.p_improve < P_MARGINAL


def test_no_keep_below_the_marginal_floor_along_a_sweep() -> None:
    ctx = _ctx(_floor(2.0))
    seen = []
    for k in range(60):
        a = assess(Candidate((SIGMA * (2.0 - 0.1 * k),)), ctx, Policy())
        assert int(EXIT_CODES[a.verdict]) != 0 or a.p_improve >= P_MARGINAL >= 0.5
        seen.append(a.p_improve)
    assert seen == sorted(seen)


def _band_ctx() -> Context:
    return _ctx(_floor(40.0))  # σ̂ settled: no within-1-sd re-run


def test_promising_first_runs_are_rerun_with_a_band() -> None:
    """With ``p_band`` a first run with P from p_band up to the keep floor is a RETEST (it may
    reach the floor with one more run); without it, one that the value of information does
    not re-run is a DISCARD; the second run is judged outside the band."""
    ctx, quiet = _band_ctx(), {"evsi_kappa": math.inf}
    sweep = [Candidate((SIGMA * (1.0 - 0.05 * k),)) for k in range(60)]
    inside = [c for c in sweep if 0.35 <= assess(c, ctx, Policy(**quiet)).p_improve < P_MARGINAL]
    assert inside
    for cand in inside:
        assert assess(cand, ctx, Policy(**quiet)).verdict == DISCARD
        banded = assess(cand, ctx, Policy(**quiet, p_band=0.35))
        assert (banded.verdict, banded.next_action) == (RETEST, "rerun_candidate")
        again = Candidate((*cand.runs, cand.runs[0]))
        assert assess(again, ctx, Policy(**quiet, p_band=0.35)).verdict != RETEST
    verdicts = [assess(c, ctx, Policy(**quiet, p_band=0.35)) for c in sweep]
    order = {DISCARD: 0, RETEST: 1, "MARGINAL": 2, "KEEP": 3, "STRONG_KEEP": 4}
    ranks = [order[a.verdict] for a in verdicts]
    assert ranks == sorted(ranks)  # a better value never gets a worse label


def test_posterior_summary_matches_the_single_posterior() -> None:
    prior = EffectPrior.default_prior()
    d = np.array([-0.003, -0.0005, 0.0, 0.0012])
    means, better = prior.posterior_summary(d, SIGMA)
    for k, dk in enumerate(d):
        post = prior.posterior(float(dk), SIGMA)
        assert means[k] == pytest.approx(float(post @ prior.grid))
        assert better[k] == pytest.approx(float(post[prior.grid < 0].sum()))
