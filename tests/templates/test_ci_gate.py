"""templates/ci-gate.sh (docs/ci-gating.md) against a real git repo with a branch's results."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitrepo import Repo
from support import REPO_ROOT

GATE = REPO_ROOT / "templates" / "ci-gate.sh"
REPLICATED = ["1.0000", "1.0005", "0.9995", "1.0003", "0.9997", "1.0001", "0.9999", "1.0002"]
UNREPLICATED = ["1.0000", "0.9990", "1.0010", "0.9985", "1.0020", "0.9980"]


def _branch(tmp_path: Path, tip_value: str, replicated: bool = True) -> Repo:
    """A branch: baseline, one kept experiment, then a discarded one (not in its history)."""
    repo = Repo(tmp_path / "repo")
    base = repo.head()
    if replicated:
        rows = [(base, v) for v in REPLICATED]
    else:
        rows = [(f"a00000{i}", v) for i, v in enumerate(UNREPLICATED)]
    kept = repo.commit("LR = 0.05\n", "LR 0.04 -> 0.05")
    dropped = repo.commit("LR = 0.06\n", "LR 0.05 -> 0.06")
    repo.git("reset", "-q", "--hard", "HEAD~1")
    repo.results([*rows, (kept, tip_value), (dropped, "1.100000")], {dropped: "discard"})
    repo.git("add", "results.tsv")  # in CI the branch carries its results file
    repo.git("commit", "-q", "-m", "results of the night")
    return repo


def test_a_clear_gain_passes_and_reports_to_github(tmp_path: Path) -> None:
    repo = _branch(tmp_path, "0.950000")
    summary = tmp_path / "summary.md"
    code, out = repo.sh(GATE, GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(summary))
    assert code == 0, out
    assert "::notice title=autojudge::pass: " in out and "STRONG_KEEP" in out
    assert "1.100000" not in out  # the discarded later row is not the one judged
    assert summary.read_text().startswith("### autojudge (tip, exit 0)")


def test_a_regression_at_the_tip_fails(tmp_path: Path) -> None:
    code, out = _branch(tmp_path, "1.050000").sh(GATE, GITHUB_ACTIONS="true")
    assert code == 1, out
    assert "::error title=autojudge::fail: " in out and "DISCARD" in out


def test_within_noise_warns_and_strict_fails(tmp_path: Path) -> None:
    repo = _branch(tmp_path, "0.997900", replicated=False)
    code, out = repo.sh(GATE, GITHUB_ACTIONS="true")
    assert code == 0, out
    assert "::warning title=autojudge::within the noise" in out
    code, out = repo.sh(GATE, CI_GATE_STRICT="1")
    assert code == 1, out


def test_the_whole_night_can_be_audited(tmp_path: Path) -> None:
    code, out = _branch(tmp_path, "0.950000").sh(GATE, "results.tsv", "all")
    assert code == 0, out
    assert "REAL IMPROVEMENT" in out


def test_results_of_another_branch_are_an_error(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "repo")
    text = "commit\tval_bpb\tmemory_gb\tstatus\tdescription\n"
    text += "deadbee\t1.000000\t44.0\tkeep\tbaseline\n--output=x\t0.9\t44.0\tkeep\tinjected\n"
    (repo.path / "results.tsv").write_text(text, encoding="utf-8")
    code, out = repo.sh(GATE)
    assert code == 3, out
    assert "not in this branch's history" in out or "no row of results.tsv" in out
    assert not (repo.path / "x").exists()


@pytest.mark.parametrize(
    ("args", "env", "code"),
    [
        (("missing.tsv",), {}, 3),
        (("results.tsv", "newest"), {}, 4),
        ((), {"AUTOJUDGE_ARGS": "--policy bogus"}, 4),
    ],
)
def test_errors_are_not_verdicts(
    tmp_path: Path, args: tuple[str, ...], env: dict[str, str], code: int
) -> None:
    got, out = _branch(tmp_path, "0.950000").sh(GATE, *args, **env)
    assert got == code, out
    assert "ci-gate: error: " in out


def test_data_can_neither_close_the_summary_fence_nor_issue_workflow_commands(
    tmp_path: Path,
) -> None:
    repo = _branch(tmp_path, "0.950000")
    text = (repo.path / "results.tsv").read_text(encoding="utf-8")
    hostile = "x ```` y\n::error title=pwned::from data\n```\n# Injected heading"
    (repo.path / "results.tsv").write_text(text.replace("experiment 8", hostile), encoding="utf-8")
    summary = tmp_path / "summary.md"
    code, out = repo.sh(
        GATE, "results.tsv", "all", GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(summary)
    )
    assert code == 0, out
    assert "pwned" in out  # the data is shown ...
    assert not [line for line in out.splitlines() if line.lstrip().startswith("::error")]
    lines = summary.read_text(encoding="utf-8").splitlines()
    fence = lines[2]
    assert set(fence) == {"`"} and len(fence) >= 5  # longer than the data's ````
    body = lines[3 : lines.index(fence, 3)]
    assert lines[-1] == fence and any("pwned" in line for line in body)
    assert not any(line.startswith("`" * len(fence)) for line in body)
