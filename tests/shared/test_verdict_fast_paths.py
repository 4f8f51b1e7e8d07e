"""The single verdict's shortcuts on long histories give what the plain computations give:
the configurations it reads (`pick_configs` against `group_configs`), the empirical null's
medians with numpy, the working scale's bulk conversion and the posterior's reductions."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from autolab_shared.core.scale import Scale, scale_for
from autolab_shared.parsing.replicates import group_configs, replicate_groups, replicate_keys
from autolab_shared.parsing.results import parse_results
from autolab_shared.stats.chain import effect_span, recent, values_span
from autolab_shared.stats.nullnoise import empirical_null
from autolab_shared.stats.prior import EffectPrior
from autolab_shared.stats.verdictconfigs import pick_configs

PROPS = settings(max_examples=300, deadline=None)
HEADER = "commit\tval_bpb\tmemory_gb\tstatus\tdescription"
ROW = st.builds(
    "{}\t{}\t44.0\t{}\t{}".format,
    st.sampled_from(["a1b2c3d", "b2c3d4e", "c3d4e5f", "d4e5f6a", "e5f6a7b", "baseline", "-"]),
    st.sampled_from(["0.99", "0.98", "1.01", "0.97", "1.02", "0.995", "nan", ""]),
    st.sampled_from(["keep", "discard", "discard", "crash", "weird"]),
    st.sampled_from(["lr up", "lr down", "rerun", "seed 2", "", "gelu", "rerun-of:a1b2c3d"]),
)
PLAIN_ROW = st.builds(  # rows a plain file holds: read by columns (`History.table`)
    "{}\t{}\t{}\t{}\t{}".format,
    st.sampled_from(["a1b2c3d", "b2c3d4e", "c3d4e5f", "d4e5f6a", "e5f6a7b"]),
    st.sampled_from(["0.99", "0.98", "1.01", "0.97", "1.02", "0.995"]),
    st.sampled_from(["44.0", "0.0", "45.1"]),
    st.sampled_from(["keep", "discard", "discard", "crash"]),
    st.sampled_from(["lr up", "lr down", "rerun", "seed 2", "", "gelu", "rerun-of:a1b2c3d"]),
)


@PROPS
@given(
    st.lists(ROW, min_size=1, max_size=30) | st.lists(PLAIN_ROW, min_size=1, max_size=30),
    st.integers(0, 6),
    st.booleans(),
)
def test_picked_configurations_are_what_the_grouped_ones_give(
    rows: list[str], window: int, new_key: bool
) -> None:
    history = parse_results("\n".join([HEADER, *rows]) + "\n", "f.tsv")
    table = history.table  # by columns when the file is plain, else from the experiments
    exps = parse_results("\n".join([HEADER, *rows]) + "\n", "f.tsv", fast=False).experiments
    keys = replicate_keys(exps)
    assert table.keys == keys and table.key_counts() == Counter(keys)
    assert list(table.key_counts()) == list(dict.fromkeys(keys))  # in order of the first row
    scale = scale_for([e.value for e in exps if e.value is not None] or [1.0], "min")
    configs = group_configs(exps)
    for key in [*dict.fromkeys(keys), *(["#new"] if new_key else [])]:
        picked = pick_configs(table, key, scale, window)
        cand = next((c for c in configs if c.key == key), None)
        first = cand.rows[0].index if cand is not None else len(exps)
        before = [c for c in configs if c.key != key and c.rows[0].index < first]
        assert picked.first == first
        assert picked.rows == (list(cand.rows) if cand is not None else [])
        assert values_span(picked.span_values, scale, [0.5]) == effect_span(before, scale, [0.5])
        assert picked.window == recent(before, scale, window)
        assert [c.key for c in picked.window] == [c.key for c in recent(before, scale, window)]
        candidate = (key, len(exps), [0.1, 0.2])
        expected = replicate_groups(configs, scale, candidate)
        assert replicate_groups(picked.measured, scale, candidate) == expected


DELTAS = st.lists(st.sampled_from([0.0, -0.0]) | st.floats(-1.0, 1.0, allow_nan=False), max_size=60)


@PROPS
@given(DELTAS)
def test_the_empirical_null_with_numpy_is_the_pure_one(deltas: list[float]) -> None:
    assert empirical_null(deltas, bulk=0) == empirical_null(deltas, bulk=math.inf)  # type: ignore[arg-type]


@PROPS
@given(
    st.lists(st.floats(1e-300, 1e300) | st.integers(-(10**20), 10**20), max_size=20),
    st.sampled_from(["min", "max"]),
    st.booleans(),
)
def test_working_values_in_bulk_are_those_one_by_one(
    ys: list[float], direction: str, log: bool
) -> None:
    scale = Scale(direction, log and all(y > 0 for y in ys))
    expected = [scale.sign * (math.log(y) if scale.log else y) for y in ys]
    assert [repr(x) for x in scale.to_xs(ys)] == [repr(x) for x in expected]


@PROPS
@given(st.floats(-0.05, 0.05), st.floats(1e-6, 0.05), st.floats(0.0, 0.2))
def test_the_posterior_is_the_formula_with_max_and_sum(d: float, s: float, span: float) -> None:
    prior = EffectPrior.default_prior(span=span)
    z = (prior.grid - d) / max(s, 1e-12)
    logp = np.log(np.maximum(prior.weights, 1e-300)) - 0.5 * (z * z)
    p = np.exp(logp - logp.max())
    assert np.array_equal(prior.posterior(d, s), p / p.sum())
