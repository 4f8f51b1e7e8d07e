"""Status words, metric names and directions, commit hashes and numeric cells."""

from __future__ import annotations

import pytest

from autolab_shared.parsing.cellvalues import (
    BAD,
    EMPTY,
    LENIENT,
    MARKER,
    NUMBER,
    PERCENT,
    CellValue,
    is_number,
    parse_cell,
)
from autolab_shared.parsing.commits import is_commit_hash
from autolab_shared.parsing.metrics import (
    ColumnStats,
    choose_metric,
    direction_for,
    is_metric_candidate,
    name_tokens,
    normalise_direction,
    trend_direction,
)
from autolab_shared.parsing.status import (
    CRASH,
    DISCARD,
    KEEP,
    UNKNOWN,
    VOCABULARY,
    is_status_word,
    normalise_status,
    status_key,
)

# Every distinct status cell seen in the real files (docs/formats.md), with its decision.
FORMATS_MD_STATUS_WORDS = {
    "keep": KEEP, "discard": DISCARD, "crash": CRASH,
    "baseline": KEEP, "BASELINE": KEEP, "best": KEEP, "BEST": KEEP, "NEW_BEST": KEEP,
    "contender": UNKNOWN, "done": UNKNOWN, "KEPT": KEEP, "kept": KEEP, "FINAL": KEEP,
    "reverted": DISCARD, "reverted_worse": DISCARD, "reverted_marginal": DISCARD,
    "reverted_triton_oom": DISCARD, "reverted_no_improvement": DISCARD,
    "reverted_worse_too_big": DISCARD, "reverted_diverged": DISCARD, "rejected": DISCARD,
    "REJECT": DISCARD, "APPROVE": KEEP, "NEUTRAL": DISCARD, "neutral": DISCARD,
    "SKIPPED": DISCARD, "BETTER": KEEP, "WORSE": DISCARD, "SAME": DISCARD, "pass": KEEP,
    "fail": CRASH, "failed": CRASH, "partial": UNKNOWN, "ok": UNKNOWN, "oom": CRASH,
    "invalid": CRASH, "killed": CRASH, "blocked": UNKNOWN, "pending": UNKNOWN,
    "run": UNKNOWN, "tentative": UNKNOWN, "repair": UNKNOWN, "support": UNKNOWN,
    "diag": UNKNOWN, "-": UNKNOWN, "---": UNKNOWN, "": UNKNOWN,
    "基线（新评分体系：score=sharpe×(1+return%)）": KEEP, "保留✔": KEEP, "回滚": DISCARD,
    "1824s": UNKNOWN, "157": UNKNOWN, "curriculum_0.67": UNKNOWN,
}  # fmt: skip


@pytest.mark.parametrize(("word", "status"), sorted(FORMATS_MD_STATUS_WORDS.items()))
def test_every_status_word_of_formats_md(word: str, status: str) -> None:
    assert normalise_status(word) == status
    assert is_status_word(word) == (status != UNKNOWN)


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("  Keep ", KEEP),
        ("keep!", KEEP),
        ("new best", KEEP),
        ("New-Best", KEEP),
        ("improved", KEEP),
        ("accepted", KEEP),
        ("revert", DISCARD),
        ("worse.", DISCARD),
        ("timeout", CRASH),
        ("timed out", CRASH),
        ("diverged", CRASH),
        ("error", CRASH),
        ("keep (baseline)", KEEP),
        ("crash: OOM at step 3", CRASH),
        ("rejected_by_review", DISCARD),
        ("agent_failed", UNKNOWN),
        ("maybe", UNKNOWN),
    ],
)
def test_status_spelling_is_tolerated(word: str, status: str) -> None:
    assert normalise_status(word) == status


def test_status_key() -> None:
    assert status_key(" Reverted-Worse ✔") == "reverted_worse"
    assert status_key("保留✔") == "保留"
    assert status_key("keep (baseline)") == "keep"


