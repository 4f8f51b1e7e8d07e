"""Per-tag files, --tag on every subcommand, cleanup's archive, and a failed baseline."""

from __future__ import annotations

import json
from pathlib import Path

from evolve_cmd import TRAIN_CMD, evolve_args, run_evolve
from evolve_rig import ae_dir, git, make_repo, rig_env


def small(tag: str, train: str = TRAIN_CMD) -> list[str]:
    return evolve_args(tag, experiments=1, train_cmd=train, quiet=True)


def test_two_tags_keep_their_own_files_and_subcommands_take_tag(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    env = rig_env(tmp_path)
    for tag in ("ta", "tb"):
        assert run_evolve(repo, *small(tag), env=env).returncode in (0, 1, 2)
    for tag in ("ta", "tb"):
        state = json.loads((ae_dir(repo, tag) / "state.json").read_text())
        assert state["tag"] == tag and state["phase"] == "done"
        assert (ae_dir(repo, tag) / "results.all.tsv").is_file()
    assert (repo / ".git" / "autoevolve" / "current").read_text().strip() == "tb"
    for sub in ("status", "leaderboard", "export"):
        out = run_evolve(repo, sub, "--tag", "ta", "--format", "json" if sub != "export" else "tsv")
        assert out.returncode == 0, (sub, out.stderr)
    status = json.loads(run_evolve(repo, "status", "--tag", "ta", "--format", "json").stdout)
    assert status["data"]["tag"] == "ta"
    assert json.loads(run_evolve(repo, "status", "--format", "json").stdout)["data"]["tag"] == "tb"
    cleaned = run_evolve(repo, "cleanup", "--tag", "ta")
    assert cleaned.returncode == 0, cleaned.stderr
    assert not (repo / "worktrees" / "ta-random").exists()
    assert (repo / "worktrees" / "tb-random").exists()  # the other tag is untouched
    archive = ae_dir(repo, "ta") / "archive"
    assert {p.name for p in archive.iterdir()} == {
        "conservative.results.tsv",
        "random.results.tsv",
        "results.all.tsv",
    }
    assert "baseline (" in (archive / "random.results.tsv").read_text()
    assert run_evolve(repo, "resume", "--tag", "ta").returncode == 3  # cleaned: nothing to resume
    again = run_evolve(repo, *small("ta"), env=env)  # its champion branch stays: pick another tag
    assert again.returncode == 3 and "autoresearch/ta-champion already exists" in again.stderr


def test_cleanup_never_trusts_paths_in_state_json(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    assert run_evolve(repo, *small("tc"), env=rig_env(tmp_path)).returncode in (0, 1, 2)
    git(repo, "branch", "mine")
    (repo / "train.py").write_text("X = 7.0  # the user's uncommitted edit\n")
    state_file = ae_dir(repo, "tc") / "state.json"
    state = json.loads(state_file.read_text())
    state["agents"][0]["branch"] = "mine"  # what a hostile agent could write
    state["agents"][0]["worktree"] = str(repo)
    state_file.write_text(json.dumps(state))
    out = run_evolve(repo, "cleanup", "--tag", "tc")
    assert out.returncode == 0, out.stderr
    assert git(repo, "rev-parse", "--verify", "mine")  # the user's branch is still there
    assert "user's uncommitted edit" in (repo / "train.py").read_text()
    assert git(repo, "log", "-1", "--format=%s") == "baseline"
    assert not (repo / "worktrees").exists()


def test_a_failed_baseline_says_why_first_and_a_new_run_starts_clean(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    env = rig_env(tmp_path)
    failed = run_evolve(repo, *small("fb", "no-such-trainer-xyz train.py"), env=env)
    assert failed.returncode == 3
    first = failed.stderr.strip().splitlines()[0]
    assert "baseline crashed" in first and "cannot start no-such-trainer-xyz" in first, first
    state = json.loads((ae_dir(repo, "fb") / "state.json").read_text())
    assert state["phase"] == "failed"
    assert not (repo / "worktrees").exists()
    assert git(repo, "branch", "--list", "autoresearch/*") == ""
    good = run_evolve(repo, *small("fb"), env=env)
    assert good.returncode in (0, 1, 2), good.stderr
    assert [p.name for p in (repo / ".git" / "autoevolve" / ".previous").iterdir()] == ["fb-1"]


def test_cleanup_force_without_a_state(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    assert run_evolve(repo, *small("tf"), env=rig_env(tmp_path)).returncode in (0, 1, 2)
    (ae_dir(repo, "tf") / "state.json").write_text("{broken")
    assert run_evolve(repo, "cleanup", "--tag", "tf").returncode == 3
    out = run_evolve(repo, "cleanup", "--tag", "tf", "--force")
    assert out.returncode == 0, out.stderr
    assert not (repo / "worktrees").exists()
    assert git(repo, "branch", "--list", "autoresearch/tf-random") == ""
    assert (ae_dir(repo, "tf") / "archive" / "random.results.tsv").is_file()
