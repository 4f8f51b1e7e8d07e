"""The noise floor from a history without replicates (empirical null), and how it is combined."""

from __future__ import annotations

import math
import random
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autolab_shared.core.scale import scale_for
from autolab_shared.parsing.replicates import group_configs, replicate_groups
from autolab_shared.parsing.results import parse_results
from autolab_shared.stats.noise import history_noise
from autolab_shared.stats.nullmixture import GATE, LATEST, MIN_NARROW
from autolab_shared.stats.nullnoise import (
    DF_PER_PAIR,
    MIN_PAIRS,
    NullNoise,
    consecutive_deltas,
    empirical_null,
)
from autolab_shared.steering.steerdata import noise_of

HEADER = "commit\tval_bpb\tmemory_gb\tstatus\tdescription\n"


def _history(rows: list[tuple[str, float, str]]) -> str:
    return HEADER + "".join(
        f"{c}\t{v:.6f}\t44.0\t{s}\tchange {i}\n" for i, (c, v, s) in enumerate(rows)
    )


def _night(n: int, sigma: float, seed: int, null_share: float = 1.0) -> str:
    """A greedy night on a flat landscape: every change is a null (or harmful, 1 − share)."""
    rng = random.Random(seed)
    rows, best = [], math.inf
    for i in range(n):
        effect = 0.0 if rng.random() < null_share else rng.expovariate(1 / 0.01)
        value = 1.0 * (1 + effect) * math.exp(sigma * rng.gauss(0, 1))
        keep = value < best
        best = min(best, value) if keep else best
        rows.append((f"{0xC0000000 + i:08x}", value, "keep" if keep else "discard"))
    return _history(rows)


def test_consecutive_deltas_pair_only_non_kept_rows_between_keeps() -> None:
    rows = [
        ("a000001", 1.0, "keep"),
        ("a000002", 1.01, "discard"),
        ("a000003", 1.02, "discard"),
        ("a000004", 0.99, "keep"),
        ("a000005", 1.0, "discard"),
        ("a000006", 0.0, "crash"),
        ("a000007", 0.995, "discard"),
        ("a000007", 0.993, "discard"),
    ]
    text = _history(rows).replace("change 7", "change 6")  # a replicate: same commit, same change
    history = parse_results(text)
    scale = scale_for([e.value for e in history.experiments if e.value], "min")
    got = consecutive_deltas(history.experiments, scale)
    want = [math.log(1.02) - math.log(1.01), math.log(0.995) - math.log(1.0)]
    assert got == pytest.approx(want)  # the crash and the repeat run of a000007 are skipped


def test_unlabelled_rows_are_read_greedily() -> None:
    rows = [
        ("a000001", 1.0, ""),
        ("a000002", 1.01, ""),
        ("a000003", 1.03, ""),
        ("a000004", 0.98, ""),
        ("a000005", 0.99, ""),
    ]
    history = parse_results(_history(rows))
    scale = scale_for([1.0], "min")
    assert consecutive_deltas(history.experiments, scale) == pytest.approx(
        [math.log(1.03) - math.log(1.01)]
    )


@pytest.mark.parametrize("sigma", [0.0005, 0.001, 0.002])
def test_empirical_null_recovers_the_noise_of_a_night_of_null_changes(sigma: float) -> None:
    history = parse_results(_night(400, sigma, seed=int(sigma * 1e6)))
    scale = scale_for([e.value for e in history.experiments if e.value], "min")
    null = empirical_null(consecutive_deltas(history.experiments, scale))
    assert null is not None and null.pairs > 300
    assert null.sigma == pytest.approx(sigma, rel=0.2)


def test_real_effects_in_the_tails_barely_move_it() -> None:
    clean = parse_results(_night(400, 0.001, seed=7))
    mixed = parse_results(_night(400, 0.001, seed=7, null_share=0.8))  # 20 % harmful, large
    est = []
    for history in (clean, mixed):
        scale = scale_for([e.value for e in history.experiments if e.value], "min")
        est.append(empirical_null(consecutive_deltas(history.experiments, scale)))
    assert est[0] is not None and est[1] is not None
    assert est[1].sigma < 1.5 * est[0].sigma


@given(st.lists(st.floats(-0.01, 0.01, allow_nan=False), max_size=MIN_PAIRS - 1))
@settings(max_examples=50)
def test_too_few_differences_give_no_estimate(deltas: list[float]) -> None:
    assert empirical_null(deltas) is None


def test_logging_duplicates_are_not_noise() -> None:
    assert empirical_null([0.0] * 30 + [0.001 * k for k in range(1, 12)]) is None