def test_vocabulary_keys_are_in_normal_form() -> None:
    assert all(status_key(word) == word for word in VOCABULARY)
    assert set(VOCABULARY.values()) == {KEEP, DISCARD, CRASH, UNKNOWN}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("abc1234", True),
        ("6022104-dirty", True),
        ("bdee7e0-dirty", True),
        ("52476a0ef480a222be3c57025b7c53dc3da79513", True),
        ("ABCDEF0", True),
        ("abc123", False),
        ("a" * 41, False),
        ("baseline", False),
        ("none", False),
        ("n/a", False),
        ("HEAD", False),
        ("TBD", False),
        ("", False),
        ("e2f3g4h", False),
        ("35a795b_np", False),
        ("$(git rev-parse --short HEAD)", False),
        ("--output=x", False),
        ("-abcdef0", False),
        (" abc1234", False),
        ("abc1234\n", False),
        ("2026-03-10", False),
        ("abc1234-dirty-x", False),
    ],
)
def test_is_commit_hash(value: str, expected: bool) -> None:
    assert is_commit_hash(value) is expected


@pytest.mark.parametrize(
    ("name", "direction"),
    [
        ("val_bpb", "min"),
        ("bpb", "min"),
        ("val_loss", "min"),
        ("exact_final_val_bpb", "min"),
        ("val_rmse", "min"),
        ("cv_rmse_log", "min"),
        ("hf_wer", "min"),
        ("val_fid", "min"),
        ("ppl", "min"),
        ("perplexity", "min"),
        ("avg_latency_ms", "min"),
        ("intent_err", "min"),
        ("error_rate", "min"),
        ("time_s", "min"),
        ("max_drawdown", "min"),
        ("mse", "min"),
        ("val_acc", "max"),
        ("accuracy", "max"),
        ("val_psnr", "max"),
        ("val_ssim", "max"),
        ("tok/s", "max"),
        ("tok_s", "max"),
        ("tg_tok_s", "max"),
        ("tok_per_sec", "max"),
        ("tokens_per_sec", "max"),
        ("throughput_tflops", "max"),
        ("mfu", "max"),
        ("sharpe", "max"),
        ("combined_profit", "max"),
        ("mean_test_pnl", "max"),
        ("r2", "max"),
        ("format_pass_rate", "max"),
        ("pass_rate", "max"),
        ("score", "max"),
        ("f1", "max"),
        ("clf_auc", "max"),
        ("map50", "max"),
        ("bleu", "max"),
        ("rouge", "max"),
        ("avg_reward", "max"),
        ("win_rate", "max"),
        ("j_index", "max"),
        ("oob", "max"),
        ("exact_match_rate", "max"),
        ("hpd_mean", None),
        ("robustness_gap", None),
        ("delta", None),
        ("lossless", None),
        ("scores_json", None),
        ("timestamp", None),
        ("accumulate", None),
        ("mapping", None),
        ("loss_score", None),
        ("primary_metric", None),
    ],
)
def test_direction_for(name: str, direction: str | None) -> None:
    assert direction_for(name) == direction


def test_name_tokens() -> None:
    assert name_tokens("Tok/s") == ("tok", "s")
    assert name_tokens("num_params_M") == ("num", "params", "m")


@pytest.mark.parametrize(
    ("text", "direction"),
    [
        ("min", "min"),
        (" MAX ", "max"),
        ("minimize", "min"),
        ("maximise", "max"),
        ("lower-is-better", "min"),
        ("higher", "max"),
        ("sideways", None),
        ("", None),
    ],
)
def test_normalise_direction(text: str, direction: str | None) -> None:
    assert normalise_direction(text) == direction


@pytest.mark.parametrize(
    ("name", "candidate"),
    [
        ("val_bpb", True),
        ("hpd_mean", True),
        ("metric_after", True),
        ("tokens_per_sec", True),
        ("j_index", True),
        ("throughput_tflops", True),
        ("commit", False),
        ("run_id", False),
        ("exp_idx", False),
        ("timestamp", False),
        ("time_s", False),
        ("wall_seconds", False),
        ("memory_gb", False),
        ("status", False),
        ("description", False),
        ("alpha", False),
        ("n_layer", False),
        ("batch_size", False),
        ("metric_before", False),
        ("baseline_bpb", False),
        ("delta_vs_best", False),
        ("exit_code", False),
    ],
)
def test_is_metric_candidate(name: str, candidate: bool) -> None:
    assert is_metric_candidate(name) is candidate


NUMERIC = ColumnStats(numeric=3, filled=3, distinct=3)
CONSTANT = ColumnStats(numeric=3, filled=3, distinct=1)
TEXT = ColumnStats(numeric=0, filled=3, distinct=0)


