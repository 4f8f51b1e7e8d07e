"""The classifier's learned fallback (steering/fallback.py) and the tag-only list signals.

The fallback is a naive Bayes model over words and word pairs, trained by
benchmarks/train_fallback.py on the tuning label fixtures; it names a category only for
rows no rule matches, and only when confident (docs/classifier.md, "Learned fallback").
"""

from __future__ import annotations

import json

import pytest
from lineartime import linear_enough
from support import REPO_ROOT, load_script

from autolab_shared.steering.classify import Classifier
from autolab_shared.steering.fallback import (
    builtin_model,
    fallback_guess,
    features,
    from_stored,
    train,
)
from autolab_shared.steering.listing import (
    assigns_several,
    best_with,
    flags_several,
    is_run_name,
    lists_loosely,
    plus_parted,
    run_label,
)
from autolab_shared.steering.taxonomy import load_taxonomy, parse_taxonomy

BENCH = load_script(REPO_ROOT / "benchmarks" / "train_fallback.py")  # trains the shipped model
HELD_OUT = "steer_labels_heldout11.tsv"


def test_the_shipped_model_is_the_one_trained_on_the_tuning_fixtures_only() -> None:
    """data/fallback_nb.json is what benchmarks/train_fallback.py --write gives: the tuning
    fixtures' counts, so no held-out row went into it."""
    stored = json.loads(BENCH.STORED.read_text(encoding="utf-8"))
    rows = BENCH.tuning_rows()
    assert stored == BENCH.trained(rows, threshold=stored["threshold"])
    assert HELD_OUT not in BENCH.TUNING
    assert not {r["description"] for r in BENCH.fixture_rows(HELD_OUT)} & {
        r["description"] for r in rows
    }
    assert sum(stored["docs"].values()) == len(rows)
    assert 0.5 <= stored["threshold"] < 1.0


def test_a_trained_model_names_what_it_was_shown_and_nothing_from_no_evidence() -> None:
    rows = [("spin poll wait loop", "efficiency")] * 3 + [("add new feature column", "data")] * 3
    model = from_stored(train(rows, threshold=0.8, min_count=1))
    assert model.guess("spin poll loop") == (model.guess("spin poll loop") or ("", 0))  # stable
    guess = model.guess("poll wait loop")
    assert guess is not None and guess[0] == "efficiency" and guess[1] >= 0.8
    assert model.guess("0Q") is None  # no known word: no guess, whatever the priors say
    assert model.posterior("xyzzy plugh") == []
    strict = from_stored(train(rows, threshold=1.0, min_count=1))
    assert strict.guess("poll feature") is None  # below the threshold: no guess


def test_the_fallback_names_only_rows_no_rule_matches() -> None:
    with_fallback, rules = Classifier(), Classifier(fallback=False)
    for row in BENCH.fixture_rows("steer_labels_heldout3.tsv"):
        found, ruled = with_fallback(row["description"]), rules(row["description"])
        if found.on == "learned":
            assert ruled.on == "none" and ruled.category == "other" != found.category
            assert found.matched.startswith("p=")
        else:
            assert found.category == ruled.category


def test_the_fallback_names_only_categories_the_taxonomy_has() -> None:
    text = "EXP30 inline hot loop"
    assert Classifier()(text).category == "efficiency"
    without = load_taxonomy().categories
    user = parse_taxonomy('mode = "replace"\n[[category]]\nname = "speed"\npatterns = ["fast"]\n')
    assert Classifier(user)(text).category == "other"
    assert fallback_guess("spec n_max=16 draft tokens", ("speed", "other")) is None
    assert {c.name for c in without} >= set(builtin_model().categories)
    assert Classifier(fallback=False)("EXP32 no deadline check").on == "none"


@pytest.mark.parametrize("text", ["KNOB=" * 10000, "a b " * 12500, "é" * 50000, "1+" * 25000])
def test_the_fallback_reads_hostile_text_in_linear_time(text: str) -> None:
    def read(text: str) -> None:
        features(text)
        builtin_model().posterior(text)

    passed, measured = linear_enough(read, text, 0.25)
    assert passed, measured


def test_lists_the_item_split_leaves_whole_are_tagged() -> None:
    assert lists_loosely("priority decision framework, no-lookup directive")
    assert lists_loosely("wire-before-refund, partner-escalation, compute-yourself")
    assert lists_loosely("CREATIVE k=3+noprefetch+512KB")
    assert lists_loosely("batch16+gather/logsumexp")
    assert not lists_loosely("attention and FFN pre-norm")
    assert not lists_loosely("modulation+output")  # no setting among the parts
    assert lists_loosely("CREATIVE predictor 0.4+512KB")  # the word before names the 0.4
    assert not lists_loosely("lr 0.5+0.3") and not lists_loosely("predictor 1e+3")
    assert not lists_loosely("ElasticNet GridSearchCV alpha+l1_ratio")
    assert not lists_loosely("zeta=1+0.5*nonlin works")  # a formula
    assert not lists_loosely("slightly over-dispersed, big improvement over DPS")  # a result
    assert not lists_loosely("n_gpu=16, batch=64/64, q8_0 KV")  # settings: change_items' job
    assert "multi_change" in Classifier()("act-immediately, no confirmation, always tool-call").tags


