"""Unit tests of the run.log parser with inline logs, one per variant."""

from __future__ import annotations

import codecs
import dataclasses
import math
import subprocess
import sys
from pathlib import Path

import pytest

from autolab_shared.core.errors import InputError
from autolab_shared.parsing.runlog import (
    CRASH_KINDS,
    STANDARD_KEYS,
    CrashInfo,
    RunLog,
    parse_runlog,
    parse_value,
    read_runlog,
)

SUMMARY = """\
---
val_bpb:          0.997900
training_seconds: 300.1
total_seconds:    325.9
peak_vram_mb:     45060.2
mfu_percent:      39.80
total_tokens_M:   499.6
num_steps:        953
num_params_M:     50.3
depth:            8
"""
HEADER = "Vocab size: 8,192\nTime budget: 300s\nGradient accumulation steps: 2\n"


def progress(first: int, last: int, loss: str = "3.000000") -> str:
    """train.py's progress output: '\\r'-joined lines, no newline at the end."""
    return "".join(
        f"\rstep {s:05d} ({s / 10:.1f}%) | loss: {loss} | lrm: 1.00 | dt: 316ms | "
        f"tok/sec: 1,657,607 | mfu: 40.1% | epoch: 1 | remaining: 2s    "
        for s in range(first, last + 1)
    )


STANDARD = HEADER + progress(0, 952) + "\n" + SUMMARY


def codes(run: RunLog) -> set[str]:
    return {w.code for w in run.warnings}


def kind(run: RunLog) -> str | None:
    return run.crash.kind if run.crash else None


# --- finished runs ---------------------------------------------------------------------------


def test_standard_summary_is_typed_and_complete() -> None:
    run = parse_runlog(STANDARD, "run.log")
    assert run.ok and run.crash is None
    assert tuple(run.summary) == STANDARD_KEYS
    assert run.val_bpb == 0.9979 and isinstance(run.summary["val_bpb"], float)
    assert run.get("num_steps") == 953 and isinstance(run.get("num_steps"), int)
    assert run.get("depth") == 8
    assert run.training_seconds == 300.1
    assert run.peak_vram_mb == 45060.2
    assert run.memory_gb == pytest.approx(45060.2 / 1024)
    assert run.metric() == 0.9979 and run.metric("num_steps") == 953.0
    assert run.summary_line == 5  # 3 header lines, 1 progress line, then '---'
    assert run.last_step == 952
    assert run.warnings == ()
    assert run.path == "run.log"


def test_progress_chunk_is_one_physical_line() -> None:
    run = parse_runlog(HEADER + progress(0, 40) + "\n" + SUMMARY)
    assert run.summary_line == 5 and run.last_step == 40


def test_missing_keys_and_accessors() -> None:
    run = parse_runlog("---\nval_bpb: 1.5\nactivation: relu\n")
    assert run.ok and run.val_bpb == 1.5
    assert run.peak_vram_mb is None and run.memory_gb is None and run.training_seconds is None
    assert run.get("activation") == "relu" and run.metric("activation") is None
    assert run.get("nope") is None and run.get("nope", 3) == 3


def test_extra_summary_keys_are_kept_in_order() -> None:
    extra = "".join(f"extra_{i:02d}: {i}.5\n" for i in range(57))
    run = parse_runlog(STANDARD + extra)
    assert len(run.summary) == 66
    assert list(run.summary)[:9] == list(STANDARD_KEYS)
    assert run.get("extra_56") == 56.5 and run.ok


def test_other_keys_string_values_and_metric_option() -> None:
    log = "---\nval_rmse:   0.0319\noob: 0.84\nactivation: relu\nmax_features: log2\n"
    run = parse_runlog(log, metric="val_rmse")
    assert run.ok and run.metric() == 0.0319 and run.metric_name == "val_rmse"
    assert run.get("activation") == "relu" and run.get("max_features") == "log2"
    assert run.val_bpb is None
    assert "metric_missing" not in codes(run)
    missing = parse_runlog(log)
    assert missing.ok and "metric_missing" in codes(missing)


def test_metric_that_is_text_is_warned() -> None:
    run = parse_runlog("---\nval_bpb: n/a\n")
    assert run.ok and run.val_bpb is None and "metric_not_numeric" in codes(run)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0.997900", 0.9979),
        ("953", 953),
        ("-5", -5),
        ("+7", 7),
        ("1e-3", 0.001),
        (".5", 0.5),
        ("300.", 300.0),
        ("inf", math.inf),
        ("-Infinity", -math.inf),
        ("relu", "relu"),
        ("1,000", "1,000"),
        ("45060.2 MB", "45060.2 MB"),
        ("1_000", "1_000"),
        ("", ""),
    ],
)
def test_parse_value(text: str, value: object) -> None:
    got = parse_value(text)
    assert got == value and type(got) is type(value)


