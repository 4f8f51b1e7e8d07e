"""run.log shapes that used to mislead autojudge (issue 14 "Values", issue 12), end to end.

Each log is judged with ``--append``: the exit code, the value judged and the row written (or
not written) are checked together. Each kind runs through the installed console script
(``test_each_shape_through_the_installed_script``); the variants run in process.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scriptrun import BASE, autojudge, autojudge_fast

GREEN, BOLD, RESET = "\x1b[32m", "\x1b[1m", "\x1b[0m"


def _judge(
    tmp_path: Path, log: str, *, script: bool = False
) -> tuple[int, dict[str, object] | None, str, list[str]]:
    """(exit code, JSON document or None, stderr, results.tsv lines) after --append.

    In process by default; ``script``: through the installed console script.
    """
    (tmp_path / "results.tsv").write_text(BASE)
    (tmp_path / "run.log").write_bytes(log.encode())
    run = autojudge if script else autojudge_fast
    proc = run(
        tmp_path,
        "--run",
        "run.log",
        "--append",
        "--commit",
        "c1c2c3d",
        "--description",
        "x",
        "--format",
        "json",
    )
    doc = json.loads(proc.stdout) if proc.stdout.strip() else None
    return proc.returncode, doc, proc.stderr, (tmp_path / "results.tsv").read_text().splitlines()


def _codes(doc: dict[str, object] | None) -> set[str]:
    assert doc is not None
    warnings = doc["warnings"]
    assert isinstance(warnings, list)
    return {w["code"] for w in warnings}


FINISHED = "---\nval_bpb: 0.994213\ntraining_seconds: 300.1\npeak_vram_mb: 45060.2\n"


@pytest.mark.parametrize(
    ("log", "code"),
    [
        (FINISHED + "---\n", None),  # a closing '---' (issue 12): not a timeout crash
        (FINISHED + "---\n\n", None),
        (
            "---\n" + GREEN + "val_bpb:" + RESET + " " + BOLD + "0.994213" + RESET + "\n"
            "peak_vram_mb: 45060.2\n",
            "ansi",
        ),
        ("\x1b]0;title\x07" + FINISHED.replace("---", GREEN + "---" + RESET), "ansi"),
        ("---\nval_bpb: 0.999\n---\nval_bpb: 0.997\n" + FINISHED, "summary_blocks"),
        (FINISHED.replace("val_bpb", "bpb"), "metric_alias"),
        (FINISHED.replace("val_bpb", "Val/BPB"), "metric_alias"),
    ],
)
def test_finished_run_is_judged_on_its_value(tmp_path: Path, log: str, code: str | None) -> None:
    rc, doc, err, rows = _judge(tmp_path, log)
    assert rc in (0, 2), err
    assert doc is not None and doc["data"]["value"] == pytest.approx(0.994213)  # type: ignore[index]
    assert rows[-1].split("\t")[:3] == ["c1c2c3d", "0.994213", "44.0"]
    if code is not None:
        assert code in _codes(doc)


def test_several_summary_blocks_warn_with_their_count(tmp_path: Path) -> None:
    log = "---\nval_bpb: 0.999\n---\nval_bpb: 0.997\n" + FINISHED
    _, doc, _, _ = _judge(tmp_path, log)
    assert doc is not None
    warning = next(w for w in doc["warnings"] if w["code"] == "summary_blocks")  # type: ignore[union-attr]
    assert "3 summary blocks" in warning["reason"] and warning["line"] == 5


def test_parameter_golf_peak_memory_in_mib_is_read_as_memory(tmp_path: Path) -> None:
    log = (
        "step:100/200 train_loss:2.0\npeak memory allocated: 22847 MiB reserved: 22894 MiB\n"
        "final_int8_zlib_roundtrip_exact val_loss:2.07 val_bpb:0.994213\n"
    )
    rc, doc, err, rows = _judge(tmp_path, log)
    assert rc in (0, 2), err
    assert doc is not None and doc["data"]["memory_gb"] == pytest.approx(22847 / 1024)  # type: ignore[index]
    assert rows[-1].split("\t")[:3] == ["c1c2c3d", "0.994213", "22.3"]


@pytest.mark.parametrize(
    ("log", "message"),
    [
        ("---\nval_bpb: 0.99", "ends mid-line"),  # killed while printing: 0.99 of 0.994213
        ("---\ntraining_seconds: 300\nval_bpb: 0.9942", "ends mid-line"),
        ("---\nval_bpb: ok\n", "val_bpb is not a number: 'ok'"),
        ("---\nval_bpb: 0.99 (best)\n", "not a number"),
        ("---\nval_loss: 2.1\ntraining_seconds: 300\n", "run.log has val_loss, results.tsv logs"),
        ("---\ntraining_seconds: 300\n", "pass --metric"),
    ],
)
def test_summary_without_a_usable_metric_is_exit_3_and_appends_nothing(
    tmp_path: Path, log: str, message: str
) -> None:
    rc, doc, err, rows = _judge(tmp_path, log)
    assert rc == 3 and message in err and "Traceback" not in err
    assert doc is not None and doc["exit_code"] == 3
    assert "\n".join(rows) + "\n" == BASE


def test_cut_summary_after_a_complete_one_is_a_retest(tmp_path: Path) -> None:
    rc, doc, err, _ = _judge(
        tmp_path, "---\nval_bpb: 0.990000\npeak_vram_mb: 45060.2\n---\nval_bpb: 0.9"
    )
    assert rc == 2, err
    assert doc is not None and doc["data"]["verdict"] == "RETEST"  # type: ignore[index]
    assert doc["data"]["value"] == pytest.approx(0.99)  # type: ignore[index]
    assert {"cut_line", "summary_blocks"} <= _codes(doc)


def test_cut_line_that_is_not_the_metric_keeps_the_verdict(tmp_path: Path) -> None:
    rc, doc, err, rows = _judge(tmp_path, "---\nval_bpb: 0.994213\npeak_vram_mb: 450")
    assert rc in (0, 2), err
    assert doc is not None and doc["data"]["value"] == pytest.approx(0.994213)  # type: ignore[index]
    assert "cut_line" in _codes(doc) and rows[-1].split("\t")[1] == "0.994213"


def test_nan_metric_is_still_a_crash(tmp_path: Path) -> None:
    rc, _, _, rows = _judge(tmp_path, "---\nval_bpb: nan\n")
    assert rc == 1 and rows[-1].split("\t")[3] == "crash"


def test_cut_summary_retest_overrides_a_keep_and_says_why(tmp_path: Path) -> None:
    """With replicates known (--noise), the earlier value alone would be a keep: RETEST instead."""
    (tmp_path / "results.tsv").write_text(BASE)
    (tmp_path / "run.log").write_text("---\nval_bpb: 0.980000\n---\nval_bpb: 0.98")
    plain = autojudge(tmp_path, "--run", "run.log", "--noise", "0.0005", "--commit", "c1c2c3d")
    assert plain.returncode == 2 and "cut mid-line" in plain.stdout
    (tmp_path / "run.log").write_text("---\nval_bpb: 0.980000\n")
    whole = autojudge(tmp_path, "--run", "run.log", "--noise", "0.0005", "--commit", "c1c2c3d")
    assert whole.returncode == 0, whole.stdout


@pytest.mark.parametrize(
    ("log", "code"),
    [
        (FINISHED + "---\n", 0),
        ("---\n" + GREEN + "val_bpb: 0.994213" + RESET + "\npeak_vram_mb: 45060.2\n", 0),
        ("---\nval_bpb: 0.999\n" + FINISHED, 0),
        (FINISHED.replace("val_bpb", "bpb"), 0),
        ("---\nval_bpb: 0.99", 3),
        ("---\nval_bpb: ok\n", 3),
        ("---\nval_loss: 2.1\n", 3),
    ],
)
def test_each_shape_through_the_installed_script(tmp_path: Path, log: str, code: int) -> None:
    rc, doc, err, rows = _judge(tmp_path, log, script=True)
    assert doc is not None and "Traceback" not in err
    if code == 3:
        assert rc == 3 and "\n".join(rows) + "\n" == BASE
    else:
        assert rc in (0, 2) and rows[-1].split("\t")[1] == "0.994213"
