"""The run.log parser against the 18 real logs in ../shared/data/real-runlogs (hand-checked)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import NamedTuple

import pytest
from support import REAL_RUNLOGS, real_files, real_params

from autolab_shared.parsing.runlog import STANDARD_KEYS, read_runlog

pytestmark = pytest.mark.real_data


class Expect(NamedTuple):
    """What the parser must return for one real log."""

    kind: str | None  # crash kind, None for a finished run
    metric: str  # the log's main metric
    value: float | None  # its value (None when the log has none)
    num_steps: int | None  # summary num_steps
    last_step: int | None  # last progress step
    summary_line: int | None
    crash_line: int | None = None
    detail: str = ""  # a substring of crash.detail
    warning: str = ""  # a warning code that must be present


PG = "25b3nk__parameter-golf__records__track_10min_16mb__"
EXPECTED: dict[str, Expect] = {
    # 448 lines, NCCL noise; no '---'; val_bpb inline in every eval line; last line
    # "final_int8_zlib_roundtrip_exact val_loss:2.07269931 val_bpb:1.22436570"; last step 13780.
    PG + "2026-03-17_NaiveBaseline__train.log": Expect(
        None, "val_bpb", 1.22436570, None, 13780, 448, warning="inline_metric"
    ),
    # 85 lines; "val_bpb:enabled" near the top; ends with final_int6_* then
    # "final_int8_zlib_roundtrip_exact val_loss:1.88276292 val_bpb:1.11508120"; step:6927/20000.
    PG + "2026-03-25_ValCalib_GPTQ_XSA_BigramHash3072__train_seed314.log": Expect(
        None, "val_bpb", 1.11508120, None, 6927, 85, warning="inline_metric"
    ),
    # Same record, seed 999: final val_bpb:1.11475014 on line 85, last step 6917.
    PG + "2026-03-25_ValCalib_GPTQ_XSA_BigramHash3072__train_seed999.log": Expect(
        None, "val_bpb", 1.11475014, None, 6917, 85, warning="inline_metric"
    ),
    # 7 lines: only a traceback ending in FileNotFoundError on line 7 (np.load of a mask).
    "BryanLopezDeMunain__NSD-decoding-autoresearch__branch-autoresearch-mar26__run.log": Expect(
        "traceback", "val_bpb", None, None, None, None, 7, "FileNotFoundError: [Errno 2]"
    ),
    # 1 line: an HF Hub "unauthenticated requests" warning and nothing else (run never trained).
    "BryanLopezDeMunain__NSD-decoding-autoresearch__run.log": Expect(
        "timeout", "val_bpb", None, None, None, None, 1, "unauthenticated requests"
    ),
    # 24 physical lines; line 14 is 1250 '\r'-joined progress lines (last step 01249);
    # '---' on line 15; val_bpb 1.050231, num_steps 1250.
    "RolandGao__autoresearch__bs_e17.log": Expect(None, "val_bpb", 1.050231, 1250, 1249, 15),
    # Same shape: 635 '\r' progress lines on line 14, '---' line 15, val_bpb 1.073704, 635 steps.
    "RolandGao__autoresearch__run.log": Expect(None, "val_bpb", 1.073704, 635, 634, 15),
    # CRLF throughout, one progress line per step (1353 of them); '---' on line 1368.
    "RolandGao__autoresearch__run2.log": Expect(None, "val_bpb", 1.039512, 1353, 1352, 1368),
    # 5 lines: '---' then val_f1 0.929877, best_thresh, train_seconds, positive_rate (no val_bpb).
    "karpathy__autoresearch__pull-381__sklearn__run.log": Expect(
        None, "val_f1", 0.929877, None, None, 1, warning="metric_missing"
    ),
    # V100 run: '\r' progress on line 14 (last step 01043), '---' line 15, val_bpb 1.393552.
    "karpathy__autoresearch__pull-436__logs__v100_run_01.txt": Expect(
        None, "val_bpb", 1.393552, 1044, 1043, 15
    ),
    # MPS run, 87 steps; '---' line 16; total_seconds 846.3 (over 10 min) but training 300.9.
    "karpathy__autoresearch__pull-454__run.log": Expect(
        None, "val_bpb", 1.774935, 87, 86, 16, warning="long_run"
    ),
    # Agent driver log: Gemini 429 RESOURCE_EXHAUSTED traceback, exception line 59.
    "karpathy__autoresearch__pull-512__agent_testrun.log": Expect(
        "traceback", "val_bpb", None, None, None, None, 59, "ClientError: 429 RESOURCE_EXHAUSTED"
    ),
    # Trading report (Sharpe -0.3616) with no summary; two hashlib tracebacks, last exception
    # "ValueError: unsupported hash type blake2s" on line 23.
    "karpathy__autoresearch__pull-530__run.log": Expect(
        "traceback", "val_bpb", None, None, None, None, 23, "unsupported hash type blake2s"
    ),
    # One line: "/bin/bash: line 239: uv: command not found".
    "karpathy__autoresearch__pull-590__run.log": Expect(
        "traceback", "val_bpb", None, None, None, None, 1, "uv: command not found"
    ),
    # Titanic random forest: pandas warnings, '---' on line 298, oob 0.845121, max_features log2,
    # the misspelled n_estimaors 1750.
    "miolini__autoresearch-macos__pull-15__run.log": Expect(
        None, "oob", 0.845121, None, None, 298, warning="metric_missing"
    ),
    # MPS run cut off: '\r' progress on line 18 ends at step 00016, no final newline.
    "miolini__autoresearch-macos__pull-19__run.log": Expect(
        "timeout", "val_bpb", None, None, 16, None, 18, "after step 16", "no_final_newline"
    ),
    # MPS OOM: traceback glued to the step-8 progress chunk; "RuntimeError: MPS backend out of
    # memory" on line 27.
    "miolini__autoresearch-macos__pull-20__run.log": Expect(
        "oom", "val_bpb", None, None, 8, None, 27, "MPS backend out of memory"
    ),
    # H100 baseline: '\r' progress on line 14 (last step 00926), '---' line 15, val_bpb 0.996831.
    "wavHub__autoresearch-results__runs__h100-20260416__run.log": Expect(
        None, "val_bpb", 0.996831, 927, 926, 15
    ),
}


@pytest.mark.parametrize("path", real_params(REAL_RUNLOGS))
def test_every_real_log_parses(path: Path) -> None:
    run = read_runlog(path)
    assert run.ok == (run.crash is None)
    assert run.ok or (run.crash is not None and run.crash.detail)


def test_every_real_log_has_an_expectation(real_runlogs_dir: Path) -> None:
    assert {p.name for p in real_files(real_runlogs_dir)} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_log_expectation(real_runlogs_dir: Path, name: str) -> None:
    want = EXPECTED[name]
    run = read_runlog(real_runlogs_dir / name)
    assert (run.crash.kind if run.crash else None) == want.kind
    value = run.metric(want.metric)
    if want.value is None:
        assert value is None
    else:
        assert value is not None and math.isclose(value, want.value)
    assert run.get("num_steps") == want.num_steps
    assert run.last_step == want.last_step
    assert run.summary_line == want.summary_line
    if run.crash is not None:
        assert run.crash.line == want.crash_line
        assert want.detail in run.crash.detail
        assert "\n" not in run.crash.detail and len(run.crash.detail) <= 240
        assert not run.summary
    if want.warning:
        assert want.warning in {w.code for w in run.warnings}


def test_standard_summaries_have_all_nine_keys(real_runlogs_dir: Path) -> None:
    for name in ("RolandGao__autoresearch__run2.log", "karpathy__autoresearch__pull-454__run.log"):
        run = read_runlog(real_runlogs_dir / name)
        assert tuple(run.summary) == STANDARD_KEYS
        assert isinstance(run.get("num_steps"), int) and isinstance(run.get("depth"), int)
        assert run.memory_gb is not None and run.peak_vram_mb is not None
        assert math.isclose(run.memory_gb, run.peak_vram_mb / 1024)
        assert not run.warnings or {w.code for w in run.warnings} == {"long_run"}


def test_random_forest_summary_keeps_text_and_misspelled_keys(real_runlogs_dir: Path) -> None:
    run = read_runlog(real_runlogs_dir / "miolini__autoresearch-macos__pull-15__run.log")
    assert run.get("max_features") == "log2"
    assert run.get("n_estimaors") == 1750
    assert run.get("time") == 8.2
    assert run.val_bpb is None and run.metric("max_features") is None


def test_metric_option_changes_the_default_metric(real_runlogs_dir: Path) -> None:
    run = read_runlog(
        real_runlogs_dir / "karpathy__autoresearch__pull-381__sklearn__run.log", metric="val_f1"
    )
    assert run.metric() == 0.929877
    assert "metric_missing" not in {w.code for w in run.warnings}


@pytest.mark.parametrize(
    ("record", "mib"),
    [
        ("2026-03-17_NaiveBaseline__train.log", 10184),
        ("2026-03-25_ValCalib_GPTQ_XSA_BigramHash3072__train_seed314.log", 22858),
        ("2026-03-25_ValCalib_GPTQ_XSA_BigramHash3072__train_seed999.log", 22847),
    ],
)
def test_parameter_golf_peak_memory_line_is_the_memory(
    real_runlogs_dir: Path, record: str, mib: int
) -> None:
    """Issue 12: 'peak memory allocated: 22847 MiB' is read as memory (MiB / 1024 = GB)."""
    run = read_runlog(real_runlogs_dir / (PG + record))
    assert run.memory_mb == mib and run.memory_gb == pytest.approx(mib / 1024)
    assert "summary_blocks" not in {w.code for w in run.warnings}  # several final_* lines


@pytest.mark.parametrize("path", real_params(REAL_RUNLOGS))
def test_every_real_log_through_autojudge(path: Path, tmp_path: Path) -> None:
    """The installed autojudge on each real log: a verdict, a crash, or exit 3 naming the metric."""
    from scriptrun import BASE, autojudge

    (tmp_path / "results.tsv").write_text(BASE)
    proc = autojudge(tmp_path, "--run", str(path), "--commit", "abcdef1", "-q")
    want = EXPECTED[path.name]
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr
    if want.kind is not None:
        assert proc.returncode == 1 and proc.stdout.startswith("CRASH")
    elif want.metric == "val_bpb":
        assert proc.returncode in (0, 1, 2) and f"{want.value:.6f}"[:6] in proc.stdout
    else:  # a summary without val_bpb: exit 3 saying what the log has
        assert proc.returncode == 3 and "pass --metric" in proc.stderr