def test_history_noise_prefers_replicates_and_says_what_it_used() -> None:
    deltas = [0.0014 * math.sin(k * 1.7 + 0.3) for k in range(40)]
    alone = history_noise([], deltas)
    assert alone.source == "history" and alone.null is not None and alone.null.pairs == 40
    one_df = history_noise([[0.0, 0.001]], deltas)
    assert one_df.source == "replicates+history" and one_df.replicate_df == 1
    low, high = sorted((alone.sigma, 0.001 / math.sqrt(2)))
    assert low <= one_df.sigma <= high
    enough = history_noise([[0.0, 0.001], [0.002, 0.0025, 0.0015]], deltas)
    assert enough.source == "replicates" and "empirical null" in enough.note
    assert history_noise([], []).source == "default"


def test_autosteer_noise_uses_the_same_history_estimate() -> None:
    history = parse_results(_night(200, 0.001, seed=3))
    floor = noise_of([history])
    scale = scale_for([e.value for e in history.experiments if e.value], "min")
    groups = replicate_groups(group_configs(history.experiments), scale)
    same = history_noise(groups, consecutive_deltas(history.experiments, scale), window=0)
    assert (floor.source, floor.sigma) == ("history", same.sigma)


def _null_of_night(text: str) -> NullNoise | None:
    history = parse_results(text)
    scale = scale_for([e.value for e in history.experiments if e.value], "min")
    return empirical_null(consecutive_deltas(history.experiments, scale))


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_a_night_of_null_changes_keeps_the_mad_reading(seed: int) -> None:
    null = _null_of_night(_night(300, 0.001, seed))
    assert null is not None and null.lrt is None and null.share == 1.0
    assert null.estimator.startswith("empirical null: 1.4826*MAD")


@pytest.mark.parametrize("sigma", [0.0005, 0.001, 0.002])
def test_real_effects_in_the_centre_are_told_from_the_noise(sigma: float) -> None:
    # 40 % of changes harmful by Exp(mean 1 %): the middle half of the differences holds them
    # and the MAD reads the noise 1.5-3x too high; the narrow scale reads it far closer
    ratios, mad_ratios = [], []
    for seed in range(20, 30):
        history = parse_results(_night(300, sigma, seed, null_share=0.6))
        scale = scale_for([e.value for e in history.experiments if e.value], "min")
        deltas = [d for d in consecutive_deltas(history.experiments, scale) if d != 0.0]
        null = empirical_null(deltas)
        assert null is not None and null.lrt is not None and null.lrt > GATE
        assert null.df == pytest.approx(DF_PER_PAIR * null.pairs * null.share)
        assert f"narrow component ({null.share:.0%} of differences)" in null.estimator
        ratios.append(null.sigma / sigma)
        mad_ratios.append(_mad_sigma(deltas) / sigma)
    assert 0.8 < statistics.median(ratios) < 1.35 and statistics.median(mad_ratios) > 1.4
    assert all(r < m for r, m in zip(ratios, mad_ratios, strict=True))


def test_two_scales_are_read_whatever_the_sample_kurtosis() -> None:
    # 24 null differences and 16 real effects spread evenly over +-0.15..0.4 %: the sample's
    # excess kurtosis is below 0 (a short night's kurtosis is noisy), yet two scales fit it
    # far better than one and the MAD reads the noise 1.9x too high; the narrow scale is read
    rng, sigma = random.Random(2), 0.0004
    deltas = [rng.gauss(0, sigma * math.sqrt(2)) for _ in range(24)]
    deltas += [(-1) ** i * (0.0015 + 0.0025 * i / 16) for i in range(16)]
    mean = statistics.fmean(deltas)
    m2 = statistics.fmean((d - mean) ** 2 for d in deltas)
    assert statistics.fmean((d - mean) ** 4 for d in deltas) / m2**2 - 3 < 0
    null = empirical_null(deltas)
    assert null is not None and null.lrt is not None and null.lrt > GATE
    assert null.sigma < 0.6 * _mad_sigma(deltas)


def _mad_sigma(deltas: list[float]) -> float:
    """The MAD reading of nonzero differences, computed here from its formula."""
    centre = statistics.median(deltas)
    return 1.4826 * statistics.median(abs(d - centre) for d in deltas) / math.sqrt(2)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-0.05, 0.05, allow_nan=False), min_size=MIN_PAIRS, max_size=300))
def test_the_null_sits_between_a_fifth_of_the_mad_reading_and_it(deltas: list[float]) -> None:
    null = empirical_null(deltas)
    if null is None:
        return
    mad_sigma = _mad_sigma([d for d in deltas if d != 0.0])
    if null.lrt is None:
        assert null.sigma == pytest.approx(mad_sigma, rel=1e-12)
    else:
        assert mad_sigma / 5 * (1 - 1e-9) <= null.sigma < mad_sigma and null.lrt > GATE
        assert null.share * null.pairs >= MIN_NARROW * (1 - 1e-9) or null.pairs > LATEST
