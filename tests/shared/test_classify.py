"""The change classifier and its taxonomy: rule order, change part, tags, user files, accuracy.

The accuracy test reads tests/fixtures/steer_labels.tsv: descriptions from real GPT-pretraining
histories in ../shared/data/real, each labelled by reading it before the classifier existed.
Labelling conventions (categories: docs/steering.md §1, docs/classifier.md):

* the category is the kind of change the row makes: the LR of any parameter group is
  learning_rate, its weight decay regularization, its init initialization;
* "A + B" where the file shows A is the base ("SiLU + matrix LR 0.06" after SiLU was kept,
  "x0_lambda 0.05 + warmdown 0.3 (worse than x0_lambda alone)") is labelled by B; two or
  more new changes of different kinds together are `combination`;
* baselines, re-runs and seed changes are `baseline`; harness, eval and run-length changes
  that do not change the model or its training are `other`;
* efficiency covers precision, compilation, kernels, checkpointing, compression and
  throughput settings (including eval throughput).
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import REPO_ROOT

from autolab_shared.core.errors import InputError
from autolab_shared.parsing.changepart import change_part, strip_labels
from autolab_shared.steering.classify import Classifier, classify
from autolab_shared.steering.listing import change_items
from autolab_shared.steering.taxonomy import (
    BASELINE,
    OTHER,
    Category,
    load_taxonomy,
    parse_taxonomy,
    taxonomy_toml,
)

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "steer_labels.tsv"
CATEGORIES = (
    "baseline",
    "efficiency",
    "attention",
    "architecture",
    "optimizer",
    "regularization",
    "lr_schedule",
    "learning_rate",
    "initialization",
    "batch_size",
    "positional",
    "activation",
    "normalization",
    "model_scale",
    "data",
    "combination",
    "other",
)


def _fixture() -> list[dict[str, str]]:
    with FIXTURE.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


# ---------------------------------------------------------------------------- accuracy


def test_fixture_is_large_varied_and_uses_known_categories() -> None:
    rows = _fixture()
    assert len(rows) >= 220
    assert len({r["file"] for r in rows}) >= 8
    assert {r["category"] for r in rows} <= set(CATEGORIES)
    descriptions = [r["description"] for r in rows]
    assert len(descriptions) == len(set(descriptions))
    assert all(d.strip() for d in descriptions)


def test_accuracy_on_hand_labelled_real_descriptions() -> None:
    classifier = Classifier()
    rows = _fixture()
    confusions = Counter(
        (r["category"], got)
        for r in rows
        if (got := classifier(r["description"]).category) != r["category"]
    )
    wrong = sum(confusions.values())
    accuracy = 1 - wrong / len(rows)
    assert accuracy >= 0.96, f"accuracy {accuracy:.3f}; confusions {confusions.most_common(8)}"


# ---------------------------------------------------------------------------- rule order


def _classified_as(description: str, category: str, multi: bool) -> None:
    """The description's category, and whether it is tagged multi_change."""
    found = classify(description)
    assert found.category == category
    assert ("multi_change" in found.tags) == multi


