"""A neighbour that writes into an agent's worktree between that agent's turns is contained.

The hostile ``random`` plants once the controller has journalled the end of ``conservative``'s
experiment (its keep or reset done): the plant lands between conservative's turns, never during
one, so each test is deterministic. With ``--propagate none`` no adoption resets the worktree
before conservative's next turn, whose ``git commit -am`` would take the plant in. Both tests
fail on an autoevolve that guards a worktree only while it trains.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from evolve_cmd import evolve_args, run_evolve
from evolve_rig import ae_dir, git, make_repo, rig_env

HOSTILE = Path(__file__).with_name("hostile.py")
AGENT = f"{sys.executable} {HOSTILE} {{worktree}} {{prompt_file}}"
OWNER = "conservative"


def events(repo: Path, tag: str) -> list[dict[str, object]]:
    lines = (ae_dir(repo, tag) / "events.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def owner_experiments(repo: Path, tag: str) -> list[str]:
    """The owner's experiment commits, kept or not (its pooled rows, re-runs once)."""
    with open(ae_dir(repo, tag) / "results.all.tsv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    mine = [
        r["commit"]
        for r in rows
        if r["agent"] == OWNER and not r["description"].startswith(("baseline", "validate"))
    ]
    return [git(repo, "rev-parse", c) for c in dict.fromkeys(mine)]


def assert_contained(repo: Path, tag: str, suspects: list[str]) -> None:
    """The owner committed nothing planted, the plant was reported, the worktree is clean."""
    wt = repo / "worktrees" / f"{tag}-{OWNER}"
    made = owner_experiments(repo, tag)
    assert len(made) == 2, made  # one in each round: the second came after the plant
    assert not [c for c in made if "planted" in git(repo, "show", c)]
    assert "planted" not in git(repo, "log", "--all", "-p")
    found = [e for e in events(repo, tag) if e["kind"] == "violation"]
    assert any(f"wrote into {OWNER}'s worktree" in str(e["changes"]) for e in found), found
    assert all(e["suspects"] == suspects for e in found), found
    assert "planted" not in (wt / "train.py").read_text()
    assert not (wt / "planted.py").exists()
    assert git(wt, "status", "--porcelain") == ""
    assert git(wt, "symbolic-ref", "HEAD") == f"refs/heads/autoresearch/{tag}-{OWNER}"


@pytest.mark.parametrize("plant", ["edit", "file", "commit"])
def test_a_plant_between_the_owners_turns_is_put_back_before_its_next(
    tmp_path: Path, plant: str
) -> None:
    repo = make_repo(tmp_path)
    tag = f"b{plant[0]}"
    args = evolve_args(tag, "--propagate", "none", rounds=2, experiments=1, agent=AGENT)
    env = {**rig_env(tmp_path), "HOSTILE_MODE": "between", "HOSTILE_PLANT": plant}
    proc = run_evolve(repo, *args, env=env, timeout=300)
    assert proc.returncode in (0, 1, 2), proc.stderr + proc.stdout
    assert_contained(repo, tag, ["random"])
    state = json.loads((ae_dir(repo, tag) / "state.json").read_text())
    counted = {a["name"]: a["violations"] for a in state["agents"]}
    assert counted["random"] >= 1 and counted[OWNER] == 0


def test_a_resumed_controller_puts_back_what_was_planted_while_it_was_dead(
    tmp_path: Path,
) -> None:
    """SIGKILL right after round 1 closed; a plant (a commit moving the owner's branch, and an
    uncommitted line) lands while no controller runs; the resumed one settles the worktree at
    the tip its state records, not where the worktree is."""
    tag = "bk"
    args = evolve_args(tag, "--propagate", "none", rounds=2, experiments=1, agent=AGENT)
    (tmp_path / "ref").mkdir()
    reference = make_repo(tmp_path / "ref")
    assert run_evolve(reference, *args, env=rig_env(tmp_path)).returncode in (0, 1, 2)
    round_done = next(e["seq"] for e in events(reference, tag) if e["kind"] == "round_done")
    repo = make_repo(tmp_path)
    killed = run_evolve(
        repo, *args, env={**rig_env(tmp_path), "AUTOEVOLVE_FAULT_AT": str(round_done)}
    )
    assert killed.returncode == -9, killed.stderr
    wt = repo / "worktrees" / f"{tag}-{OWNER}"
    tip = git(wt, "rev-parse", "HEAD")
    text = (wt / "train.py").read_text()
    (wt / "train.py").write_text(text.replace("X = ", "X = 2.0  # planted\nX_OLD = ", 1))
    subprocess.run(["git", "commit", "-qam", "planted"], cwd=wt, check=True)
    with (wt / "train.py").open("a") as handle:
        handle.write("Y = 9.0  # planted too\n")
    resumed = run_evolve(repo, "resume", env=rig_env(tmp_path))
    assert resumed.returncode in (0, 1, 2), resumed.stderr + resumed.stdout
    assert_contained(repo, tag, [])  # no agent was in its turn: logged, counted against none
    assert git(repo, "rev-parse", f"{owner_experiments(repo, tag)[1]}^") == tip
