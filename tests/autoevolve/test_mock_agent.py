"""The mock agent as a real process on real git repos: one commit, constants only, by strategy."""

from __future__ import annotations

import math
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
from evolve_rig import demo_repo, git

from autoevolve.demo import Knob, find_knobs, read_knobs, true_value, write_demo_repo
from autoevolve.mock_agent import (
    RANDOM,
    STRATEGIES,
    make_rng,
    plan,
    profile_of,
    read_hints,
    step,
)
from autolab_shared.steering.knobs import parse_knobs

CHANGE = r"([A-Z][A-Z0-9_]*) ([^\s,]+) -> ([^\s,]+)"
MESSAGE = re.compile(rf"^{CHANGE}(?:, {CHANGE})*$")


def agent(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "autoevolve.mock_agent", *args]
    return subprocess.run(command, cwd=repo, capture_output=True, text=True, timeout=60)


def changes(message: str) -> dict[str, tuple[str, str]]:
    """KNOB → (old, new) literals of a ``KNOB old -> new, ...`` message."""
    assert MESSAGE.match(message), message
    return {m[0]: (m[1], m[2]) for m in re.findall(CHANGE, message)}


def ratio(old: str, new: str) -> float:
    return max(float(new) / float(old), float(old) / float(new))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return demo_repo(tmp_path)


def test_one_commit_that_changes_only_the_constants(repo: Path) -> None:
    before = (repo / "train.py").read_text()
    done = agent(repo, "--strategy", "aggressive", "--seed", "4")
    assert done.returncode == 0, done.stderr
    message = git(repo, "log", "-1", "--format=%s")
    assert done.stdout.strip() == message
    assert git(repo, "rev-list", "--count", "HEAD") == "2"
    assert git(repo, "status", "--porcelain") == ""
    assert git(repo, "diff", "--name-only", "HEAD~1", "HEAD") == "train.py"
    after = (repo / "train.py").read_text()
    edits = changes(message)
    old, new = read_knobs(before), read_knobs(after)
    assert {k for k in old if old[k] != new[k]} == set(edits)
    for name, (was, now) in edits.items():
        assert type(old[name]) is type(new[name])
        assert f"\n{name} = {was}  #" in before and f"\n{name} = {now}  #" in after
    masked = [re.sub(r"(?m)^([A-Z][A-Z0-9_]* = )[^\s#]+", r"\1#", t) for t in (before, after)]
    assert masked[0] == masked[1] and len(before.splitlines()) == len(after.splitlines())
    assert {c.knob for c in parse_knobs(message)} == {k.lower() for k in edits}


def test_message_prefix_is_put_before_the_description(repo: Path) -> None:
    done = agent(repo, "--strategy", "conservative", "--seed", "1", "--message-prefix", "[c]")
    assert done.returncode == 0, done.stderr
    message = git(repo, "log", "-1", "--format=%s")
    assert message.startswith("[c] ") and MESSAGE.match(message.removeprefix("[c] "))


def test_same_seed_and_file_give_the_same_edit(tmp_path: Path) -> None:
    repos = [tmp_path / "a", tmp_path / "b"]
    for path in repos:
        write_demo_repo(path, run_seconds=0)
    messages = []
    for path in repos:
        assert agent(path, "--strategy", "random", "--seed", "11").returncode == 0
        messages.append(git(path, "log", "-1", "--format=%s"))
    assert messages[0] == messages[1]
    assert (repos[0] / "train.py").read_bytes() == (repos[1] / "train.py").read_bytes()
    text = (repos[0] / "train.py").read_text()
    seeds = {str(plan(find_knobs(text), RANDOM, make_rng("random", s, b"x"), {})) for s in range(8)}
    assert len(seeds) > 4


def test_conservative_moves_one_knob_a_small_step(repo: Path) -> None:
    for seed in range(6):
        done = agent(repo, "--strategy", "conservative", "--seed", str(seed))
        assert done.returncode == 0, done.stderr
        ((_, (old, new)),) = changes(done.stdout.strip()).items()
        small = 1.09 <= ratio(old, new) <= 1.26
        assert small or ("." not in old and abs(int(new) - int(old)) in (1, int(old))), (old, new)
    assert git(repo, "rev-list", "--count", "HEAD") == "7"


def test_aggressive_moves_two_or_three_knobs_large_steps(repo: Path) -> None:
    counts = set()
    for seed in range(6):
        done = agent(repo, "--strategy", "aggressive", "--seed", str(seed))
        assert done.returncode == 0, done.stderr
        edits = changes(done.stdout.strip())
        counts.add(len(edits))
        for name, (old, new) in edits.items():
            top = 4 if "BATCH" in name or name.endswith("_DIM") else 3.1  # powers of two
            assert 1.45 <= ratio(old, new) <= top, edits
    assert counts == {2, 3}


def test_strategies_prefer_their_knobs(repo: Path) -> None:
    knobs = find_knobs((repo / "train.py").read_text())

    def share(strategy: str, pattern: str) -> float:
        hits = total = 0
        for seed in range(200):
            for change in plan(knobs, profile_of(strategy), make_rng(strategy, seed, b""), {}):
                total += 1
                hits += re.search(pattern, change.knob.name) is not None
        return hits / total

    assert share("optimizer-first", r"_LR$") > 0.7
    assert share("conservative", r"_LR$|RATIO$") > 0.7
    assert share("architecture-first", r"DEPTH|ASPECT|HEAD") > 0.6
    assert share("regularization-first", r"DECAY") > 0.3
    assert share("random", r"_LR$") < 0.6
    assert profile_of("my-own-strategy") is RANDOM and set(STRATEGIES) >= {"radical", "random"}