@pytest.mark.parametrize(
    ("description", "category"),
    [
        # parameter type before component: the published tool files these under "embedding"
        ("embedding LR 0.6 to 0.8", "learning_rate"),
        ("unembedding LR 0.004 to 0.006", "learning_rate"),
        ("VE LR 1.5x with WD", "learning_rate"),
        ("halve value embedding LR", "learning_rate"),
        ("VE WD 0.002 to 0.003", "regularization"),
        ("add WD 0.01 to lm_head", "regularization"),
        ("lm_head init std 0.001 to 0.01", "initialization"),
        ("x0_lambda init 0.1 to 0.05", "initialization"),
        ("Muon WD 0.2 to 0.22", "regularization"),
        ("muon momentum warmup 300 to 200 steps", "optimizer"),
        ("increase muon matrix lr to 0.05", "learning_rate"),
        ("x0_lambda beta1 0.96 to 0.90", "optimizer"),
        ("FINAL_LR_FRAC 0.0 to 0.05", "lr_schedule"),
        ("raise matrix lr to 0.045 on head256", "learning_rate"),
        ("MoE matrix_lr=0.10 from 0.08, worse than best", "learning_rate"),
        # substring traps of the published tool
        ("reduce overhead in eval loop", "efficiency"),
        ("fix the data loader so it shuffles properly", "data"),
        ("switch the loss to mean squared error", OTHER),
        ("rope base 10K to 200K", "positional"),
        # early special cases
        ("Window warmup 3-phase (128→256→512 over training)", "attention"),
        ("int6 quant", "efficiency"),
        ("int6 quant + 11L", "combination"),  # two changes of different kinds, neither a retune
        ("selective MLP-only activation checkpointing", "efficiency"),
        ("Sparse MoE MLP: 4 half-sized SwiGLU experts with Top-1 routing", "architecture"),
        ("MoE top_k=3, 31.5M params", "architecture"),  # a few experts: routing
        ("top_k 60->90 for the expanded pool", "data"),  # tens of features: a selection
        ("--top-k 120 on merged pool", "data"),
        ("batched forward pass", "efficiency"),  # batching work, not the batch size
        ("mega-batch internal sub-batching", "efficiency"),
        ("Indexed expert cache makes a larger hotset viable", "efficiency"),
        ("increasing iterations from 200 to 300", OTHER),
        ("b3 cosine+flat recursion combined", "combination"),
        ("b12 EMA warmup 10%", "optimizer"),  # the EMA's warmup, not the LR's
        ("BLOCK_SIZE_K=128 aligned to group_size", "efficiency"),  # a kernel's tile, no block
        ("weight tying (shared embed/unembed, broken)", "architecture"),
        ("SWA over 150 warmdown steps", "optimizer"),
        # plain cases, one per category
        ("halve batch 524K to 262K (more steps in 5 min)", "batch_size"),
        ("depth 9 aspect_ratio 57", "model_scale"),
        ("MLP hidden 4x to 3.5x", "model_scale"),
        ("SSSSL window pattern (5:1 short:long)", "attention"),
        ("head_dim 128->64", "attention"),
        ("MLP squared_relu->gelu", "activation"),
        ("Peri-LN (post-sub-layer norm, Gemma 2 style)", "normalization"),
        ("seq_len 2048 — fewer steps", "data"),
        ("apply best focused Bayesian config", "combination"),
        ("FP8 training via torchao", "efficiency"),
        ("U-Net skip connections with sigmoid gating", "architecture"),
        ("softcap 15 to 20", "regularization"),
        ("random seed 42 to 137", BASELINE),
        ("agent1: Concurrent baseline (no changes)", BASELINE),
        ("something entirely different", OTHER),
        # joeynyc-style experiment names
        ("exp3_warmdown200", "lr_schedule"),
        ("exp6_matrixlr06", "learning_rate"),
        ("exp1_12layers", "model_scale"),
        ("exp27_untied_embed", "architecture"),
    ],
)
def test_rule_order(description: str, category: str) -> None:
    assert classify(description).category == category


