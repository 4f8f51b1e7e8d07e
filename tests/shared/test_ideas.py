"""The idea catalogue: contents, no-op check, dedupe against a history, neighbours, errors."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autolab_shared.core.errors import InputError
from autolab_shared.steering.ideas import (
    CATEGORIES,
    DEFAULTS,
    RISKS,
    Idea,
    Tried,
    canonical_knob,
    description_tokens,
    is_noop,
    is_tried,
    jaccard,
    load_ideas,
    near_miss_ideas,
    tried_from,
    untried,
    value_neighbours,
    values_equal,
)
from autolab_shared.steering.knobvalue import readings as parse_number

IDEAS = load_ideas()
BY_ID = {idea.id: idea for idea in IDEAS}


def knob_idea(knob: str, value: str, text: str = "x", gain: float = 0.1) -> Idea:
    return Idea("t", "learning_rate", text, "low", gain, "why", knob=knob, value=value)


# ---------------------------------------------------------------------------- catalogue


def test_catalogue_has_at_least_40_ideas_with_unique_ids() -> None:
    assert len(IDEAS) >= 40
    assert len({idea.id for idea in IDEAS}) == len(IDEAS)


def test_every_category_has_at_least_two_ideas() -> None:
    counts = Counter(idea.category for idea in IDEAS)
    assert set(counts) == set(CATEGORIES)
    assert min(counts.values()) >= 2


def test_fields_are_well_formed() -> None:
    for idea in IDEAS:
        assert idea.risk in RISKS
        assert 0 < idea.expected_gain < 5
        assert idea.text and idea.why
        assert (idea.knob is None) == (idea.value is None)


def test_every_knob_idea_changes_the_default() -> None:
    knob_ideas = [idea for idea in IDEAS if idea.knob is not None]
    assert len(knob_ideas) >= 20
    for idea in knob_ideas:
        knob, value = idea.knob, idea.value
        assert knob is not None and value is not None, idea.id
        assert knob in DEFAULTS, idea.id
        assert not values_equal(value, DEFAULTS[knob]), idea.id
        assert not is_noop(idea), idea.id


def test_no_two_ideas_share_knob_and_value() -> None:
    pairs = [(i.knob, i.value) for i in IDEAS if i.knob is not None and i.value is not None]
    for n, (knob, value) in enumerate(pairs):
        assert not any(k == knob and values_equal(v, value) for k, v in pairs[n + 1 :])


def test_no_idea_counts_as_tried_by_another_ideas_text() -> None:
    for idea in IDEAS:
        others = tried_from([i.text for i in IDEAS if i.id != idea.id], [])
        assert not is_tried(idea, others), idea.id


def test_the_builtin_catalogue_is_loaded_once() -> None:
    assert load_ideas() is load_ideas()


def test_a_catalogue_file_loads_from_a_path(tmp_path: Path) -> None:
    path = tmp_path / "ideas.toml"
    path.write_text(
        '[[idea]]\nid = "a"\ncategory = "data"\ntext = "t"\nknob = "Matrix LR"\n'
        'value = 0.05\nrisk = "low"\nexpected_gain = 1\nwhy = "w"\n',
        encoding="utf-8",
    )
    (idea,) = load_ideas(str(path))
    assert (idea.knob, idea.value, idea.expected_gain) == ("matrix_lr", "0.05", 1.0)


# ---------------------------------------------------------------------------- no-op check


@pytest.mark.parametrize(
    ("knob", "value", "noop"),
    [
        ("window_pattern", "SSSL", True),
        ("window_pattern", '"sssl"', True),
        ("window_pattern", "SSSLSSSL", True),  # tiles to the same 8 layers
        ("window_pattern", "SSSSL", False),
        ("total_batch_size", "524288", True),
        ("total_batch_size", "2^19", True),
        ("total_batch_size", "2**18", False),
        ("aspect_ratio", "56", True),  # 8 * 56 = 448 rounds up to the same 512
        ("aspect_ratio", "80", False),
        ("depth", "8", True),
        ("head_dim", "64", False),
        ("final_lr_frac", "0", True),
        ("adam_betas", "(0.8,0.95)", True),
        ("adam_betas", "(0.8, 0.9)", False),
        ("unknown_knob", "1", False),
    ],
)
def test_is_noop(knob: str, value: str, noop: bool) -> None:
    assert is_noop(knob_idea(knob, value)) is noop


# ---------------------------------------------------------------------------- values


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [
        ("0.050", "0.05", True),
        ("0.05", "0.051", False),
        ("2**19", "524288", True),
        ("2^19", "2**19", True),
        ("524K", "524288", True),
        ("256K", "2**18", True),
        ("64K", "65536", True),
        ("1M", "2**20", True),
        ("3 * 2**18", "786432", True),
        ("5%", "0.05", True),
        ("0.7x", "0.7", True),
        ("1e-3", "0.001", True),
        ("200K", "200000", True),
        ("(0.8, 0.9)", "0.8, 0.90", True),
        ("(0.8, 0.9)", "(0.8, 0.95)", False),
        ("(0.8, 0.9)", "0.9", False),
        ("SSSL", "'sssl'", True),
        ("SSSL", "SSSSL", False),
    ],
)
def test_values_equal(a: str, b: str, equal: bool) -> None:
    assert values_equal(a, b) is equal
    assert values_equal(b, a) is equal


@pytest.mark.parametrize("text", ["SSSL", "none", "", "2**", "1e999"])
def test_parse_number_rejects_non_numbers(text: str) -> None:
    assert parse_number(text) is None


@given(st.floats(min_value=1e-6, max_value=1e6))
def test_a_float_equals_its_printed_forms(x: float) -> None:
    assert values_equal(repr(x), format(x, ".15g"))
    assert not values_equal(repr(x), repr(x * 1.01))


# ---------------------------------------------------------------------------- dedupe


def test_same_knob_and_value_is_tried_numerically() -> None:
    idea = BY_ID["lr-matrix-0.05"]
    assert is_tried(idea, tried_from([], [("MATRIX_LR", "0.050")]))
    assert is_tried(idea, tried_from([], [("Matrix LR", "5e-2")]))
    assert not is_tried(idea, tried_from([], [("matrix_lr", "0.045")]))
    assert not is_tried(idea, tried_from([], [("embedding_lr", "0.05")]))


def test_batch_sizes_match_in_any_notation() -> None:
    idea = BY_ID["batch-2-18"]
    for value in ("262144", "2^18", "262K", "256K"):
        assert is_tried(idea, tried_from([], [("TOTAL_BATCH_SIZE", value)])), value
    assert is_tried(idea, tried_from([], [("batch", "2**18")]))  # alias
    assert not is_tried(idea, tried_from([], [("total_batch_size", "131K")]))


def test_a_tuple_knob_matches_its_changed_component() -> None:
    idea = BY_ID["opt-adam-beta2-0.9"]
    assert is_tried(idea, tried_from([], [("adam_beta2", "0.90")]))
    assert is_tried(idea, tried_from([], [("ADAM_BETAS", "(0.8, 0.9)")]))
    assert not is_tried(idea, tried_from([], [("adam_beta1", "0.9")]))


def test_near_identical_descriptions_count_as_tried() -> None:
    assert is_tried(BY_ID["lr-embedding-0.8"], tried_from(["embedding LR 0.6 to 0.8"], []))
    assert is_tried(BY_ID["sched-warmdown-0.7"], tried_from(["warmdown 0.5 to 0.7"], []))
    assert is_tried(BY_ID["init-x0-lambda-0.05"], tried_from(["x0_lambda init 0.1 to 0.05"], []))
    assert is_tried(
        BY_ID["attn-pattern-sssssl"], tried_from(["SSSSL window pattern (5:1 short:long)"], [])
    )
    assert is_tried(
        BY_ID["lr-matrix-0.05"], tried_from(["agent1: MATRIX_LR 0.04→0.050 (hypothesis: x)"], [])
    )


def test_different_descriptions_do_not_count_as_tried() -> None:
    pair = "Embedding LR 0.6→0.8 + Unembedding LR 0.004→0.008"
    tried = tried_from(["embedding LR 0.8 to 0.9", pair], [])
    assert not is_tried(BY_ID["lr-embedding-0.8"], tried)
    assert not is_tried(BY_ID["lr-unembedding-0.006"], tried_from(["unembedding LR 0.004"], []))


def test_near_duplicates_need_jaccard_of_at_least_0_8() -> None:
    idea = Idea("t", "data", "alpha beta gamma delta", "low", 1.0, "why")
    assert is_tried(idea, tried_from(["alpha beta gamma delta epsilon"], []))  # 4/5
    assert not is_tried(idea, tried_from(["alpha beta gamma epsilon"], []))  # 3/5
    five = Idea("t", "data", "alpha beta gamma delta epsilon", "low", 1.0, "why")
    assert is_tried(five, tried_from(["alpha beta gamma delta"], []))  # 4/5
    assert not is_tried(five, tried_from(["alpha beta gamma delta zeta"], []))  # 4/6


def test_a_near_duplicate_is_found_among_many_descriptions() -> None:
    history = [f"depth {n} -> {n + 1} #{n}" for n in range(3000)]
    tried = tried_from(history, [("depth", str(n + 1)) for n in range(3000)])
    assert not is_tried(BY_ID["lr-embedding-0.8"], tried)
    assert is_tried(
        BY_ID["lr-embedding-0.8"], tried_from([*history, "embedding LR 0.6 to 0.8"], [])
    )
    assert is_tried(knob_idea("depth", "2999.0"), tried)
    assert not is_tried(knob_idea("depth", "3001"), tried)


WORDS = st.sampled_from(["alpha", "beta", "gamma", "delta", "lr", "0.05", "0.050", "to", "7"])


@given(
    st.lists(st.lists(WORDS, max_size=6).map(" ".join), max_size=12),
    st.lists(WORDS, max_size=6).map(" ".join),
)
def test_is_tried_compares_with_every_description(history: list[str], text: str) -> None:
    tried = tried_from(history, [])
    mine = description_tokens(text)
    scan = any(jaccard(mine, other) >= 0.8 for other in tried.descriptions)
    assert is_tried(Idea("t", "data", text, "low", 1.0, "why"), tried) == scan


def test_description_tokens_normalise_numbers_case_and_filler() -> None:
    assert description_tokens("WARMDOWN_RATIO 0.50 -> 0.7") == description_tokens(
        "warmdown 0.5 to 0.70"
    )
    assert jaccard(frozenset(), frozenset()) == 0.0


def test_tried_from_canonicalises_knobs_and_skips_blanks() -> None:
    tried = tried_from(["", "  "], [("Warmdown", "0.7"), ("WARMDOWN_RATIO", " 0.8 "), ("", "1")])
    assert tried.descriptions == ()
    assert tried.values("warmdown_ratio") == ("0.7", "0.8")
    assert canonical_knob("  Matrix-LR ") == "matrix_lr"


def test_untried_ranks_by_gain_over_risk_and_keeps_order_on_ties() -> None:
    low = Idea("low", "data", "alpha", "low", 0.2, "w")
    medium = Idea("medium", "data", "beta", "medium", 0.4, "w")  # same score as low
    high = Idea("high", "data", "gamma", "high", 4.0, "w")
    other = Idea("other", "attention", "delta", "low", 9.0, "w")
    ranked = untried([low, medium, high, other], Tried(), category="data")
    assert [i.id for i in ranked] == ["high", "low", "medium"]
    assert [i.id for i in untried([medium, low], Tried())] == ["medium", "low"]


def test_untried_drops_what_the_history_tried() -> None:
    tried = tried_from(["halve batch 524K to 262K"], [("total_batch_size", "262K")])
    left = untried(IDEAS, tried, category="batch_size")
    assert "batch-2-18" not in {i.id for i in left}
    assert {i.category for i in left} == {"batch_size"}
    scores = [i.score for i in untried(IDEAS, Tried())]
    assert scores == sorted(scores, reverse=True)


# ---------------------------------------------------------------------------- neighbours


@pytest.mark.parametrize(
    ("knob", "tried", "kept", "expected"),
    [
        ("matrix_lr", ["0.045"], "0.04", ["0.05", "0.035"]),
        ("MATRIX_LR", ["0.045", "0.035", "0.030"], "0.04", ["0.05", "0.025"]),
        ("init_scale", ["0.8", "0.7", "0.6", "0.65", "0.72", "0.66"], "0.68", ["0.74", "0.64"]),
        ("total_batch_size", ["524K", "131K"], "262K", ["2**20", "2**16"]),
        ("batch", [], "2**18", ["2**19", "2**17"]),
        ("window_pattern", ["SSSL", "SSSSSL"], "SSSSL", ["SSSSSSL", "SSL"]),
        ("softcap", ["13", "14", "20"], "15", ["16", "12"]),
        ("ns_steps", ["4"], "5", ["3"]),  # 6 would be a no-op: 5 coefficient sets
        ("warmdown_ratio", ["0.8", "0.75"], "0.7", ["0.85", "0.65"]),
        ("final_lr_frac", [], "0.0", ["0.01"]),
        ("ve_gate_scale", ["3"], "2", ["2.2", "1.8"]),  # not in the table: steps of 10%
        # written whole, not in the table: whole steps, never below 1 (wendlerc, EthanBobbyTR)
        ("n_blocks", ["8", "6"], "7", ["9", "5"]),
        ("cache_k", [], "5", ["6", "4"]),
        ("expand", ["2"], "1", ["3"]),
        ("creative_cached", [], "40", ["44", "36"]),
        ("model_dim", ["640"], "512", ["768", "384"]),  # whole heads of 128, not 562
        ("n_head", ["8"], "16", ["32", "4"]),  # halved or doubled, not 18 (wendlerc)
        ("lr", ["-20%", "-10%"], "-30%", ["-27%", "-33%"]),  # a percentage stays one
        ("max_memory_fraction", [], "0.98", ["0.88"]),  # a fraction stays within [0, 1]
        ("adam_betas", [], "(0.8, 0.95)", []),
        ("some_knob", [], "0", []),
    ],
)
def test_value_neighbours(knob: str, tried: list[str], kept: str, expected: list[str]) -> None:
    assert value_neighbours(knob, tried, kept) == expected


@given(st.sets(st.integers(min_value=1, max_value=40), max_size=12))
def test_neighbours_are_never_tried_or_kept(steps: set[int]) -> None:
    tried = [f"{n * 0.005:.3f}" for n in steps]
    for value in value_neighbours("matrix_lr", tried, "0.04"):
        assert not any(values_equal(value, old) for old in [*tried, "0.04"])


# ---------------------------------------------------------------------------- near-misses


def test_near_misses_give_a_combination_and_retries() -> None:
    ideas = near_miss_ideas([("learning_rate", "matrix LR 0.04 to 0.045"), ("odd", "VE LR 1.5x")])
    assert [i.category for i in ideas] == ["combination", "learning_rate", "combination"]
    assert "matrix LR 0.04 to 0.045 + VE LR 1.5x" in ideas[0].text
    assert near_miss_ideas([("data", "x")])[0].id == "near-miss-retry-1"
    assert near_miss_ideas([]) == []


# ---------------------------------------------------------------------------- bad files

GOOD = 'id = "a"\ncategory = "data"\ntext = "t"\nrisk = "low"\nexpected_gain = 0.1\nwhy = "w"\n'


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[[idea]]\nid = \n", "not valid TOML"),
        ("title = 'no ideas'\n", "no [[idea]] tables"),
        ("idea = 3\n", "no [[idea]] tables"),
        (f"[[idea]]\n{GOOD}[[idea]]\n{GOOD}", "used twice"),
        ("[[idea]]\n" + GOOD.replace('"data"', '"vibes"'), "unknown category"),
        ("[[idea]]\n" + GOOD.replace('"low"', '"tiny"'), "risk must be"),
        ("[[idea]]\n" + GOOD.replace("0.1", "-1"), "expected_gain"),
        ("[[idea]]\n" + GOOD.replace("0.1", "true"), "expected_gain"),
        ("[[idea]]\n" + GOOD.replace('text = "t"\n', ""), "text must be"),
        ("[[idea]]\n" + GOOD.replace('"a"', '"Bad Id"'), "slug"),
        ("[[idea]]\n" + GOOD + 'knob = "depth"\n', "knob and value go together"),
        ("[[idea]]\n" + GOOD + 'knob = "depth"\nvalue = true\n', "value must be"),
        ("[[idea]]\n" + GOOD + 'colour = "red"\n', "unknown field"),
        ("idea = [1]\n", "not a table"),
    ],
)
def test_bad_catalogues_raise_input_error(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "ideas.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(InputError, match=re.escape(message)) as info:
        load_ideas(str(path))
    assert info.value.path == str(path)


def test_toml_errors_carry_the_line(tmp_path: Path) -> None:
    path = tmp_path / "ideas.toml"
    path.write_text("[[idea]]\nid = 'a'\nrisk = = 'low'\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_ideas(str(path))
    assert info.value.line == 3


def test_unreadable_catalogues_raise_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        load_ideas(str(tmp_path / "missing.toml"))
    path = tmp_path / "latin1.toml"
    path.write_bytes(b"[[idea]]\nid = '\xe9'\n")
    with pytest.raises(InputError, match="not UTF-8"):
        load_ideas(str(path))