def test_efficiency_first_mostly_shrinks_batch_and_depth(repo: Path) -> None:
    knobs = find_knobs((repo / "train.py").read_text())
    down = up = 0
    for seed in range(100):
        for change in plan(knobs, profile_of("efficiency-first"), make_rng("e", seed, b""), {}):
            if re.search("BATCH|DEPTH", change.knob.name):
                smaller = float(change.new) < change.knob.value
                down, up = down + smaller, up + (not smaller)
    assert down > 3 * up


def test_steps_keep_types_powers_of_two_and_ratio_bounds() -> None:
    rng = random.Random(0)
    for _ in range(200):
        factor, up = math.exp(rng.uniform(0.01, 1.5)), rng.random() < 0.5
        batch = int(step(Knob("TOTAL_BATCH_SIZE", 524288, "524288", 0, 6), factor, up))
        assert batch != 524288 and batch & (batch - 1) == 0
        depth = step(Knob("DEPTH", 1, "1", 0, 1), factor, up)
        assert depth.isdigit() and int(depth) >= 2
        warmdown = float(step(Knob("WARMDOWN_RATIO", 0.9, "0.9", 0, 3), factor, up))
        assert 0 < warmdown <= 1 and warmdown != 0.9
    assert float(step(Knob("WARMUP_RATIO", 0.0, "0.0", 0, 3), 1.2, True)) > 0


def test_hints_steer_the_edit(repo: Path) -> None:
    hints = "WEIGHT_DECAY 0.2 -> 0.15, DEPTH 8 -> 9\nnoise line\n"
    assert read_hints(hints) == {"WEIGHT_DECAY": False, "DEPTH": True}
    (repo.parent / "hints.txt").write_text(hints)
    seen = []
    for seed in range(6):
        done = agent(
            repo, "--strategy", "conservative", "--seed", str(seed), "--hints", "../hints.txt"
        )
        assert done.returncode == 0, done.stderr
        seen += list(changes(done.stdout.strip()).items())
    hinted = [(k, old, new) for k, (old, new) in seen if k in ("WEIGHT_DECAY", "DEPTH")]
    assert len(hinted) >= 2
    for name, old, new in hinted:
        assert (float(new) > float(old)) == (name == "DEPTH")


def test_outside_a_git_repo_it_fails_cleanly(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text("DEPTH = 8\n")
    done = agent(tmp_path, "--strategy", "random", "--seed", "1")
    assert done.returncode == 1 and done.stderr.startswith("mock_agent: not inside a git work tree")
    assert "Traceback" not in done.stderr
    assert (tmp_path / "train.py").read_text() == "DEPTH = 8\n"


def test_without_knobs_it_fails_and_leaves_the_tree_clean(repo: Path) -> None:
    (repo / "notes.py").write_text("depth = 8\n")
    git(repo, "add", "notes.py")
    git(repo, "commit", "-qm", "notes")
    done = agent(repo, "--strategy", "random", "--seed", "1", "--file", "notes.py")
    assert done.returncode == 1 and "no UPPER_CASE numeric constant" in done.stderr
    missing = agent(repo, "--strategy", "random", "--seed", "1", "--file", "absent.py")
    assert missing.returncode == 1 and "cannot read" in missing.stderr
    assert git(repo, "status", "--porcelain") == ""
    assert git(repo, "rev-list", "--count", "HEAD") == "2"


def test_a_failed_commit_restores_the_file(repo: Path) -> None:
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho refused by hook >&2\nexit 1\n")
    hook.chmod(0o755)
    done = agent(repo, "--strategy", "aggressive", "--seed", "2")
    assert done.returncode == 1 and "refused by hook" in done.stderr
    assert git(repo, "status", "--porcelain") == ""
    assert git(repo, "rev-list", "--count", "HEAD") == "1"


def test_random_search_with_keep_if_better_improves_the_landscape(repo: Path) -> None:
    start = best = true_value((repo / "train.py").read_text())
    kept = 0
    for seed in range(30):
        assert agent(repo, "--strategy", "random", "--seed", str(seed)).returncode == 0
        value = true_value((repo / "train.py").read_text())
        if value < best:
            best, kept = value, kept + 1
        else:
            git(repo, "reset", "-q", "--hard", "HEAD~1")
    assert git(repo, "rev-list", "--count", "HEAD") == str(1 + kept)
    assert kept >= 3 and best < start * 0.99, (kept, best / start)


def test_it_commits_on_the_branch_of_a_linked_worktree(repo: Path) -> None:
    git(repo, "worktree", "add", "-q", "-b", "autoresearch/t-a", "worktrees/t-a")
    tree = repo / "worktrees" / "t-a"
    done = agent(tree, "--strategy", "optimizer-first", "--seed", "5")
    assert done.returncode == 0, done.stderr
    assert git(repo, "log", "-1", "--format=%s", "autoresearch/t-a") == done.stdout.strip()
    assert git(repo, "rev-list", "--count", "master") == "1"
    assert git(tree, "status", "--porcelain") == "" and git(repo, "status", "--porcelain") == ""