def test_parse_value_nan_and_huge_integers() -> None:
    nan = parse_value("nan")
    assert isinstance(nan, float) and math.isnan(nan)
    huge = "9" * 5000  # longer than int() accepts: a float, infinite like 1e400
    assert parse_value(huge) == math.inf
    assert parse_value("9" * 16) == int("9" * 16) and parse_value("9" * 17) == float("9" * 17)


def test_crlf_log() -> None:
    run = parse_runlog(STANDARD.replace("\n", "\r\n"))
    assert run.ok and dict(run.summary) == dict(parse_runlog(STANDARD).summary)
    assert run.summary_line == 5


def test_crlf_progress_one_line_per_step() -> None:
    lines = "".join(f"step {s:05d} (1.0%) | loss: 3.1 | remaining: 9s    \r\n" for s in range(9))
    run = parse_runlog((HEADER + lines + SUMMARY).replace("\n", "\r\n").replace("\r\r", "\r"))
    assert run.ok and run.last_step == 8 and run.summary_line == 13


def test_utf16le_bom_crlf_bytes() -> None:
    data = codecs.BOM_UTF16_LE + STANDARD.replace("\n", "\r\n").encode("utf-16-le")
    run = parse_runlog(data, "ps.log")
    assert run.ok and run.val_bpb == 0.9979 and run.get("num_steps") == 953
    assert "bom" in codes(run) and run.summary_line == 5


def test_utf8_bom_bytes_and_str() -> None:
    assert parse_runlog(codecs.BOM_UTF8 + STANDARD.encode()).val_bpb == 0.9979
    assert parse_runlog("\ufeff" + STANDARD).summary_line == 5


def test_multiple_separators_use_the_last() -> None:
    first = "---\nval_bpb: 1.5\nnum_steps: 10\n"
    run = parse_runlog(first + "rerun\n" + progress(0, 5) + "\n" + SUMMARY)
    assert run.val_bpb == 0.9979 and run.get("num_steps") == 953
    assert run.summary_line == 6


def test_text_after_the_summary_is_one_warning() -> None:
    run = parse_runlog(STANDARD + "Appended row\nbye\n")
    assert run.ok and len(run.summary) == 9
    trailing = [w for w in run.warnings if w.code == "summary_trailing"]
    assert len(trailing) == 1 and trailing[0].line == 15 and "2 line(s)" in trailing[0].reason


def test_duplicate_and_empty_summary_keys() -> None:
    run = parse_runlog("---\nval_bpb: 1.0\nval_bpb: 0.9\nnote:\n")
    assert run.val_bpb == 0.9
    assert {"duplicate_key", "summary_line"} <= codes(run)


def test_long_total_seconds_is_only_a_warning() -> None:
    run = parse_runlog(SUMMARY.replace("325.9", "846.3"))
    assert run.ok and "long_run" in codes(run)


# --- summary present but the run failed ------------------------------------------------------


def test_nan_metric_in_summary_is_a_nan_crash() -> None:
    run = parse_runlog(STANDARD.replace("0.997900", "nan"))
    assert kind(run) == "nan" and run.crash is not None and run.crash.line == 6
    assert run.val_bpb is not None and math.isnan(run.val_bpb)
    assert len(run.summary) == 9 and not run.ok


def test_inf_metric_in_summary_is_a_nan_crash() -> None:
    assert kind(parse_runlog(SUMMARY.replace("0.997900", "inf"))) == "nan"


def test_training_seconds_far_over_budget_is_a_timeout() -> None:
    run = parse_runlog(SUMMARY.replace("300.1", "700.5"))
    assert kind(run) == "timeout" and run.crash is not None
    assert run.crash.line == 3 and "700.5" in run.crash.detail
    assert run.val_bpb == 0.9979  # summary kept


def test_timeout_threshold_follows_the_budget() -> None:
    log = SUMMARY.replace("300.1", "599.0")
    assert parse_runlog(log).ok
    assert kind(parse_runlog(log, time_budget=120.0)) == "timeout"
    assert parse_runlog(SUMMARY.replace("300.1", "9999"), time_budget=0).ok  # 0 disables


# --- no summary ------------------------------------------------------------------------------

CUDA_OOM = """\
Traceback (most recent call last):
  File "/root/autoresearch/train.py", line 540, in <module>
    loss = model(x, y)
torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a total \
capacity of 79.19 GiB of which 1.06 GiB is free.
"""


def test_cuda_oom() -> None:
    run = parse_runlog(HEADER + progress(0, 3) + "\n" + CUDA_OOM)
    assert kind(run) == "oom" and run.crash is not None
    assert run.crash.detail.startswith("torch.OutOfMemoryError: CUDA out of memory")
    assert run.crash.line == 8 and run.last_step == 3 and not run.summary


