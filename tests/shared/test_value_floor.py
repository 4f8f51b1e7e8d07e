"""The value of one more run when no keep is allowed below a probability floor (``value.py``)."""

from __future__ import annotations

import numpy as np

from autolab_shared.stats.prior import EffectPrior
from autolab_shared.stats.value import evsi_one_more_run, fresh_slot_value, retest_interval

SIGMA2 = 0.001**2
V_INC = 0.3 * SIGMA2


def _prior() -> EffectPrior:
    """A prior like the loop simulator's: most changes harmful, a spike, a beneficial tail."""
    prior = EffectPrior.default_prior(n0=0.0)
    g = prior.grid
    w = 0.7 * np.exp(-0.5 * ((g - 0.003) / 0.003) ** 2) + 0.1 * np.where(
        g < 0, np.exp(g / 0.002), 0
    )
    w = w / w.sum() * 0.8
    w[prior.zero] += 0.2
    prior.weights = w
    return prior


def test_a_floor_never_makes_a_fresh_idea_worth_more() -> None:
    """Keeping only from P ≥ floor forgoes keeps with a gain: a fresh idea is worth less."""
    prior = _prior()
    values = [fresh_slot_value(prior, SIGMA2, V_INC, floor) for floor in (0.0, 0.5, 0.55, 0.8)]
    assert values[0] > 0 and values == sorted(values, reverse=True)


def _value_by_p(floor: float) -> list[tuple[float, float]]:
    """(P(better), value of one more run) of a first run along a sweep of deltas."""
    prior, s = _prior(), float(np.sqrt(SIGMA2 + V_INC))
    out = []
    for z in np.linspace(-2.5, 1.5, 33):
        post = prior.posterior(z * s, s)
        p = float(post[prior.grid < 0].sum())
        out.append((p, evsi_one_more_run(prior, post, z * s, 1, SIGMA2, V_INC, floor)))
    return out


def test_one_more_run_is_worth_most_just_below_the_floor() -> None:
    """Counting keeps only from P ≥ 0.55, a re-run pays most for candidates just below that
    floor (it may lift them over it); counting every expected gain as a keep, it pays most
    near P = 0.2, where the expected effect is about 0 (re-running near-nulls)."""
    floor = _value_by_p(0.55)
    blind = _value_by_p(0.0)
    assert 0.35 <= max(floor, key=lambda pv: pv[1])[0] < 0.55
    assert max(blind, key=lambda pv: pv[1])[0] < 0.35
    assert all(v >= -1e-12 for p, v in floor if p < 0.55)  # now: a discard, worth 0


def test_the_rerun_interval_with_a_floor_is_on_the_promising_side() -> None:
    """Against a whole fresh idea (kept only from the floor too), a re-run pays for first runs
    measured better than the incumbent but still short of the floor."""
    prior = _prior()
    slot = fresh_slot_value(prior, SIGMA2, V_INC, 0.55)
    span = retest_interval(prior, 1, SIGMA2, V_INC, slot, 0.55)
    assert span is not None and span[1] < 0
    s = float(np.sqrt(SIGMA2 + V_INC))
    p_ends = [float(prior.posterior(z * s, s)[prior.grid < 0].sum()) for z in span]
    assert min(p_ends) >= 0.35 and max(p_ends) < 0.60


def test_the_worse_end_alone_is_the_whole_intervals_worse_end() -> None:
    """Searched from the top down on its own (better_end=False), the worse end is the hull's,
    and no interval at all stays none; the better end is then given as −inf."""
    prior = _prior()
    slot = fresh_slot_value(prior, SIGMA2, V_INC, 0.55)
    for n, scaled in [(1, 0.0), (1, 0.5), (1, 1.0), (1, 3.0), (2, 1.0), (1, 1e6)]:
        worse = retest_interval(
            prior, n, SIGMA2, 1.7 * V_INC, scaled * slot, 0.55, better_end=False
        )
        whole = retest_interval(prior, n, SIGMA2, 1.7 * V_INC, scaled * slot, 0.55)
        assert (worse is None) == (whole is None)
        if whole is not None and worse is not None:
            assert worse == (-np.inf, whole[1])
    assert retest_interval(prior, 1, SIGMA2, V_INC, 1e6 * slot, 0.55, better_end=False) is None
