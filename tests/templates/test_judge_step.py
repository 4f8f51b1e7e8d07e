"""templates/judge-step.sh (the program.md add-on's snippet) against a real git repo.

Each verdict is produced by real autojudge statistics: a baseline run eight times gives a tight
noise floor (sd about 0.0003), so 0.95 is a certain keep and 1.05 a certain discard; a history
without replicates makes a single small gain a RETEST (calibrate).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from gitrepo import Repo
from support import REPO_ROOT, console_script

TEMPLATES = REPO_ROOT / "templates"
REPLICATED = ["1.0000", "1.0005", "0.9995", "1.0003", "0.9997", "1.0001", "0.9999", "1.0002"]
UNREPLICATED = ["1.0000", "0.9990", "1.0010", "0.9985", "1.0020", "0.9980"]


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The snippet exactly as program-addon.md shows it (checked equal to judge-step.sh below)."""
    doc = (TEMPLATES / "program-addon.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(#!/bin/sh\n.*?)```", doc, flags=re.DOTALL)
    assert len(blocks) == 1
    path = tmp_path_factory.mktemp("addon") / "judge-step.sh"
    path.write_text(blocks[0], encoding="utf-8")
    return path


def test_addon_shows_the_shipped_script_verbatim(script: Path) -> None:
    assert script.read_bytes() == (TEMPLATES / "judge-step.sh").read_bytes()


def _replicated(tmp_path: Path) -> tuple[Repo, str]:
    repo = Repo(tmp_path / "repo")
    base = repo.head()
    repo.results([(base, v) for v in REPLICATED])
    return repo, base


def _unreplicated(tmp_path: Path) -> tuple[Repo, str]:
    repo = Repo(tmp_path / "repo")
    base = repo.head()
    repo.results([(f"a00000{i}", v) for i, v in enumerate(UNREPLICATED)])
    return repo, base


@pytest.mark.parametrize("shell", [s for s in ("sh", "dash", "bash") if shutil.which(s)])
def test_keep_leaves_the_experiment_at_head_without_a_new_commit(
    tmp_path: Path, script: Path, shell: str
) -> None:
    repo, _ = _replicated(tmp_path)
    cand = repo.commit("LR = 0.05\n", "LR 0.04 -> 0.05")
    repo.run_log("0.950000")
    code, out = repo.sh(script, shell=shell)
    assert code == 0, out
    assert "STRONG_KEEP" in out
    assert repo.head() == cand
    assert repo.git("rev-list", "--count", "HEAD") == "2"
    assert repo.rows()[-1] == [cand, "0.950000", "43.9", "keep", "LR 0.04 -> 0.05"]
    assert len(repo.rows()) == len(REPLICATED) + 1


def test_discard_records_the_row_then_reverts_and_keeps_the_commit_reachable(
    tmp_path: Path, script: Path
) -> None:
    repo, base = _replicated(tmp_path)
    cand = repo.commit("LR = 0.06\n", "LR 0.04 -> 0.06")
    full = repo.git("rev-parse", "HEAD")
    repo.run_log("1.050000")
    code, out = repo.sh(script)
    assert code == 1, out
    assert "DISCARD" in out
    assert repo.head() == base
    assert repo.rows()[-1] == [cand, "1.050000", "43.9", "discard", "LR 0.04 -> 0.06"]
    assert repo.git("rev-parse", f"refs/autolab/discarded/{full}") == full
    assert (repo.path / "train.py").read_text() == "LR = 0.04\n"


def test_crash_records_a_crash_row_and_reverts(tmp_path: Path, script: Path) -> None:
    repo, base = _replicated(tmp_path)
    cand = repo.commit("LR = 0.07\n", "LR 0.04 -> 0.07")
    repo.run_log(None)
    code, out = repo.sh(script)
    assert code == 1, out
    assert "CRASH" in out and "tail -n 50 run.log" in out
    assert repo.head() == base
    assert repo.rows()[-1] == [cand, "0.000000", "0.0", "crash", "LR 0.04 -> 0.07"]