def pick(
    names: list[str], *stats: ColumnStats, excluded: frozenset[int] = frozenset()
) -> int | None:
    """choose_metric over given column stats (none: a header-only file)."""
    return choose_metric(names, (lambda i: stats[i]) if stats else None, excluded)


def test_choose_metric_rules() -> None:
    assert pick(["commit", "acc", "val_bpb"], TEXT, NUMERIC, NUMERIC) == 2
    assert pick(["bpb", "metric_value"], NUMERIC, NUMERIC) == 0
    assert pick(["train_loss", "val_loss"], NUMERIC, NUMERIC) == 1
    assert pick(["train_loss", "val_loss"], NUMERIC, TEXT) == 0
    assert pick(["model", "alpha", "hpd_mean"], TEXT, NUMERIC, NUMERIC) == 2
    assert pick(["notes", "silhouette"], TEXT, TEXT, excluded=frozenset({0})) == 1
    assert pick(["commit", "status"], TEXT, TEXT, excluded=frozenset({0, 1})) is None
    assert pick(["commit", "accuracy"], excluded=frozenset({0})) == 1  # header only


WHOLE = ColumnStats(numeric=3, filled=3, distinct=3, integral=True)


def test_choose_metric_skips_settings_for_a_result() -> None:
    assert pick(["a", "b"], CONSTANT, NUMERIC) == 1  # constant: a setting
    assert pick(["imgsz", "samples", "fitness"], WHOLE, CONSTANT, NUMERIC) == 2
    assert pick(["acc", "b"], WHOLE, NUMERIC) == 0  # a known metric may be whole numbers
    assert pick(["a", "b"], WHOLE, CONSTANT) == 0  # no result column: the first that varies
    assert pick(["a", "b"], CONSTANT, CONSTANT) == 0


@pytest.mark.parametrize(
    ("values", "direction"),
    [
        ([1.0, 0.9, 0.8, 0.7], "min"),
        ([1.0, 1.1, 1.2, 1.3], "max"),
        ([1.0, 1.1, 1.0, 1.1, 1.0], None),
        ([1.0, 1.1, 1.0, 1.1], "max"),
        ([1.0, 0.9], None),
        ([], None),
        ([1.0, 0.9, 0.9, 0.8, 0.85, 0.7], "min"),
    ],
)
def test_trend_direction(values: list[float], direction: str | None) -> None:
    assert trend_direction(values) == direction


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("0.997900", CellValue(0.9979, NUMBER)),
        (" 5 ", CellValue(5.0, NUMBER)),
        ("-0.2738", CellValue(-0.2738, NUMBER)),
        ("+1189.20", CellValue(1189.2, NUMBER)),
        ("1e-3", CellValue(0.001, NUMBER)),
        (".5", CellValue(0.5, NUMBER)),
        ("68.6%", CellValue(68.6, PERCENT)),
        ("-85.29%", CellValue(-85.29, PERCENT)),
        ("~0.51", CellValue(0.51, LENIENT)),
        ("≈ 3", CellValue(3.0, LENIENT)),
        ("151K", CellValue(151000.0, LENIENT)),
        ("1824s", CellValue(1824.0, LENIENT)),
        ("", CellValue(None, EMPTY)),
        ("  ", CellValue(None, EMPTY)),
        ("NA", CellValue(None, MARKER)),
        ("N/A", CellValue(None, MARKER)),
        ("nan", CellValue(None, MARKER)),
        ("FAILED", CellValue(None, MARKER)),
        ("DIVERGED", CellValue(None, MARKER)),
        ("-", CellValue(None, MARKER)),
        ("inf", CellValue(None, MARKER)),
        ("1e999", CellValue(None, BAD)),
        ("0.491-0.529", CellValue(None, BAD)),
        ("identical", CellValue(None, BAD)),
        ("1_000", CellValue(None, BAD)),
        ("2026-03-11", CellValue(None, BAD)),
        ("10974_opps,spread=18.0c,score=0.494", CellValue(None, BAD)),
    ],
)
def test_parse_cell(cell: str, expected: CellValue) -> None:
    assert parse_cell(cell) == expected
    assert is_number(cell) == (expected.value is not None)