def test_mps_oom_glued_to_progress() -> None:
    tb = (
        "Traceback (most recent call last):\n"
        '  File "train.py", line 622, in <module>\n'
        "    loss.backward()\n"
        "RuntimeError: MPS backend out of memory (MPS allocated: 16.30 GB). Tried to allocate\n"
    )
    run = parse_runlog(HEADER + progress(0, 8) + tb)
    assert kind(run) == "oom" and run.crash is not None and run.crash.line == 7
    assert run.crash.detail.startswith("RuntimeError: MPS backend out of memory")


def test_fail_line_is_nan() -> None:
    run = parse_runlog(HEADER + progress(0, 12) + "FAIL\n")
    assert kind(run) == "nan" and run.crash is not None
    assert run.crash.line == 4 and "after step 12" in run.crash.detail


def test_fail_on_its_own_line() -> None:
    run = parse_runlog(HEADER + progress(0, 2) + "\nFAIL\n")
    assert kind(run) == "nan" and run.crash is not None and run.crash.line == 5


def test_nan_loss_in_progress() -> None:
    run = parse_runlog(HEADER + progress(0, 4) + progress(5, 9, loss="nan") + "\n")
    assert kind(run) == "nan" and run.crash is not None
    assert run.crash.detail == "loss: nan at step 5"


def test_parameter_golf_nan_loss() -> None:
    run = parse_runlog("step:100/20000 train_loss:nan train_time:100ms\n")
    assert kind(run) == "nan"


def test_traceback_reports_the_last_exception_line() -> None:
    log = (
        "Traceback (most recent call last):\n"
        '  File "a.py", line 1, in <module>\n'
        "KeyError: 'x'\n"
        "\n"
        "During handling of the above exception, another exception occurred:\n"
        "\n"
        "Traceback (most recent call last):\n"
        '  File "train.py", line 300, in <module>\n'
        "    assert TOTAL_BATCH_SIZE % tokens == 0\n"
        "           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
        "AssertionError\n"
    )
    run = parse_runlog(log)
    assert run.crash == CrashInfo("traceback", "AssertionError", 11)


def test_value_error_traceback_after_progress() -> None:
    tb = (
        "Traceback (most recent call last):\n"
        '  File "train.py", line 5, in <module>\n'
        "ValueError: too many values to unpack (expected 2)\n"
    )
    run = parse_runlog(HEADER + progress(0, 30) + "\n" + tb)
    assert run.crash == CrashInfo(
        "traceback", "ValueError: too many values to unpack (expected 2)", 7
    )
    assert run.last_step == 30


def test_torchrun_rank_prefixed_traceback() -> None:
    log = (
        "[rank0]: Traceback (most recent call last):\n"
        '[rank0]:   File "train_gpt.py", line 9, in <module>\n'
        '[rank1]:   File "train_gpt.py", line 9, in <module>\n'
        "[rank0]: ZeroDivisionError: division by zero\n"
    )
    run = parse_runlog(log)
    assert run.crash == CrashInfo("traceback", "ZeroDivisionError: division by zero", 4)


def test_traceback_cut_off_before_exception() -> None:
    run = parse_runlog('Traceback (most recent call last):\n  File "x.py", line 1\n')
    assert kind(run) == "traceback" and run.crash is not None and run.crash.line == 1


def test_keyboard_interrupt_is_a_timeout() -> None:
    log = (
        progress(0, 3) + '\nTraceback (most recent call last):\n  File "t.py"\nKeyboardInterrupt\n'
    )
    run = parse_runlog(log)
    assert run.crash == CrashInfo("timeout", "KeyboardInterrupt", 4)


@pytest.mark.parametrize(
    "line",
    [
        "/bin/bash: line 239: uv: command not found",
        "python: can't open file '/x/train.py': [Errno 2] No such file or directory",
        "error: Failed to spawn: `train.py`",
        "Segmentation fault (core dumped)",
        "RuntimeError: CUDA error: an illegal memory access was encountered",
    ],
)
def test_command_failures_are_tracebacks(line: str) -> None:
    run = parse_runlog(line + "\n")
    assert run.crash == CrashInfo("traceback", line, 1)


def test_killed_message_is_a_timeout() -> None:
    run = parse_runlog(HEADER + progress(0, 50) + "\nKilled\n")
    assert run.crash == CrashInfo("timeout", "Killed", 5)


def test_truncated_log_is_a_timeout() -> None:
    run = parse_runlog(HEADER + progress(0, 811))
    assert run.crash == CrashInfo("timeout", "log cut off after step 811 (no final newline)", 4)
    assert "no_final_newline" in codes(run) and run.last_step == 811


