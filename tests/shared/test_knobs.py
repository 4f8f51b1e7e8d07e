"""Knob changes parsed from experiment descriptions, and knob-name normalisation."""

from __future__ import annotations

import csv
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import REPO_ROOT

from autolab_shared.steering.knobs import KnobChange, normalise_knob, parse_knobs, parse_value

Triple = tuple[str, "str | None", str]


def _triples(description: str) -> list[tuple[str, str | None, str]]:
    return [(c.knob, c.old, c.new) for c in parse_knobs(description)]


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        # KNOB old → new, ->, =>, KNOB: old→new
        ("matrix_lr 0.04 → 0.05", [("matrix_lr", "0.04", "0.05")]),
        ("agent1: Higher Matrix LR 0.04→0.08", [("matrix_lr", "0.04", "0.08")]),
        ("weight_decay 0.2->0.4 — val_bpb 2.014->1.960", [("weight_decay", "0.2", "0.4")]),
        ("matrix_lr: 0.04=>0.045", [("matrix_lr", "0.04", "0.045")]),
        ("batch 2^16->2^15", [("total_batch_size", "2^16", "2^15")]),
        ("init scale 3^0.5->2^0.5", [("init_scale", "3^0.5", "2^0.5")]),
        ("adam eps 1e-10->1e-8", [("adam_eps", "1e-10", "1e-8")]),
        ("MLP 4x->3x", [("mlp_ratio", "4x", "3x")]),
        ("window SSSL->SSLL", [("window_pattern", "SSSL", "SSLL")]),
        ("MLP squared_relu->gelu", [("activation", "squared_relu", "gelu")]),
        ("gelu->silu", [("activation", "gelu", "silu")]),
        # KNOB old to new, KNOB from old to new
        ("halve batch 524K to 262K (more steps in 5 min)", [("total_batch_size", "524K", "262K")]),
        ("embedding LR 0.6 to 0.8", [("embedding_lr", "0.6", "0.8")]),
        ("RoPE base frequency 10K to 200K", [("rope_base", "10K", "200K")]),
        ("reduce depth from 8 to 6 to increase steps", [("depth", "8", "6")]),
        ("reduce TOTAL_BATCH_SIZE from 2**19 to 2**18", [("total_batch_size", "2**19", "2**18")]),
        ('change window pattern from "SSSL" to "L"', [("window_pattern", "SSSL", "L")]),
        (
            "change ADAM_BETAS from (0.8, 0.95) to (0.9, 0.98)",
            [("adam_betas", "(0.8, 0.95)", "(0.9, 0.98)")],
        ),
        # KNOB=value, raise KNOB to value, KNOB value for known knobs, 5% warmup
        (
            "gpu0: depth=9 aspect=57 (model_dim=640, too slow)",
            [("depth", None, "9"), ("aspect_ratio", None, "57")],
        ),
        ("ADAM_BETAS=(0.9, 0.95) standard momentum", [("adam_betas", None, "(0.9, 0.95)")]),
        ("WINDOW_PATTERN=L (all full attention)", [("window_pattern", None, "L")]),
        ("raise unembedding lr to 0.005", [("unembedding_lr", None, "0.005")]),
        ("halve total batch size to 2^15", [("total_batch_size", None, "2^15")]),
        ("shorten warmdown to 30 percent", [("warmdown_ratio", None, "30%")]),
        ("warmdown 0.2", [("warmdown_ratio", None, "0.2")]),
        (
            "x0_lambda 0.05 + Matrix LR 0.08",
            [("x0_lambda", None, "0.05"), ("matrix_lr", None, "0.08")],
        ),
        ("add 5% warmup", [("warmup_ratio", None, "5%")]),
        ("5% residual dropout — regressed", [("dropout", None, "5%")]),
        ("tiny VE WD 0.001", [("ve_weight_decay", None, "0.001")]),
        ("baseline RTX4070 DEVICE_BATCH_SIZE=32", [("device_batch_size", None, "32")]),
        # several changes, parameter groups
        (
            "batch 2^15->2^14, device_batch 16->8",
            [("total_batch_size", "2^15", "2^14"), ("device_batch_size", "16", "8")],
        ),
        (
            "gpu0: lower LRs (matrix=0.02, embed=0.3, unembed=0.002) — too slow",
            [
                ("matrix_lr", None, "0.02"),
                ("embedding_lr", None, "0.3"),
                ("unembedding_lr", None, "0.002"),
            ],
        ),
        ("lm_head WD 0.01 to 0.05", [("lm_head_weight_decay", "0.01", "0.05")]),
        # the group a value is applied to names the knob (H100 night: lm_head's WD, not Muon's)
        ("add WD 0.01 to lm_head", [("lm_head_weight_decay", None, "0.01")]),
        ("add WD 0.01 to embeddings (hurts)", [("embedding_weight_decay", None, "0.01")]),
        ("init std 0.02 for the embeddings", [("embedding_init_std", None, "0.02")]),
        ("embedding lr 0.6 to lm_head", [("embedding_lr", None, "0.6")]),  # one group's knob
        ("add WD 0.1 to 0.2", [("weight_decay", "0.1", "0.2")]),
        ("WD 0.1 to training", [("weight_decay", None, "0.1")]),  # no parameter group
        (
            "weight_decay=0.05 on x0_lambda=0.05 base",  # a setting, not a group
            [("weight_decay", None, "0.05"), ("x0_lambda", None, "0.05")],
        ),
        ("embedding init std 1.0 to 2.0", [("embedding_init_std", "1.0", "2.0")]),
        ("Muon NorMuon beta2 0.95 to 0.98", [("muon_beta2", "0.95", "0.98")]),
        ("Muon WD 0.2 to 0.22", [("weight_decay", "0.2", "0.22")]),
        ("VE gate channels 32 to 48", [("ve_gate_channels", "32", "48")]),  # unknown: kept
        ("sliding window 1024->512", [("short_window", "1024", "512")]),
        # no knob: nothing invented
        ("ordinal quality encoding Ex=5..Po=1 + kitchen_qual_sf", []),  # a mapping (pull-438)
        ("SSSSL window pattern (5:1 short:long)", []),
        ("remove logit cap — val_bpb improved 1.710->1.687", []),
        ("2 VE groups (layers 0-5 share VE1, layers 6-11 share VE2)", []),
        ("baseline: 4 layers, 256 dim, 2 heads", []),
        ("", []),
    ],
)
def test_parse_knobs(description: str, expected: list[tuple[str, str | None, str]]) -> None:
    assert _triples(description) == expected


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        # the cheap checks that skip a form must not skip these
        ("lr 0.1 → 0.2 — val_bpb 1.0 → 0.9", [("lr", "0.1", "0.2")]),
        ("matrix lr 0.04 ⇒ 0.05", [("matrix_lr", "0.04", "0.05")]),
        ("muon momentum 0.95 ⟶ 0.9", [("muon_momentum", "0.95", "0.9")]),
        ("warmdown\t0.5\tto\t0.7", [("warmdown_ratio", "0.5", "0.7")]),
        ("ADAM_BETAS=(0.9,\t0.95)", [("adam_betas", None, "(0.9, 0.95)")]),
        ("lr To 0.05", [("lr", None, "0.05")]),
        ("depth ٨ -> ٩", [("depth", "٨", "٩")]),  # any Unicode digit is a digit
        ("weight decay 0.2 -> 0.3 hypothesıs: depth 9", [("weight_decay", "0.2", "0.3")]),
        ("depth 8 -> 9 #12", [("depth", "8", "9")]),
        ("matrix lr 0.04 #3 to 0.05", [("matrix_lr", None, "0.04")]),
    ],
)
def test_parse_knobs_in_unusual_spellings(
    description: str, expected: list[tuple[str, str | None, str]]
) -> None:
    assert _triples(description) == expected