def test_a_run_name_beside_one_setting_is_not_a_second_setting() -> None:
    assert is_run_name("marathon v4 cycle 1") and is_run_name("run 35")
    assert not is_run_name("depth 12") and not is_run_name("marathon") and not is_run_name("v4=2")
    found = Classifier()("[Phase3:Lion+Fused] marathon v4 cycle 5 ACCUM=10")
    assert found.category == "batch_size" and "multi_change" not in found.tags
    assert "multi_change" in Classifier()("depth 12 + ACCUM=10").tags


def test_lists_of_settings_no_rule_names_are_tagged() -> None:
    classify = Classifier(fallback=False)
    assert assigns_several("spec n_max=8 p_min=0.3") and not assigns_several("x=1 x=2")
    assert "multi_change" in classify("spec n_max=8 p_min=0.3 — p_min=0 optimal").tags
    assert plus_parted("full BPTT + no spatial smooth")
    assert not plus_parted("Hebrew + Georgian date support")  # one-word items: one change
    assert not plus_parted("marathon v4 + run 3") and not plus_parted("full BPTT")
    assert plus_parted("log_mileage + car_age")  # snake_case names are settings
    assert "multi_change" in classify("pq11 full BPTT + no spatial smooth").tags
    assert flags_several("train on window: --lookback-eras 20 --trailing-eras 20; worse")
    assert not flags_several("--top-k 90 on merged pool")
    assert not flags_several("--a 1 (then --b 2)")  # the second is past the first clause
    found = classify("--lookback-eras 20 --trailing-eras 20")
    assert "multi_change" in found.tags


def test_a_run_label_is_no_value_of_the_item_it_leads() -> None:
    assert run_label("b16 hflip") == ("b16", "hflip") and run_label("l96") == ("", "l96")
    assert Classifier()("b16 hflip + WD 0.01").category == "regularization"  # hflip: the base
    assert Classifier()("int6 quant + 11L").category == "combination"  # int6 names a setting
    found = Classifier()("b3 warmstart both + cosine combined")  # "combined": no base
    assert found.category == "combination" and "multi_change" in found.tags
    found = Classifier()("b46 l2 seed=99")  # a second label-like token is a setting
    assert found.category == "baseline" and "multi_change" in found.tags


def test_a_label_that_names_a_change_before_several_settings_is_a_list() -> None:
    classify = Classifier()
    found = classify("int4-compression: first 8 layers int4_step=1 fp16_export=1 verify exact")
    assert found.category == "efficiency" and "multi_change" in found.tags
    assert "multi_change" not in classify("baseline: unmodified, BS=64 D=384 DEPTH=12").tags
    assert "multi_change" not in classify("int4-compression: int4_step=1 on 8 layers").tags
    assert "multi_change" not in classify("width sweep on a=1 b=2: depth 8").tags  # no label


def test_a_run_label_beside_a_seed_is_no_second_setting() -> None:
    found = Classifier()("b48 seed=19")
    assert found.category == "baseline" and "multi_change" not in found.tags
    assert "multi_change" in Classifier()("b24 no_ema seed=1").tags  # a change and a seed
    assert "multi_change" in Classifier()("l96 lr=0.02").tags  # no seed: l96 is a setting


def test_run_length_and_reinstalled_runs() -> None:
    classify = Classifier(fallback=False)
    text = "Hypothesis: on the validated 6x256 MLX shape, increasing iterations from 200 to 300"
    assert classify(text).category == "other"
    assert classify("extended wallclock with int4_step=2 at 1800s cap").category == "other"
    assert classify("Muon NS iterations 5→4").category == "optimizer"
    found = classify("one-invoice LayoutLMv3 token classifier after pytesseract install")
    assert found.category == "baseline"


def test_the_best_configuration_with_a_change_is_two_settings() -> None:
    assert best_with("Manual experiment 3: best feature set with smote")
    assert best_with("best config with warmdown 0.3")
    assert not best_with("Hypothesis: after 8x384 became the best remote pivot with more bytes")
    assert not best_with("depth 12 with the best LR")
    assert best_with("Manual experiment 2: re-run best feature set with downsample")
    found = Classifier()("Manual experiment 2: re-run best feature set with downsample")
    assert found.category == "baseline" and "multi_change" in found.tags
    assert "multi_change" in Classifier()("Manual experiment 3: best feature set with smote").tags


def test_pieces_that_say_what_they_change_are_items() -> None:
    classify = Classifier()
    assert "multi_change" in classify("cache k=3, no prefetch (PREFETCH_THREADS=0)").tags
    found = classify("keep engineered features and replace downsampling with SMOTE")
    assert found.category == "data" and "multi_change" in found.tags
    assert "multi_change" not in classify("replace iso-per-age with walk rates per age").tags
    assert "multi_change" in classify("remove value embeds, use x0").tags
    assert "multi_change" not in classify("attention and FFN pre-norm").tags
    assert lists_loosely("tool-calls-always, don't-ask-to-verify, out-of-scope")