def test_truncated_right_after_separator() -> None:
    run = parse_runlog(HEADER + progress(0, 811) + "\n---\n")
    assert kind(run) == "timeout" and "summary_empty" in codes(run)
    assert run.summary_line is None and not run.summary


def test_separator_before_training_is_not_a_summary() -> None:
    log = "---\nlr: 0.04\nbatch: 32\n" + progress(0, 20) + "\n"
    run = parse_runlog(log)
    assert kind(run) == "timeout" and "summary_ignored" in codes(run) and not run.summary


def test_text_without_evidence_is_a_timeout_naming_the_last_line() -> None:
    run = parse_runlog("Warning: unauthenticated requests to the HF Hub\n\n")
    assert run.crash is not None and run.crash.kind == "timeout" and run.crash.line == 1
    assert "HF Hub" in run.crash.detail


@pytest.mark.parametrize("data", ["", b"", "  \n\n\t\n", b"\r\n\r\n"])
def test_empty_logs(data: str | bytes) -> None:
    run = parse_runlog(data)
    assert kind(run) == "empty" and run.crash is not None and run.crash.line is None
    assert run.summary == {} and run.summary_line is None and run.last_step is None


def test_long_detail_is_clipped_to_one_line() -> None:
    run = parse_runlog("Traceback (most recent call last):\nValueError: " + "x" * 1000 + "\n")
    assert run.crash is not None and len(run.crash.detail) == 240
    assert run.crash.detail.endswith("…")


# --- parameter-golf inline metrics ------------------------------------------------------------

GOLF = """\
val_bpb:enabled tokenizer_kind=sentencepiece
step:0/20000 val_loss:6.9271 val_bpb:4.1026 train_time:0ms step_avg:0.01ms
step:6927/20000 val_loss:1.9171 val_bpb:1.1354 train_time:600109ms step_avg:86.63ms
stopping_early: wallclock_cap train_time:600109ms step:6927/20000
final_int6_roundtrip_exact val_loss:1.92248956 val_bpb:1.13860661
final_int8_zlib_roundtrip val_loss:1.8828 val_bpb:1.1151 eval_time:1401ms
final_int8_zlib_roundtrip_exact val_loss:1.88276292 val_bpb:1.11508120
"""


def test_parameter_golf_final_line_is_the_summary() -> None:
    run = parse_runlog(GOLF)
    assert run.ok and run.val_bpb == 1.11508120
    assert dict(run.summary) == {"val_loss": 1.88276292, "val_bpb": 1.11508120}
    assert run.summary_line == 7 and run.last_step == 6927
    assert "inline_metric" in codes(run)


def test_parameter_golf_with_other_metric() -> None:
    run = parse_runlog(GOLF + "final_extra eval_time:12ms\n", metric="val_loss")
    assert run.metric() == 1.88276292


def test_parameter_golf_cut_off_mid_training() -> None:
    run = parse_runlog(GOLF.split("stopping_early")[0])
    assert kind(run) == "timeout" and not run.summary and run.last_step == 6927


# --- API, files and import hygiene -----------------------------------------------------------


def test_runlog_is_frozen_and_hashable() -> None:
    run = parse_runlog(STANDARD)
    with pytest.raises(dataclasses.FrozenInstanceError):
        run.crash = None  # type: ignore[misc]
    with pytest.raises(TypeError):
        run.summary["val_bpb"] = 0.0  # type: ignore[index]
    assert hash(run) == hash(parse_runlog(STANDARD)) and run == parse_runlog(STANDARD)
    assert hash(parse_runlog("")) is not None


def test_crash_kinds_are_the_five() -> None:
    assert CRASH_KINDS == ("oom", "nan", "timeout", "traceback", "empty")


def test_read_runlog(tmp_path: Path) -> None:
    path = tmp_path / "run.log"
    path.write_bytes(STANDARD.encode())
    run = read_runlog(path)
    assert run.ok and run.path == str(path) and run.val_bpb == 0.9979
    assert read_runlog(str(path), metric="depth").metric() == 8.0


def test_read_runlog_missing_or_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_runlog(tmp_path / "missing.log")
    with pytest.raises(InputError, match="directory"):
        read_runlog(tmp_path)


def test_warnings_carry_the_path() -> None:
    run = parse_runlog(b"\xff\xfeoops", "odd.log")
    assert run.warnings and all(w.path == "odd.log" for w in run.warnings)


def test_import_leaves_heavy_modules_out() -> None:
    code = (
        "import sys, autolab_shared.parsing.runlog\n"
        "heavy = [m for m in ('pandas', 'scipy', 'click', 'rich') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""