@pytest.mark.parametrize(
    ("description", "category", "multi"),
    [
        # several settings: the main change, or combination; tagged multi_change
        ("depth 12 + matrix LR 0.03", "model_scale", True),  # a size change with its LR retuned
        ("halve batch 524K -> 262K and LR x0.7", "batch_size", True),
        ("MATRIX_LR=0.05, WARMDOWN_RATIO=0.6, WEIGHT_DECAY=0.1", "combination", True),
        ("warmdown 0.6 + matrix lr 0.05 + wd 0.1", "combination", True),
        ("tweak — warmdown 0.6 + matrix lr 0.05", "combination", True),  # a list after a dash
        ("exp5 - warmdown 0.6, matrix lr 0.05", "combination", True),
        ("apply best config (warmdown 0.6 + LR 0.05)", "combination", True),
        ("SiLU + matrix LR 0.06", "learning_rate", True),  # the bare SiLU is the base
        ("N_BLOCKS=6 BS=8 + GRAD_CLIP=3.0 + action_dropout=0.1", "combination", True),
        ("baseline DEPTH=8 batch=32 all defaults", "baseline", False),  # describes a config
        ("RERUN WARMUP=30 GRAD_CLIP=3.0", "baseline", True),  # a re-run of a listed change
        ("WD=0 no weight decay", "regularization", False),  # one setting, said twice
        ("gradient clipping max_norm=1.0", "optimizer", False),
        ("EMA decay=0.999", "optimizer", False),
        ("depth 4->6 — val_bpb regressed 2.014->2.614, too few steps", "model_scale", False),
        ("x0_lambda 0.05 + warmdown 0.3 (worse than x0_lambda alone)", "lr_schedule", True),
        # model size as several dimensions, NxD or aspect ratio
        ("depth 10, n_embd 640, n_head 5", "model_scale", True),
        ("n_layer=10 n_head=8 n_embd=640", "model_scale", True),
        ("12x768 model (was 8x512)", "model_scale", False),
        ("aspect ratio 64 -> 48", "model_scale", False),
        ("narrower FFN, same depth", "model_scale", False),
        ("narrower noise sigmoid(0.7*randn)", "other", False),  # narrows no part of the model
        ("narrow sales-promise to named-rep", "other", False),
        ("exp22: 7-block model", "model_scale", False),
        # normalization layers replaced, gated or removed
        ("replace RMSNorm with LayerNorm", "normalization", False),
        ("remove QK norm", "normalization", False),
        ("gated RMSNorm on attention output", "normalization", False),
        ("BatchNorm1d after each hidden layer", "normalization", False),
        # data: shards, more data, tokenizer, augmentation
        ("more data: 20 shards instead of 10", "data", False),
        ("NUM_SHARDS 10 -> 40", "data", False),
        ("switch to a 32K BPE tokenizer", "data", False),
        ("horizontal flip augmentation", "data", False),
        # baselines that describe a configuration or a verification run
        ("baseline verification run", "baseline", False),
        ("parity rerun: deterministic resize baseline", "baseline", False),
        ("run 4: near-best (raw=1.369, SWA=1.367)", "baseline", False),
        (
            "Hypothesis: with X=1 fixed, the best direction yields the first remote baseline",
            "baseline",
            False,
        ),
        ("after establishing the remote baseline, add one more layer", "model_scale", False),
        # architecture named by mechanism
        ("residual stream mixing (hyper-connections, 2 streams)", "architecture", False),
        ("Issue #5: attention residuals (learnable alpha)", "architecture", False),
        ("MoE: 8 experts top-2", "architecture", False),
        ("looped transformer: 4 layers x 3 loops", "architecture", False),
        ("logit scale 30 on lm_head", "architecture", False),
        # inference engines: how a component runs, and engine settings
        ("GPU RoPE + fused CMD1+attention for full-attn layers", "efficiency", True),
        ("2-BIT EXPERTS: 5.55 tok/s sustained", "efficiency", False),
        ("mmap expert files: 5x regression", "efficiency", False),
        ("threads=8", "efficiency", False),
        # a sweep row that records its whole configuration is not several changes
        (
            "n_gpu=16, batch=128/64, q8_0 KV, n_ctx=512, flash=1 — wall=8.98tok/s",
            "efficiency",
            False,
        ),
        ("depth 10, n_embd 640, n_head 5, lr 0.02", "model_scale", True),  # four: a change
        # tabular models: families, tree sizes and strengths, features and sampling
        ("Ridge regression (negative Sharpe)", "architecture", False),
        ("GBR depth 2 300 trees min_leaf 100", "model_scale", False),
        ("min_child_samples=20 same result (LightGBM default)", "regularization", False),
        ("DOW cyclical + momentum accel features", "data", True),
        ("target enc for 5 cols — extra cols add noise", "data", False),
        ("smote_ratio=0.45 worse than 0.4", "data", False),
        ("walkforward; fixed features; lookback=142; purge=4", "data", False),
        ("logistic clf worse", "architecture", False),
        # engine cache types, synchronisation and speculative work are runtime settings
        ("n_gpu=16, batch=64/64, f32 KV, n_ctx=512, flash=1 — wall=8.98tok/s", "efficiency", False),
        ("n_gpu=16, batch=64/64, iq4_nl KV, n_ctx=512, flash=1", "efficiency", False),
        ("lockless set-based queue", "efficiency", False),
        ("atomic counters instead of a mutex", "efficiency", False),
        ("speculative early routing of experts", "efficiency", False),
        # shapes of a CAD program: plates, holes, extents, dimension parameters
        ("Recognize the centered blind-hole plate family and regenerate its depth", "other", False),
        ("Bind semantic outer-dimension parameters to the generated box extents", "other", False),
        # a run number under an experiment number is a repeat of that experiment
        ("exp37 run14: LR2=4e-4 + SWA (raw=1.369 SWA=1.367)", "baseline", True),
        ("exp37: LR2=4e-4 + SWA", "learning_rate", True),
    ],
)
def test_issue_13_patterns(description: str, category: str, multi: bool) -> None:
    _classified_as(description, category, multi)


@pytest.mark.parametrize(
    ("description", "category", "multi"),
    [
        # the sixth round (s-lab), from heldout6's misses: a removal or an LR after a value
        # is a setting of its own; not a result ("no improvement") nor a name's digit
        ("b20 LR 1e-3 no smooth", "learning_rate", True),
        ("b45 2 L_layers LR 2e-3", "model_scale", True),
        ("matrix LR 0.04 no warmup", "combination", True),
        ("b25 noema LR 1.7e-3", "learning_rate", False),
        ("x0_lambda LR 2x", "learning_rate", False),
        ("EMBED_LR 0.1->0.2 no improvement", "learning_rate", False),
        # H and L cycles of a recursive model: its architecture, two settings
        ("b44 h1_l8 (same problem)", "architecture", True),
        ("h2l2", "architecture", True),
        ("baseline TBPTT h2 l3 l1 n768", "baseline", False),
        # a tabular pipeline's offer rate is a business rule, not the model named beside it
        ("reg lgbm offer_rate=0.80 +929M", "other", False),
        # the model named with its role is the base of the one setting after it
        ("reg lgbm n_est=3000 +154M vs prev", "model_scale", False),
        ("lgbm clf smote_ratio=0.5, worse than lgbm best", "data", False),
        # a tree model's LR named before its size is the change; its size named first is
        ("reg lgbm lr=0.1 n_est=3000", "learning_rate", True),
        ("lr=0.25 leaves=128 worse", "learning_rate", True),
        ("n_estimators=2000 lr=0.01", "model_scale", True),
        # the best configuration run again to check it
        (
            "verify-export-path: retest best 11x496 untied with VERIFY_EXPORT_ROUNDTRIP=1",
            "baseline",
            False,
        ),
        ("validate best frontier with verify enabled after fix", "baseline", False),
    ],
)
def test_sixth_round_rules(description: str, category: str, multi: bool) -> None:
    _classified_as(description, category, multi)