def test_raw_text_and_numbers() -> None:
    (change,) = parse_knobs("agent1: Higher Matrix LR 0.04→0.08 (worse)")
    assert change == KnobChange("matrix_lr", "0.04", "0.08", "Matrix LR 0.04→0.08")
    assert (change.old_value, change.new_value) == (0.04, 0.08)
    (batch,) = parse_knobs("halve batch 524K to 262K")
    assert batch.new_value == 262_000.0
    (pattern,) = parse_knobs("window SSSL->SSLL")
    assert (pattern.old_value, pattern.new_value) == (None, None)
    (added,) = parse_knobs("add 5% warmup")
    assert added.old_value is None and added.new_value == pytest.approx(0.05)


def test_history_of_one_knob_supports_a_suggestion() -> None:
    history = ["matrix LR 0.04 to 0.045", "matrix_lr 0.04->0.035", "raise matrix lr to 0.05"]
    values = [c.new for d in history for c in parse_knobs(d) if c.knob == "matrix_lr"]
    assert values == ["0.045", "0.035", "0.05"]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0.04", 0.04),
        ("2**17", 131072.0),
        ("2^17", 131072.0),
        ("2 ** 3", 8.0),
        ("524K", 524000.0),
        ("1M", 1e6),
        ("1e-3", 0.001),
        ("0.7x", 0.7),
        ("5%", 0.05),
        ("1/8", 0.125),
        ("-30%", -0.3),
        ('"0.5"', 0.5),
        ("SSSL", None),
        ("(0.9, 0.95)", None),
        ("", None),
        ("10**400", None),
        ("1/0", None),
    ],
)
def test_parse_value(text: str, value: float | None) -> None:
    assert parse_value(text) == value


