"""The demo repo and its simulated train.py: real git repos and real `python train.py` runs."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest
from evolve_rig import demo_repo, git

from autoevolve.demo import DEMO_KNOBS, find_knobs, read_knobs, true_value, write_demo_repo
from autolab_shared.parsing.runlog import STANDARD_KEYS, RunLog, parse_runlog


def set_knobs(text: str, values: Mapping[str, float | int]) -> str:
    """``text`` with the named constants' literals replaced by ``values``."""
    for knob in sorted(find_knobs(text), key=lambda k: k.start, reverse=True):
        if knob.name in values:
            text = text[: knob.start] + repr(values[knob.name]) + text[knob.end :]
    return text


def train(repo: Path, **env: str) -> tuple[int, RunLog]:
    """Run the repo's train.py as autoevolve will (this interpreter); return rc and parsed log."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("DEMO_")}
    environ.update({"DEMO_RUN_SECONDS": "0", **env})
    done = subprocess.run(
        [sys.executable, "train.py"], cwd=repo, env=environ, capture_output=True, text=True
    )
    return done.returncode, parse_runlog(done.stdout + done.stderr, "run.log")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return demo_repo(tmp_path)


def test_demo_repo_is_one_clean_commit_on_master(repo: Path) -> None:
    assert git(repo, "rev-list", "--count", "HEAD") == "1"
    assert git(repo, "branch", "--show-current") == "master"
    assert git(repo, "status", "--porcelain") == ""
    files = git(repo, "ls-files").split("\n")
    assert sorted(files) == [".gitignore", "README.md", "prepare.py", "program.md", "train.py"]
    ignored = (repo / ".gitignore").read_text().split()
    assert {"run.log", "results.tsv", "worktrees/"} <= set(ignored)


def test_train_py_holds_karpathys_constants(repo: Path) -> None:
    text = (repo / "train.py").read_text()
    assert read_knobs(text) == DEMO_KNOBS
    assert DEMO_KNOBS["DEPTH"] == 8 and DEMO_KNOBS["MATRIX_LR"] == 0.04
    assert DEMO_KNOBS["TOTAL_BATCH_SIZE"] == 2**19
    assert isinstance(DEMO_KNOBS["DEPTH"], int) and isinstance(DEMO_KNOBS["WEIGHT_DECAY"], float)
    assert 8 <= len(DEMO_KNOBS) <= 12
    assert 'WINDOW_PATTERN = "SSSL"' in text and "ADAM_BETAS = (0.8, 0.95)" in text


def test_write_demo_repo_refuses_a_non_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "x").write_text("keep me")
    with pytest.raises(FileExistsError):
        write_demo_repo(tmp_path)
    assert (tmp_path / "x").read_text() == "keep me"
    empty = tmp_path / "empty"
    empty.mkdir()
    write_demo_repo(empty)
    assert (empty / "train.py").is_file()


def test_read_knobs_reads_numeric_upper_case_lines_only() -> None:
    text = "A = 1\nB_2 = 0.5  # note\nC = -3e-4\r\nlower = 2\nD = (1, 2)\n  E = 4\nF = 2**3\n"
    assert read_knobs(text) == {"A": 1, "B_2": 0.5, "C": -3e-4}
    assert isinstance(read_knobs(text)["A"], int)


def test_a_run_prints_a_summary_block_the_shared_parser_reads(repo: Path) -> None:
    rc, log = train(repo)
    assert rc == 0 and log.ok and not log.warnings
    assert tuple(log.summary) == STANDARD_KEYS
    assert log.summary["depth"] == 8 and log.summary["num_steps"] == 952
    assert log.val_bpb is not None and abs(log.val_bpb / 0.9979 - 1) < 0.01
    assert log.peak_vram_mb is not None and 40000 < log.peak_vram_mb < 50000
    assert log.last_step is not None and log.last_step > 0


def test_noise_free_run_matches_true_value(repo: Path) -> None:
    text = set_knobs((repo / "train.py").read_text(), {"DEPTH": 10, "MATRIX_LR": 0.05})
    (repo / "train.py").write_text(text)
    rc, log = train(repo, DEMO_NOISE_SD="0")
    assert rc == 0 and log.val_bpb == round(true_value(text), 6)
    assert log.summary["depth"] == 10


def test_noise_is_small_and_seedable(repo: Path) -> None:
    seeded = [train(repo, DEMO_NOISE_SEED="1")[1].val_bpb for _ in range(2)]
    fresh = [train(repo)[1].val_bpb for _ in range(2)]
    assert seeded[0] == seeded[1] and fresh[0] != fresh[1]
    truth = true_value((repo / "train.py").read_text())
    for value in [*seeded, *fresh]:
        assert value is not None and abs(value / truth - 1) < 0.01


@pytest.mark.parametrize(
    ("values", "kind", "evidence"),
    [
        ({"MATRIX_LR": -0.01}, "traceback", "Invalid learning rate"),
        ({"EMBEDDING_LR": 0.0}, "traceback", "Invalid learning rate"),
        ({"DEPTH": 0}, "traceback", "DEPTH must be a positive integer"),
        ({"WARMDOWN_RATIO": 1.5}, "traceback", "AssertionError"),
        ({"TOTAL_BATCH_SIZE": 131072}, "traceback", "AssertionError"),
        ({"MATRIX_LR": 4.0}, "nan", "FAIL"),
        ({"DEPTH": 16}, "oom", "CUDA out of memory"),
    ],
)
def test_unusable_settings_crash_like_a_real_run(
    repo: Path, values: dict[str, float], kind: str, evidence: str
) -> None:
    text = set_knobs((repo / "train.py").read_text(), values)
    (repo / "train.py").write_text(text)
    rc, log = train(repo)
    assert rc == 1 and not log.summary and log.val_bpb is None
    assert log.crash is not None and log.crash.kind == kind
    assert evidence in log.crash.detail or kind == "nan"
    assert true_value(text) == math.inf


def _descend(text: str) -> str:
    """Coordinate descent over a multiplicative grid of every knob, on the noise-free value."""
    factors = [2 ** (i / 8) for i in range(-16, 17) if i]
    best, improved = true_value(text), True
    while improved:
        improved = False
        for name, old in read_knobs(text).items():
            for factor in factors:
                new = round(old * factor) if isinstance(old, int) else old * factor
                candidate = set_knobs(text, {name: new})
                value = true_value(candidate)
                if value < best - 1e-12:
                    text, best, improved = candidate, value, True
                    old = read_knobs(text)[name]
    return text


def test_the_optimum_beats_the_start_by_two_to_five_percent(repo: Path) -> None:
    start = (repo / "train.py").read_text()
    best = _descend(start)
    gain = 1 - true_value(best) / true_value(start)
    assert 0.02 <= gain <= 0.05, gain
    moved = {k for k, v in read_knobs(best).items() if v != DEMO_KNOBS[k]}
    assert {"MATRIX_LR", "TOTAL_BATCH_SIZE", "WARMDOWN_RATIO"} <= moved


def test_depth_trades_value_for_memory(repo: Path) -> None:
    start = (repo / "train.py").read_text()
    assert true_value(set_knobs(start, {"DEPTH": 12})) == math.inf  # out of memory
    smaller = set_knobs(start, {"DEPTH": 12, "DEVICE_BATCH_SIZE": 64})
    assert math.isfinite(true_value(smaller))
    (repo / "train.py").write_text(smaller)
    rc, log = train(repo)
    assert rc == 0 and log.peak_vram_mb is not None and log.peak_vram_mb < 81090
    steps = log.metric("num_steps")
    assert steps is not None and steps < 952  # a bigger model takes fewer steps in the budget


def test_demo_suggests_the_champion_lineage_audit_and_that_audit_runs(tmp_path: Path) -> None:
    import subprocess

    from support import console_script

    where = tmp_path / "d"
    env = {**__import__("os").environ, "DEMO_RUN_SECONDS": "0"}
    proc = subprocess.run(
        [console_script("autoevolve"), "demo", "--dir", str(where), "--run-seconds", "0"],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
        check=False,
    )
    assert proc.returncode in (0, 1, 2), proc.stderr
    assert "next: autoevolve leaderboard" in proc.stdout
    lines = [ln for ln in proc.stdout.splitlines() if "autojudge --results" in ln]
    assert lines, proc.stdout  # the default demo (seed 0) crowns a champion
    results = lines[0].split("--results ")[1].split()[0]
    assert results.endswith("results.tsv") and "/.git/" not in results
    audit = subprocess.run(
        [console_script("autojudge"), "--results", results, "--all"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert audit.returncode in (0, 1, 2), audit.stderr