@pytest.mark.parametrize(
    ("description", "category", "multi"),
    [
        # annealing of something other than the LR is no LR schedule (heldout7's CADS row)
        ("temperature annealing sampler", "other", False),
        ("condition annealing of the guidance scale", "other", False),
        ("cosine annealing LR schedule", "lr_schedule", False),
        ("LR annealing to zero", "lr_schedule", False),
        ("annealing over the last 20%", "lr_schedule", False),
        # "expand" sizes the model only as a factor or with a part of the model
        (
            "expand upper-minors summaries with iso woba walk strike and whiff features",
            "data",
            False,
        ),
        ("EXPAND 2->1 HEAD_DIM 128->64 no expansion simpler", "model_scale", True),
        ("expand=2", "model_scale", False),
        ("expand the MLP to 4x", "model_scale", False),
        # a compound that borrows the word is no baseline run
        ("restoring baseline-scale token budget", "other", False),
        ("baseline rerun", "baseline", False),
        # a classifier's decision threshold is a decision rule, not its model family
        ("lgbm clf fine threshold, same as best", "other", False),
        ("xgb classifier decision threshold 0.3", "other", False),
        ("lgbm clf smote_ratio=0.5, worse than lgbm best", "data", False),
        # a penalty retuned is a regularisation strength
        (
            "Re-tune penalty with features from iteration 31 and step_smote()",
            "regularization",
            False,
        ),
        ("tuned penalty strength", "regularization", False),
        # a review's verdict after a label: its prose ("context", "speed") names no change
        ("castor/client.py: FAIL - The analysis lacks context and speed figures", "other", False),
        ("robot.yaml: PASS - adds a memory cache", "other", False),
        ("FAIL - context too long", "other", False),
        ("FAIL: warps=8 for BLOCK_SIZE>=4096 hurt large -8% though wide +44%", "efficiency", False),
        ("Failed to create context (OOM?)", "data", False),  # only a review's FAIL/PASS
        # "conv" names a convolution, not convergence or a convention
        ("infer each axis so variants preserve the coordinate convention", "other", False),
        ("convergence check of the sampler", "other", False),
        ("depthwise conv1d before attention", "architecture", False),
    ],
)
def test_seventh_round_rules(description: str, category: str, multi: bool) -> None:
    _classified_as(description, category, multi)


@pytest.mark.parametrize(
    ("description", "category", "multi"),
    [
        # a depth that adapts to the input is how the model computes, not its size (heldout8)
        ("pq5 remove noise-adaptive depth (SIMPLIFICATION — same FID!)", "architecture", False),
        ("depth 12", "model_scale", False),
        # a penalty on the gradient is a regulariser
        ("b19 gradient penalty on velocity (diverged)", "regularization", False),
        # a tree model's row and column subsampling written with "="
        ("sub=0.9 same", "regularization", False),
        ("col=0.7", "regularization", False),
        ("sub 0.65 worse", "regularization", False),
        # the family written as one word
        ("randomforest clf balanced, worse", "architecture", False),
        ("random forest", "architecture", False),
        # a kernel's boundary checks
        ("ALIGNED flag skips boundary checks for aligned shapes", "efficiency", False),
        # "speed" is a run's speed only as a speed-up or the speed of a run's part
        ("speed up MPS path", "efficiency", False),
        ("draft accuracy matters more than draft speed", "efficiency", False),
        # a feature binned
        ("mileage bins 10", "data", False),
        # a file renamed, a loss weight's schedule, a trading signal filtered: no model change
        (
            "Renamed profile.py->profiler.py, unblocks torch.compile/vLLM/transformers",
            "other",
            False,
        ),
        ("pq5 sigmoid cosine weight schedule", "other", False),
        ("cosine LR schedule", "lr_schedule", False),
        ("Filters NBA signal (0.246) while keeping 4 high-quality", "other", False),
        ("filter outliers", "data", False),
        # a sampler study's verdict names the setting it holds at, not a change of it
        ("calibrated at alpha=2.0", "other", False),
        ("calibrated even at alpha=1.5!", "other", False),
        ("alpha=2.0", "regularization", False),
        # a feature column (upper snake case) removed, when no rule names the change
        ("remove HAS_BASEMENT worse", "data", False),
        ("remove WARMUP_RATIO", "lr_schedule", False),
        # measured figures parted by commas report results, not a list of settings
        (
            "35B model: NVFP4 100tok/s vs W4A16 39tok/s decode (2.5x), prefill 37x",
            "efficiency",
            False,
        ),
        ("cache k=3, no prefetch", "efficiency", True),
        # weight averaging beside another bare item is the base it was tried on
        ("time-based LR schedule + SWA: schedule completes", "lr_schedule", True),
        ("N_REGISTERS=0 + SWA", "architecture", True),
        # a consequence after a comma is no second change
        ("priority decision framework, no-lookup directive", "other", True),
    ],
)
def test_eighth_round_rules(description: str, category: str, multi: bool) -> None:
    _classified_as(description, category, multi)