@pytest.mark.parametrize(
    ("phrase", "knob"),
    [
        ("MATRIX_LR", "matrix_lr"),
        ("Matrix LR", "matrix_lr"),
        ("embedding LR", "embedding_lr"),
        ("unembedding LR", "unembedding_lr"),
        ("lm_head lr", "unembedding_lr"),
        ("scalar LR", "scalar_lr"),
        ("weight decay", "weight_decay"),
        ("WD", "weight_decay"),
        ("warmdown", "warmdown_ratio"),
        ("WARMUP_RATIO", "warmup_ratio"),
        ("final LR frac", "final_lr_frac"),
        ("lr floor", "final_lr_frac"),
        ("halve batch", "total_batch_size"),
        ("batch size", "total_batch_size"),
        ("device batch", "device_batch_size"),
        ("DEPTH", "depth"),
        ("n_layer", "depth"),
        ("aspect", "aspect_ratio"),
        ("head dim", "head_dim"),
        ("n_kv_head", "n_kv_head"),
        ("window pattern", "window_pattern"),
        ("adam betas", "adam_betas"),
        ("Adam beta1", "adam_beta1"),
        ("beta2", "adam_beta2"),
        ("muon momentum", "muon_momentum"),
        ("muon final momentum", "muon_momentum"),
        ("muon momentum warmup", "muon_momentum_warmup"),
        ("Muon ns_steps", "ns_steps"),
        ("logit cap", "softcap"),
        ("z-loss", "z_loss"),
        ("RoPE base", "rope_base"),
        ("RoPE theta", "rope_base"),
        ("mlp_mult", "mlp_ratio"),
        ("init scale", "init_scale"),
        ("x0_lambda init", "x0_lambda"),
        ("seq_len", "seq_len"),
        ("grad clipping max_norm", "grad_clip"),
        ("VE WD", "ve_weight_decay"),
        ("embedding wd", "embedding_weight_decay"),
        ("ve init scale", "ve_init_scale"),
        ("eval batch size", "eval_batch_size"),  # not the training batch
        ("partial rope", "partial_rope"),
        ("VE gate channels", "ve_gate_channels"),
        ("LR scale reference", "lr_scale_reference"),
        ("", ""),
    ],
)
def test_normalise_knob(phrase: str, knob: str) -> None:
    assert normalise_knob(phrase) == knob


def test_most_fixture_descriptions_carry_a_knob() -> None:
    path = REPO_ROOT / "tests" / "fixtures" / "steer_labels.tsv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    share = sum(bool(parse_knobs(r["description"])) for r in rows) / len(rows)
    assert share >= 0.6


PROPS = settings(max_examples=300, deadline=None)
PIECES = st.sampled_from(
    [
        "matrix_lr",
        "LR",
        "lr",
        "0.04",
        "->",
        "→",
        "to",
        "from",
        "=",
        ":",
        "(",
        ")",
        ",",
        "2^17",
        "2**19",
        "524K",
        "1e-3",
        "5%",
        "x0_lambda",
        "warmdown",
        "SSSL",
        "batch",
        "depth",
        "—",
        "-",
        "|",
        "+",
        "percent",
        "1/8",
        "(0.9, 0.95)",
        '"L"',
        "²",
        "raise",
    ]
)


@PROPS
@given(st.one_of(st.text(), st.lists(PIECES, max_size=14).map(" ".join)))
def test_parse_knobs_never_raises(text: str) -> None:
    for change in parse_knobs(text):
        assert change.knob and change.knob == change.knob.lower()
        assert " " not in change.knob
        assert change.new
        assert change.raw
        value = change.new_value
        assert value is None or math.isfinite(value)
