"""The results parser on the real files in ../shared/data/real, with hand-checked expectations.

Each expectation was worked out by reading the file (``cat -A``, ``awk -F'\\t'`` field counts,
status tallies, ``sort | uniq -d``), not copied from the parser's output.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import NamedTuple

import pytest
from line_accounting import assert_lines_accounted
from support import REAL_RESULTS, real_params

from autolab_shared.parsing.results import History, read_results

pytestmark = pytest.mark.real_data


@pytest.mark.parametrize("path", real_params(REAL_RESULTS))
def test_every_real_file_parses_and_accounts_for_every_line(path: Path) -> None:
    history = read_results(path)
    assert_lines_accounted(history)
    assert all(e.value is None for e in history.crashes())
    assert history.direction in {"min", "max"}


class Expect(NamedTuple):
    """What the parser must return for one real file."""

    rows: int
    metric: str
    direction: str
    source: str
    counts: tuple[int, int, int, int]  # keep, discard, crash, unknown
    warnings: dict[str, int]  # every warning code and how often
    best: float | None = None  # best value by the rules of History.best


EXPECT: dict[str, Expect] = {
    # standard karpathy H100 run: 127 lines = header + 126 rows; awk tally 23/102/1; the crash is
    # line 17 (0.000000 0.0); lowest keep val_bpb by `sort -n` is 0.969686.
    "karpathy__autoresearch__branch-exp-H100-mar8__results.tsv": Expect(
        126, "val_bpb", "min", "known", (23, 102, 1, 0), {}, 0.969686
    ),
    # header only (commit, val_bpb, memory_mb, status, gpus, description), one line.
    "25b3nk__parameter-golf__autoresearch__results.tsv": Expect(
        0, "val_bpb", "min", "known", (0, 0, 0, 0), {"header_only": 1}
    ),
    # no header: 34 lines of 9 fields, HEAD/c222a4f first; col3=397.0 and col4=17.0 are constant so
    # the tok/s column col5 is the metric; keeps move up 10 times, down 5 → guessed max; 16 keep /
    # 18 discard; fastest keep 7.05.
    "Alexintosh__flash-moe__results.tsv": Expect(
        34,
        "col5",
        "max",
        "guessed",
        (16, 18, 0, 0),
        {"no_header": 1, "direction_guessed": 1, "commit_reused": 1},
        7.05,
    ),
    # 4 columns commit/val_rmse/status/description, 40 lines; 8 keep, 31 discard; best keep 178.84.
    "karpathy__autoresearch__pull-246__results.tsv": Expect(
        39, "val_rmse", "min", "known", (8, 31, 0, 0), {"commit_reused": 1}, 178.84
    ),
    # CRLF on all 84 lines; metric_value with metric_name eval_score on every row (→ max);
    # 13 keep / 70 discard; 21 rows have metric_value 0 and memory_gb 0.0; best keep 0.38.
    "epappas__autoresearch-rl__artifacts__basilica-grpo__results.tsv": Expect(
        83,
        "metric_value",
        "max",
        "known",
        (13, 70, 0, 0),
        {"crlf": 1, "zero_metric": 21, "commit_reused": 1},
        0.38,
    ),
    # score written as 68.6% / 92.0% / 91.6% / 82.8%: 3 keep, 1 discard; best keep 92.0.
    "karpathy__autoresearch__pull-420__skill-autoresearch__results.tsv": Expect(
        4, "score", "max", "known", (3, 1, 0, 0), {"percent": 1}, 92.0
    ),
    # higher-is-better val_acc (percent numbers): 11 keep, 46 discard; best keep 26.375.
    "BryanLopezDeMunain__NSD-decoding-autoresearch__pull-1__results.tsv": Expect(
        57, "val_acc", "max", "known", (11, 46, 0, 0), {}, 26.375
    ),
    # real CSV, every string quoted, no status column: 47 rows; highest j_index 0.827846 (row 41).
    "leotesler__autoresearch_mlb_project_stat_390__autoresearch__results.csv": Expect(
        47, "j_index", "max", "known", (0, 0, 0, 47), {"no_status": 1}, 0.827846
    ),
    # no status column, memory_mb, no final newline (last line complete: 4 fields);
    # lowest val_bpb 1.32814313.
    "Hilo-Hilo__parameter-golf__records__track_non_record_16mb__2026-03-19_SwiGLU_WarmdownFix_"
    "QuarterBatch_1x5090__results.tsv": Expect(
        10, "val_bpb", "min", "known", (0, 0, 0, 10), {"no_status": 1}, 1.32814313
    ),
    # verdict column: BASELINE + APPROVE keep, 5 NEUTRAL + 4 REJECT discard, SKIPPED with N/A
    # metrics → crash; then a blank line, SUMMARY, a ======= rule, 4 text lines, a blank line and
    # 4 more text lines: 9 continuations of run 11; best keep pnl 5075.00 (run 7).
    "giladresisi__autoresearch__plan1-results.tsv": Expect(
        12,
        "mean_test_pnl",
        "max",
        "known",
        (2, 9, 1, 0),
        {"blank": 2, "banner": 1, "continuation": 9},
        5075.0,
    ),
    # decision column (gate_status ignored), metric_direction=max on every row; the NaN row is
    # the crash; keeps 0.90 and 0.94 (the 0.96 discard does not count while keeps exist).
    "BO-ZHI__empirical_autoresearch__results.tsv": Expect(
        5, "metric_value", "max", "data", (2, 2, 1, 0), {}, 0.94
    ),
    # verdict BASELINE/BETTER/WORSE/SAME/-; hpd_mean has ~0.51 (lenient), 'identical' and two ranges
    # (bad → crash; one under BETTER → crash_inferred); the '-' row (lit search) is a crash with an
    # unknown verdict; keeps go up 9 and down 8 times → no trend, direction guessed min.
    "EiffL__LatentInverseProblems__branch-autoresearch-mar11__results.tsv": Expect(
        40,
        "hpd_mean",
        "min",
        "guessed",
        (19, 17, 4, 0),
        {
            "direction_guessed": 1,
            "lenient_value": 1,
            "bad_value": 3,
            "crash_inferred": 1,
            "unknown_status": 1,
        },
    ),
    # 561 lines: 440 six-field rows (431 rejected, 9 crash), 95 one-field continuation lines of
    # multi-line descriptions, 24 empty lines + 1 line of spaces; records rebuilt with awk give 34
    # exact duplicates; metric_after has no known direction and no keeps.
    "karpathy__autoresearch__pull-577__results.tsv": Expect(
        440,
        "metric_after",
        "min",
        "guessed",
        (0, 431, 9, 0),
        {"direction_guessed": 1, "continuation": 95, "blank": 25, "duplicate_row": 34},
    ),
    # three `---<TAB>section<TAB>---<TAB>---` rows among 20 rows; 10 keep / 10 discard;
    # best 1.270597.
    "blueberry-llm__autoresearch-windows__branch-autoresearch-mar21-topk2__results.tsv": Expect(
        20, "val_bpb", "min", "known", (10, 10, 0, 0), {"banner": 3}, 1.270597
    ),
    # two banner rows among 15 rows; 7 keep / 8 discard.
    "blueberry-llm__autoresearch-windows__results.tsv": Expect(
        15, "val_bpb", "min", "known", (7, 8, 0, 0), {"banner": 2}, 1.270597
    ),
    # no header, 51 lines: 46 with 10 fields ending in an empty one, 5 with 9; statuses are
    # completed/agent_failed/push_failed/blocked in column 4 (not keep words) → no status column.
    "smallnest__autoresearch__branch-feat-codeup-claude-mimo__.autoresearch__results.tsv": Expect(
        51,
        "col2",
        "min",
        "guessed",
        (0, 0, 0, 51),
        {"no_header": 1, "no_status": 1, "direction_guessed": 1, "trailing_tabs": 46},
    ),
    # standard columns plus 6 extra (mfu ... final_loss) between memory_gb and status: 20/42/7.
    "Djordje-Stojanovic__TrainRTX5070__results.tsv": Expect(
        69, "val_bpb", "min", "known", (20, 42, 7, 0), {}
    ),
    # artifact_mb between val_bpb and memory_gb: 10 keep / 12 discard.
    "Blitzo125__autoresearch-results__results.tsv": Expect(
        22, "val_bpb", "min", "known", (10, 12, 0, 0), {}
    ),
    # round 21's strategy cell spans lines 3-6 (2 + 1 + 1 + 8 fields = 9); round 0 is the baseline
    # with '-' metrics (keep word, no value); 保留✔ ×3 keep, 回滚 ×3 discard; best val_score 2.3479.
    "Fatman2080__autoloop__results.tsv": Expect(
        7,
        "val_score",
        "max",
        "known",
        (3, 3, 1, 0),
        {"continuation": 3, "crash_inferred": 1},
        2.3479,
    ),
    # lines 3 and 4 have a runtime (1824s, 1605s) inserted before the status: 6 fields for 5.
    "CREVIOS__TSNN-Drug__results.tsv": Expect(
        3, "train_loss", "min", "known", (3, 0, 0, 0), {"ragged": 2}
    ),
    # `db5d493 1.905164 ...` on lines 8 and 22.
    "EthanBobbyTR__mamba-auto-full__results.tsv": Expect(
        60, "val_bpb", "min", "known", (28, 31, 1, 0), {"duplicate_row": 1}
    ),
    # no final newline; line 3 is `discard` with 0.000000 and 0.0 (crash convention);
    # best keep 4.85.
    "Abhaysharma53__test_autoresearch_folktales__results.tsv": Expect(
        8, "val_bpb", "min", "known", (5, 3, 0, 0), {"zero_metric": 1}, 4.85
    ),
    # 11 `discard` rows with val_bpb 0 and memory 0; tentative/support/repair statuses.
    "Chang-Han-Chen__autoresearch-moe__results.tsv": Expect(
        28, "val_bpb", "min", "known", (10, 15, 0, 3), {"zero_metric": 11, "unknown_status": 3}
    ),
    # status ok ×159 (unknown, one warning), crash ×11 + oom ×1; 6 identical rust_baseline rows.
    "AlexChen31337__qwen35-moe-offload__results_phase6.tsv": Expect(
        171, "tok_s", "max", "known", (0, 0, 12, 159), {"unknown_status": 1, "duplicate_row": 5}
    ),
    # primary_score falls on every keep (0.0319 → 0.0210) although 'score' reads higher-is-better.
    "CuriousN006__ML_FluidDynamics_origstyle__results.tsv": Expect(
        18,
        "primary_score",
        "max",
        "known",
        (8, 9, 1, 0),
        {"direction_conflict": 1, "commit_reused": 1},
    ),
    # line 59 has 20 fields for 21 (notes missing); 15 crash + 8 invalid rows are crashes.
    "Hilo-Hilo__parameter-golf__branch-research-continuous-mar18__results__results.tsv": Expect(
        94,
        "exact_final_val_bpb",
        "min",
        "known",
        (55, 16, 23, 0),
        {"short_row": 1, "commit_reused": 1},
    ),
    # robustness_gap (no known direction): keeps go up 17 times, down 7 → guessed max.
    "karpathy__autoresearch__pull-48__dojo_results.tsv": Expect(
        28, "robustness_gap", "max", "guessed", (25, 3, 0, 0), {"direction_guessed": 1}
    ),
}


def _check(history: History, expect: Expect) -> None:
    assert len(history) == expect.rows
    assert (history.metric, history.direction, history.direction_source) == (
        expect.metric,
        expect.direction,
        expect.source,
    )
    counts = history.counts()
    assert tuple(counts[s] for s in ("keep", "discard", "crash", "unknown")) == expect.counts
    assert dict(Counter(w.code for w in history.warnings)) == expect.warnings
    if expect.best is not None:
        best = history.best()
        assert best is not None and best.value == pytest.approx(expect.best)


@pytest.mark.parametrize("name", sorted(EXPECT), ids=lambda n: n[:70])
def test_hand_checked_real_file(real_results_dir: Path, name: str) -> None:
    history = read_results(real_results_dir / name)
    _check(history, EXPECT[name])
    assert_lines_accounted(history)


def _read(folder: Path, name: str) -> History:
    return read_results(folder / name)


def test_karpathy_crash_row_and_labels(real_results_dir: Path) -> None:
    h = _read(real_results_dir, "karpathy__autoresearch__branch-exp-H100-mar8__results.tsv")
    crash = h.crashes()[0]
    assert (crash.line, crash.commit, crash.value, crash.memory_gb) == (17, "e05a87d", None, None)
    first = h.experiments[0]
    assert (first.commit, first.is_hash, first.value, first.memory_gb) == (
        "baseline",
        False,
        0.9979,
        44.0,
    )
    assert sum(1 for e in h.experiments if not e.is_hash) == 1


def test_fatman_multi_line_strategy_cell(real_results_dir: Path) -> None:
    h = _read(real_results_dir, "Fatman2080__autoloop__results.tsv")
    row = h.experiments[1]
    assert (row.line, row.end_line, row.value, row.raw_status) == (3, 6, -0.7298, "回滚")
    strategy = row.get("strategy")
    assert strategy is not None and strategy.count("\n") == 3 and strategy.endswith("2. 加入R")


def test_crevios_inserted_field_kept_as_extra(real_results_dir: Path) -> None:
    h = _read(real_results_dir, "CREVIOS__TSNN-Drug__results.tsv")
    row = h.experiments[1]
    assert (row.status, row.value, row.get("field4")) == ("keep", 1.649349204972441, "1824s")
    assert row.memory_gb == pytest.approx(22017 / 1024)


def test_blitzo_and_djordje_extra_columns(real_results_dir: Path) -> None:
    blitzo = _read(real_results_dir, "Blitzo125__autoresearch-results__results.tsv").experiments[0]
    assert (blitzo.memory_gb, blitzo.extra) == (10.0, (("artifact_mb", "11.96"),))
    history = _read(real_results_dir, "Djordje-Stojanovic__TrainRTX5070__results.tsv")
    djordje = history.experiments[0]
    names = [name for name, _ in djordje.extra]
    assert names == ["mfu", "tok_per_sec", "num_steps", "num_params_m", "batch_size", "final_loss"]
    assert djordje.get("tok_per_sec") == "37700"


def test_hilo_records_memory_in_megabytes(real_results_dir: Path) -> None:
    name = (
        "Hilo-Hilo__parameter-golf__records__track_non_record_16mb__2026-03-19_SwiGLU_WarmdownFix_"
        "QuarterBatch_1x5090__results.tsv"
    )
    h = _read(real_results_dir, name)
    assert h.experiments[0].memory_gb == pytest.approx(10255 / 1024)
    assert h.experiments[-1].line == 11 == h.line_count


def test_pull_577_multi_line_description(real_results_dir: Path) -> None:
    h = _read(real_results_dir, "karpathy__autoresearch__pull-577__results.tsv")
    row = next(e for e in h.experiments if e.line == 163)
    assert row.end_line == 165  # line 166 is blank, and line 167 is the next row
    assert row.description.endswith("```python\nimport pytest\nfrom unittest.mock import MagicMock")


def test_giladresisi_summary_is_folded_into_the_last_row(real_results_dir: Path) -> None:
    h = _read(real_results_dir, "giladresisi__autoresearch__plan1-results.tsv")
    last = h.experiments[-1]
    assert (last.line, last.end_line, last.status, last.raw_status) == (13, 25, "crash", "SKIPPED")
    assert [w.line for w in h.warnings if w.code == "banner"] == [16]