@pytest.mark.parametrize(
    ("description", "category", "multi"),
    [
        # a count of estimators written after its number (tuning9: "cls lgbm 1000est")
        ("cls lgbm 1000est worse", "model_scale", False),
        ("clf 2000est worse", "model_scale", False),
        ("the smallest test set", "other", False),  # control: "est" inside a word
        # the model family written as one identifier (tuning9: "gradientboosting_clf")
        ("gradientboosting_clf worse", "architecture", False),
        ("gradient boosting", "architecture", False),
    ],
)
def test_ninth_round_rules(description: str, category: str, multi: bool) -> None:
    _classified_as(description, category, multi)


@pytest.mark.parametrize(
    ("description", "category", "multi"),
    [
        # a seed glued to its number after the settings it re-runs (tuning10)
        ("b30 L1+cos1 LR1.7e-3 seed0", "baseline", True),
        ("b30 L1+cos1 LR1.7e-3", "learning_rate", True),  # control: no seed, the LR change
        ("seedless init", "initialization", False),  # control: no number after "seed"
        # the cosine loss alone is no cosine schedule (tuning10: "b27 cosine-only + magnitude")
        ("b27 cosine-only + magnitude (diverged)", "other", False),
        ("cosine schedule", "lr_schedule", False),  # control
        # a beta with its value glued, then an LR: two settings (tuning10)
        ("b29 L1+cos beta95 LR 1.7e-3", "combination", True),
        ("b45 LR 2e-3", "learning_rate", False),  # control: a run label is no value
        ("x0_lambda LR 2x", "learning_rate", False),  # control: no value before the LR
        # a best configuration named in an aside before " + " is the base (tuning10)
        (
            "exp36: D_MODEL=512 N_BLOCKS=7 (osaka best) + WEIGHT_DECAY=0 — regression "
            "(raw=1.275 SWA=1.284)",
            "regularization",
            True,
        ),
        ("D_MODEL=512 N_BLOCKS=7 + WEIGHT_DECAY=0", "model_scale", True),  # control
        # a run number after an aside: a repeat (tuning10)
        ("overlapping clips (train only) run 2: average (raw=1.370 SWA=1.368)", "baseline", False),
        ("overlapping clips (train only)", "data", False),  # control
        # a loss named by its part or parameter (tuning9, the ninth round's "not done")
        ("b12 GAN discriminator head (0.01 weight)", "other", False),
        ("b12 SmoothL1 beta=0.5", "other", False),
        ("8 attention heads", "attention", False),  # controls
        ("beta2=0.95", "optimizer", False),
        # leaves written after an "l" (tuning9: "l80 slightly worse than l96")
        ("l80 slightly worse than l96", "model_scale", False),
        ("L40 GPU run", "efficiency", False),  # control: a GPU
        # a model family and one parameter after it, parted by a space: one setting (tuning9)
        ("xgboost scale_pos_weight=25, worse", "data", False),
        ("xgboost + scale_pos_weight=25", "data", True),  # control: "+" parts two changes
        # vLLM's multi-step scheduling (tuning10)
        ("num_scheduler_steps not supported in vLLM 0.17.1", "efficiency", False),
        ("scheduler warmup steps 100", "lr_schedule", False),  # control
    ],
)
def test_tenth_round_rules(description: str, category: str, multi: bool) -> None:
    _classified_as(description, category, multi)


def test_a_feature_named_speed_is_no_efficiency_change() -> None:
    rules = Classifier(fallback=False)  # the rules alone: the fallback knows these rows
    for text in ("add weighted upper-minors speed and speed-per-age", "replace speed with shape"):
        assert rules(text).category == "other"


