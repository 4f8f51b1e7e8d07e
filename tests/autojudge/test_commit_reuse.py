"""Rows that share a commit but describe different changes, through the installed autojudge."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from support import console_script

HEADER = "commit\tval_bpb\tmemory_gb\tstatus\tdescription\n"
FOUR = HEADER + (
    "abc1234\t0.997900\t44.0\tkeep\tbaseline\n"
    "abc1234\t0.993000\t44.0\tkeep\tlr 0.04 to 0.05\n"
    "abc1234\t0.999000\t44.0\tdiscard\tGeLU\n"
    "abc1234\t0.992000\t45.0\tkeep\tdepth 10\n"
)
SUMMARY = "---\nval_bpb:          {value}\npeak_vram_mb:     45000.0\n"


def _autojudge(cwd: Path, *args: str) -> tuple[int, dict[str, object]]:
    proc = subprocess.run(
        [console_script("autojudge"), *args, "--format", "json"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.stdout, proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def test_the_four_row_commit_reuse_file_audits_as_four_experiments(tmp_path: Path) -> None:
    (tmp_path / "results.tsv").write_text(FOUR, encoding="utf-8")
    code, doc = _autojudge(tmp_path, "--results", "results.tsv", "--all")
    rows = doc["data"]["experiments"]  # type: ignore[index]
    assert [r["description"] for r in rows] == ["baseline", "lr 0.04 to 0.05", "GeLU", "depth 10"]
    assert doc["data"]["noise"]["source"] != "replicates"  # type: ignore[index]
    codes = [w["code"] for w in doc["warnings"]]  # type: ignore[union-attr]
    assert codes.count("commit_reused") == 1 and code in (0, 1, 2)


def test_an_eight_experiment_night_under_one_commit_keeps_its_gains(tmp_path: Path) -> None:
    values = [1.000, 0.990, 0.995, 0.980, 0.985, 0.970, 0.975, 0.960]
    body = "".join(f"c0ffee1\t{v:.6f}\t44.0\tkeep\tchange {i}\n" for i, v in enumerate(values))
    (tmp_path / "results.tsv").write_text(HEADER + body, encoding="utf-8")
    _, doc = _autojudge(tmp_path, "--results", "results.tsv", "--all")
    rows = doc["data"]["experiments"]  # type: ignore[index]
    assert len(rows) == 8
    assert sum(1 for r in rows if r.get("kept")) >= 3


def test_a_rerun_of_a_reused_commit_pools_with_its_latest_change(tmp_path: Path) -> None:
    results = tmp_path / "results.tsv"
    results.write_text(FOUR, encoding="utf-8")
    (tmp_path / "run.log").write_text(SUMMARY.format(value="0.992400"), encoding="utf-8")
    args = ("--results", "results.tsv", "--run", "run.log", "--commit", "abc1234")
    _, doc = _autojudge(tmp_path, *args, "--append")
    assert doc["data"]["n_runs"] == 2  # type: ignore[index]
    last = results.read_text(encoding="utf-8").splitlines()[-1].split("\t")
    assert (last[0], last[4]) == ("abc1234", "depth 10")
    _, audit = _autojudge(tmp_path, "--results", "results.tsv", "--all")
    assert len(audit["data"]["experiments"]) == 4  # type: ignore[index]
    assert audit["data"]["noise"]["source"] != "default"  # type: ignore[index]
