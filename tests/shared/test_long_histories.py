"""Long histories take shortcuts (a binned prior fit, a replay window) that keep the answers."""

from __future__ import annotations

import random

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from autolab_shared.core.scale import scale_for
from autolab_shared.parsing.replicates import group_configs
from autolab_shared.parsing.results import parse_results
from autolab_shared.stats import chain, prior
from autolab_shared.stats.judge import judge

HEADER = "commit\tval_bpb\tmemory_gb\tstatus\tdescription\n"


def _night(rows: int, seed: int, last: float | None = None) -> str:
    rng = random.Random(seed)
    best, lines = 1.0, []
    for i in range(rows):
        value = best + rng.gauss(0.002, 0.002)
        status = "keep" if value < best else "discard"
        best = min(best, value)
        lines.append(f"{i:07x}\t{value:.6f}\t44.0\t{status}\tchange {i}\n")
    if last is not None:
        lines.append(f"fffffff\t{best + last:.6f}\t44.0\tkeep\tthe candidate\n")
    return HEADER + "".join(lines)


def test_the_binned_prior_fit_matches_the_exact_one() -> None:
    rng = np.random.default_rng(0)
    d = np.concatenate([rng.normal(0.002, 0.001, 3000), rng.normal(-0.001, 0.0005, 300)])
    s = rng.uniform(0.0005, 0.0008, d.size)
    exact, binned = prior.EffectPrior.default_prior(), prior.EffectPrior.default_prior()
    binned.fit(list(d), list(s), smooth_sd=0.0003)
    assert d.size > prior.COMPRESS_ABOVE
    saved, prior.COMPRESS_ABOVE = prior.COMPRESS_ABOVE, 10**9
    try:
        exact.fit(list(d), list(s), smooth_sd=0.0003)
    finally:
        prior.COMPRESS_ABOVE = saved
    assert float(np.abs(exact.weights - binned.weights).sum()) < 0.01
    assert abs(exact.pi_better - binned.pi_better) < 0.005


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10**6), st.integers(30, 200))
def test_the_window_starts_at_the_last_keep_before_it(seed: int, window: int) -> None:
    history = parse_results(_night(400, seed))
    configs = group_configs(history.experiments)
    scale = scale_for(history.values(), history.direction)
    tail = chain.recent(configs, scale, window)
    head = configs[: len(configs) - window]
    assert tail[1:] == configs[-window:]
    assert tail[0] is [c for c in head if c.label][-1]


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10**6), st.sampled_from([-0.01, 0.01]))
def test_a_clear_verdict_does_not_depend_on_the_window(seed: int, change: float) -> None:
    history = parse_results(_night(chain.REPLAY_WINDOW + 300, seed, last=change))
    windowed = judge(history)
    saved, chain.REPLAY_WINDOW = chain.REPLAY_WINDOW, 10**9
    try:
        full = judge(history)
    finally:
        chain.REPLAY_WINDOW = saved
    assert windowed.verdict == full.verdict
    assert abs(windowed.assessment.p_improve - full.assessment.p_improve) < 0.02