@pytest.mark.parametrize(
    ("part", "items"),
    [
        ("b16 WD 0.02 no hflip", ["b16 WD 0.02", "no hflip"]),
        ("b21 LR 1.5e-3 no x0 loss no smooth", ["b21 LR 1.5e-3", "no x0 loss no smooth"]),
        ("b45 2 L_layers LR 1.5e-3", ["b45 2 L_layers", "LR 1.5e-3"]),
        ("b25 noema LR 1.7e-3", ["b25 noema LR 1.7e-3"]),  # "b25" labels the run
        ("TOTAL_BATCH_SIZE 2^15 no further gain", ["TOTAL_BATCH_SIZE 2^15 no further gain"]),
        ("WD=0 no weight decay", ["WD=0", "no weight decay"]),
    ],
)
def test_a_removal_or_an_lr_after_a_value_is_an_item(part: str, items: list[str]) -> None:
    assert [i.text for i in change_items(part)] == items


def test_the_change_part_wins_over_the_reasons() -> None:
    # the reasons mention batch and optimizer; the change is a depth change
    found = classify("reduce depth from 8 to 6 to increase the number of optimizer updates")
    assert (found.category, found.on, found.matched) == ("model_scale", "change", "depth")


def test_full_text_is_the_fallback_and_other_the_last_resort() -> None:
    full = classify("Bottleneck: instability around 40M tokens; shuffle the shards")
    assert full.on == "full"
    none = classify("nothing recognisable here")
    assert (none.category, none.on, none.matched, none.pattern) == (OTHER, "none", "", "")


def test_classification_names_the_pattern_that_matched() -> None:
    found = classify("weight_decay 0.2->0.4 — val_bpb 2.014->1.960")
    assert found.category == "regularization"
    assert found.matched == "weight decay"
    assert found.pattern == r"\bweight ?decay\b"


def test_results_are_cached_per_description() -> None:
    classifier = Classifier()
    assert classifier("warmdown 0.5 to 0.7") is classifier("warmdown 0.5 to 0.7")
    assert classifier.category("warmdown 0.5 to 0.7") == "lr_schedule"


# ---------------------------------------------------------------------------- change part


@pytest.mark.parametrize(
    ("description", "part"),
    [
        ("gpu0: depth=9 aspect=57 (model_dim=640, too slow)", "depth=9 aspect=57"),
        ("agent2: warmdown 0.3 (156 steps)", "warmdown 0.3"),
        ("exp12 WEIGHT_DECAY 0.2->0.1 (1.429 vs 1.394)", "WEIGHT_DECAY 0.2->0.1"),
        ("exp8: [radical] conv mixer replaces 3/4 attention", "conv mixer"),
        ("[Phase1:Adam] LR=5e-4 with ACCUM=10", "LR=5e-4"),
        ("weight_decay 0.2->0.4 — val_bpb 2.014->1.960", "weight_decay 0.2->0.4"),
        ("WINDOW_PATTERN=L (all full attention) - worse than SSSL", "WINDOW_PATTERN=L"),
        ("MATRIX_LR 0.03→0.04 (hypothesis: higher Muon LR)", "MATRIX_LR 0.03→0.04"),
        ("value embeddings: shared nn.Embedding added to values", "value embeddings"),
        ("SwiGLU(768) + warmdown fix", "SwiGLU(768) + warmdown fix"),
        (
            "Hypothesis: smaller batch = more optimizer steps",
            "smaller batch = more optimizer steps",
        ),
        ("single hypothesis: NUM_KV_HEADS=2 at 11x496 untied", "NUM_KV_HEADS=2"),
        ("after 8x512 improved, one more width step to 544", "one more width step to 544"),
        ("cosine warmdown instead of linear", "cosine warmdown"),
        ("lower weight decay to 0.1 after removing logit cap", "lower weight decay to 0.1"),
        ("reduce depth from 8 to 6 to increase training steps", "reduce depth from 8 to 6"),
        ("smote_ratio=0.45 worse than 0.4", "smote_ratio=0.45"),  # a result, not a setting
        ("lgbm clf smote_ratio=0.5, worse than lgbm best", "lgbm clf smote_ratio=0.5"),
        ("num_leaves=128 +57M smear=1.0006", "num_leaves=128"),
        ("   ", ""),
        ("(only a parenthesis)", "(only a parenthesis)"),
    ],
)
def test_change_part(description: str, part: str) -> None:
    assert change_part(description) == part


def test_strip_labels_drops_run_labels_only() -> None:
    assert strip_labels("gpu0: exp3_warmdown200") == "warmdown200"
    assert strip_labels("experimental warmdown") == "experimental warmdown"


# ---------------------------------------------------------------------------- tags