def test_retest_keeps_head_for_a_rerun_of_the_same_commit(tmp_path: Path, script: Path) -> None:
    repo, _ = _unreplicated(tmp_path)
    cand = repo.commit("LR = 0.05\n", "LR 0.04 -> 0.05")
    repo.run_log("0.997900")
    code, out = repo.sh(script)
    assert code == 2, out
    assert f"re-run training on {cand}" in out
    assert repo.head() == cand
    assert repo.rows()[-1][:4] == [cand, "0.997900", "43.9", "retest"]
    repo.run_log("0.996500")  # the re-run, same commit: pooled, clearly better than the best
    code, out = repo.sh(script)
    assert code == 0, out
    assert repo.head() == cand
    assert [r[3] for r in repo.rows() if r[0] == cand] == ["retest", "keep"]


def test_retests_are_capped_and_then_reverted(tmp_path: Path, script: Path) -> None:
    repo, base = _unreplicated(tmp_path)
    cand = repo.commit("LR = 0.05\n", "LR 0.04 -> 0.05")
    repo.run_log("0.997900")
    code, out = repo.sh(script, AUTOLAB_MAX_RETESTS="0")
    assert code == 1, out
    assert "RETEST limit reached" in out
    assert repo.head() == base
    assert repo.rows()[-1][:4] == [cand, "0.997900", "43.9", "retest"]


def _unchanged(repo: Repo, cand: str, before: bytes) -> None:
    assert repo.head() == cand
    assert (repo.path / "results.tsv").read_bytes() == before


@pytest.mark.parametrize(
    ("args", "env", "code", "message"),
    [
        (("results.tsv", "missing.log"), {}, 3, "missing.log: no such file"),
        (("missing.tsv",), {}, 3, "missing.tsv: no such file"),
        ((), {"AUTOJUDGE_ARGS": "--policy bogus"}, 4, "Invalid value for '--policy'"),
        (("run.log", "results.tsv"), {}, 4, "looks like a run.log"),
        (("run.log",), {}, 4, "looks like a run.log"),
    ],
)
def test_input_and_usage_errors_never_reset_or_record(
    tmp_path: Path,
    script: Path,
    args: tuple[str, ...],
    env: dict[str, str],
    code: int,
    message: str,
) -> None:
    repo, _ = _replicated(tmp_path)
    cand = repo.commit("LR = 0.05\n", "LR 0.04 -> 0.05")
    repo.run_log("1.050000")  # would be a discard if it were judged
    before = (repo.path / "results.tsv").read_bytes()
    got, out = repo.sh(script, *args, **env)
    assert got == code, out
    assert message in out
    assert "nothing recorded or reset" in out
    _unchanged(repo, cand, before)


def test_uncommitted_changes_stop_before_judging(tmp_path: Path, script: Path) -> None:
    repo, _ = _replicated(tmp_path)
    cand = repo.commit("LR = 0.05\n", "LR 0.04 -> 0.05")
    (repo.path / "train.py").write_text("LR = 0.09\n", encoding="utf-8")  # forgot to commit
    repo.run_log("1.050000")
    before = (repo.path / "results.tsv").read_bytes()
    code, out = repo.sh(script)
    assert code == 3, out
    assert "uncommitted changes to train.py" in out
    _unchanged(repo, cand, before)
    assert (repo.path / "train.py").read_text() == "LR = 0.09\n"


def test_a_tracked_results_file_is_refused(tmp_path: Path, script: Path) -> None:
    repo, _ = _replicated(tmp_path)
    repo.git("add", "results.tsv")
    repo.git("commit", "-q", "-m", "results by mistake")
    cand = repo.commit("LR = 0.05\n", "LR 0.04 -> 0.05")
    repo.run_log("1.050000")
    before = (repo.path / "results.tsv").read_bytes()
    code, out = repo.sh(script)
    assert code == 3, out
    assert "results.tsv is tracked by git" in out
    _unchanged(repo, cand, before)


@pytest.mark.parametrize("every", ["1", "0"])
def test_steering_block_when_stuck_or_every_n(tmp_path: Path, script: Path, every: str) -> None:
    repo, _ = _replicated(tmp_path)
    repo.commit("LR = 0.06\n", "LR 0.04 -> 0.06")
    repo.run_log("1.050000")
    code, out = repo.sh(script, AUTOLAB_STEER_EVERY=every)
    assert code == 1, out
    steer = subprocess.run(
        [console_script("autosteer"), "--results", "results.tsv", "-q"],
        cwd=repo.path,
        env=repo.env,
        capture_output=True,
        check=False,
    )
    shown = "## Next experiment (autosteer)" in out
    assert shown == (every == "1" or steer.returncode == 1)