@pytest.mark.parametrize(
    ("description", "tags"),
    [
        ("remove logit cap — val_bpb improved", ("simplification",)),
        ("disable value embeddings", ("simplification",)),
        ("no logit cap + WD 2.0", ("simplification", "multi_change")),
        ("SiLU + matrix LR 0.06", ("multi_change",)),
        ("exp11: [combo] MLP 8x on conv model", ()),  # the [combo] label is dropped with "exp11:"
        ("combine the two best changes", ("multi_change",)),
        ("weight decay 0.01 (no improvement)", ()),
        ("depth 4->5 — no improvement", ()),
        ("parallel attn+MLP", ()),
    ],
)
def test_tags(description: str, tags: tuple[str, ...]) -> None:
    assert classify(description).tags == tags


# ---------------------------------------------------------------------------- taxonomy


def test_builtin_taxonomy_has_the_expected_categories() -> None:
    taxonomy = load_taxonomy()
    assert sorted(taxonomy.names) == sorted(CATEGORIES)
    assert taxonomy.names[0] == BASELINE and taxonomy.names[-1] == OTHER
    assert [c.name for c in taxonomy.categories if not c.arm] == [BASELINE]
    for category in taxonomy.categories:
        assert category.description
        assert 3 <= len(category.angles) <= 5, category.name
    other = taxonomy.category(OTHER)
    assert other is not None and other.patterns  # loss/objective words, the last resort
    assert taxonomy.rules[-1].category == OTHER
    assert taxonomy.simplification and taxonomy.multi_change
    assert taxonomy.category("nope") is None


def test_parameter_types_come_before_components_in_the_rules() -> None:
    order = [rule.category for rule in load_taxonomy().rules]
    first = {name: order.index(name) for name in set(order)}
    last = {name: len(order) - 1 - order[::-1].index(name) for name in set(order)}
    for param in ("optimizer", "regularization", "lr_schedule", "learning_rate", "batch_size"):
        assert first[param] < last["architecture"]
        assert first[param] < last["attention"]
    assert first["regularization"] < first["lr_schedule"] < first["learning_rate"]


def test_dump_round_trips() -> None:
    taxonomy = load_taxonomy()
    text = taxonomy_toml(taxonomy)
    assert 'mode = "replace"' in text
    assert parse_taxonomy(text) == taxonomy


def test_dump_round_trips_through_a_file(tmp_path: Path) -> None:
    user = tmp_path / "user.toml"
    user.write_text(
        """
[[category]]
name = "tokenizer"
description = "Tokenizer changes"
angles = ["vocab size", "byte fallback", "merges"]
patterns = ['\\bbpe\\b', "tokeni[sz]er"]

[[category]]
name = "learning_rate"
angles = ["only the matrix LR"]

[[category]]
name = "scratch"
arm = false
""",
        encoding="utf-8",
    )
    extended = load_taxonomy(str(user))
    dumped = tmp_path / "dump.toml"
    dumped.write_text(taxonomy_toml(extended), encoding="utf-8")
    again = load_taxonomy(str(dumped))
    assert again == extended
    assert again.names == extended.names


def test_extend_puts_user_categories_first(tmp_path: Path) -> None:
    user = tmp_path / "t.toml"
    user.write_text(
        "[[category]]\nname = 'tokenizer'\npatterns = ['\\btokeni[sz]', '\\bbpe\\b']\n"
        "[[category]]\nname = 'decay_only'\npatterns = ['\\bweight decay\\b']\n",
        encoding="utf-8",
    )
    taxonomy = load_taxonomy(str(user))
    classifier = Classifier(taxonomy)
    assert taxonomy.names[:2] == ("tokenizer", "decay_only")
    assert classifier("switch the tokenizer to a 32K BPE").category == "tokenizer"
    assert classifier("weight decay 0.2 to 0.1").category == "decay_only"
    assert classifier("embedding LR 0.6 to 0.8").category == "learning_rate"  # built-ins kept
    added = taxonomy.category("tokenizer")
    assert added == Category("tokenizer", True, "", (), (r"\btokeni[sz]", r"\bbpe\b"))


def test_extend_replaces_the_patterns_of_a_builtin_category(tmp_path: Path) -> None:
    user = tmp_path / "t.toml"
    user.write_text(
        "mode = 'extend'\n[[category]]\nname = 'learning_rate'\npatterns = ['\\bstep size\\b']\n",
        encoding="utf-8",
    )
    taxonomy = load_taxonomy(str(user))
    classifier = Classifier(taxonomy)
    builtin = load_taxonomy().category("learning_rate")
    mine = taxonomy.category("learning_rate")
    assert builtin is not None and mine is not None
    assert mine.patterns == (r"\bstep size\b",)
    assert (mine.description, mine.angles, mine.arm) == (
        builtin.description,
        builtin.angles,
        builtin.arm,
    )  # metadata inherited
    assert classifier("step size 0.1").category == "learning_rate"
    assert classifier("embedding LR 0.6 to 0.8").category != "learning_rate"
    assert sum(r.category == "learning_rate" for r in taxonomy.rules) == 1


def test_extend_without_patterns_only_changes_metadata(tmp_path: Path) -> None:
    user = tmp_path / "t.toml"
    user.write_text(
        "[[category]]\nname = 'attention'\nangles = ['GQA groups']\narm = false\n",
        encoding="utf-8",
    )
    taxonomy = load_taxonomy(str(user))
    attention = taxonomy.category("attention")
    assert attention is not None
    assert (attention.angles, attention.arm) == (("GQA groups",), False)
    assert Classifier(taxonomy)("head_dim 128->64").category == "attention"


def test_replace_uses_the_file_alone(tmp_path: Path) -> None:
    user = tmp_path / "t.toml"
    user.write_text(
        "mode = 'replace'\n[[category]]\nname = 'lr'\narm = true\npatterns = ['\\blr\\b']\n"
        "[tags]\nsimplification = ['\\bremove\\b']\n",
        encoding="utf-8",
    )
    taxonomy = load_taxonomy(str(user))
    assert taxonomy.names == ("lr", OTHER)
    assert taxonomy.multi_change == ()
    classifier = Classifier(taxonomy)
    assert classifier("matrix LR 0.04 to 0.05").category == "lr"
    assert classifier("remove logit cap").category == OTHER
    assert classifier("remove logit cap").tags == ("simplification",)


def test_underscores_in_patterns_read_as_spaces() -> None:
    taxonomy = parse_taxonomy(
        "[[category]]\nname = 'knob'\npatterns = ['\\bmatrix_lr\\b', '(?P<my_name>zz)']\n"
    )
    classifier = Classifier(taxonomy)
    assert classifier("MATRIX_LR 0.04").category == "knob"
    assert classifier("matrix lr 0.04").category == "knob"
    assert classifier("zz").category == "knob"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[category]\nname = 'x'", "invalid TOML"),
        ("[[category]]\nname = 'x'\npatterns = ['(unclosed']", "bad regex '(unclosed'"),
        ("[[category]]\nname = 'Bad Name'\npatterns = []", "snake_case"),
        ("[[category]]\npatterns = ['x']", "snake_case"),
        ("[[category]]\nname = 'x'\npatterns = 'x'", "list of strings"),
        ("[[category]]\nname = 'x'\narm = 'yes'", "true or false"),
        ("[[category]]\nname = 'x'\ncolour = 'red'", "unknown key 'colour'"),
        ("mode = 'merge'", "mode must be"),
        ("version = 2", "unknown key 'version'"),
        ("category = 3", "array of tables"),
        ("[tags]\nsimplification = ['[']", "bad regex"),
        ("[tags]\nboring = ['x']", "unknown tag"),
        ("tags = 3", "must be a table"),
    ],
)
def test_bad_taxonomy_files_raise_input_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_taxonomy(str(path))
    assert info.value.path == str(path)
    assert message in info.value.message


def test_missing_or_undecodable_taxonomy_file_raises_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        load_taxonomy(str(tmp_path / "absent.toml"))
    binary = tmp_path / "latin1.toml"
    binary.write_bytes(b"# caf\xe9\n")
    with pytest.raises(InputError, match="not UTF-8"):
        load_taxonomy(str(binary))


# ---------------------------------------------------------------------------- properties

PROPS = settings(max_examples=300, deadline=None)
WORDS = st.sampled_from(
    [
        "LR",
        "lr",
        "WD",
        "warmdown",
        "0.04",
        "->",
        "→",
        "to",
        "(",
        ")",
        "—",
        "-",
        ":",
        ";",
        "|",
        "+",
        "gpu0:",
        "exp3_",
        "[x]",
        "hypothesis:",
        "baseline",
        "remove",
        "no",
        "batch",
        "depth",
        "head_dim",
        "embedding",
        "VE",
        "init",
        "seed",
        "2^17",
        "524K",
        "relu²",
        "_",
        "\t",
        "\n",
    ]
)


@PROPS
@given(st.one_of(st.text(), st.lists(WORDS, max_size=12).map(" ".join)))
def test_classify_never_raises_and_returns_a_known_category(text: str) -> None:
    found = classify(text)
    assert found.category in CATEGORIES
    assert found.on in ("change", "full", "learned", "none")
    assert set(found.tags) <= {"simplification", "multi_change"}
    assert (found.on == "none") == (found.category == OTHER and not found.pattern)
    assert isinstance(change_part(text), str)
