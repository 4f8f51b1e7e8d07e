"""The guard of settled worktrees, driven directly on a real repository (no timing involved).

A competition of two agents is set up as ``autoevolve`` would (worktrees on their branches) but
not run; the tests settle ``conservative``'s worktree, write into it as the neighbour ``random``
would, and call the guard's checks.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

from evolve_cmd import TRAIN_CMD
from evolve_rig import git, make_repo

from autoevolve.agents import agent_command
from autoevolve.competition import Competition, Setup
from autoevolve.controller import new_state
from autoevolve.display import LineReporter
from autoevolve.gitrepo import Git
from autoevolve.layout import Layout
from autoevolve.resume import guard_again
from autoevolve.startoptions import StartOptions
from autoevolve.statefile import AgentState, save_state
from autoevolve.strategies import agent_names, load_strategy
from autoevolve.worktrees import ensure_excludes, ensure_worktree

PLANT = "X = 2.0  # planted\n"


def competition(tmp_path: Path) -> Competition:
    """A started, never driven competition of conservative and random in a rig repo."""
    repo = make_repo(tmp_path)
    checkout, layout = Git(repo), Layout(repo, "g")
    opts = StartOptions(
        strategies=("conservative", "random"), agent="mock", gpus="none", train_cmd=TRAIN_CMD
    )
    state = new_state(checkout, layout, opts)
    ensure_excludes(checkout)
    checkout.run("branch", "--no-track", layout.champion_branch, state.base_sha)
    for agent in state.agents:
        ensure_worktree(checkout, layout, agent.name, state.base_sha)
    save_state(layout.state_file, state)
    specs = [load_strategy(s) for s in opts.strategies]
    strategies = dict(zip(agent_names(specs), specs, strict=True))
    setup = Setup(checkout, layout, strategies, agent_command("mock"), LineReporter(quiet=True))
    comp = Competition(setup, state, threading.Event())
    comp.events.append("start", tag="g", base=state.base_sha)
    return comp


def plant_commit(wt: Path) -> str:
    """A neighbour commits a planted line in ``wt`` (moving its branch and HEAD)."""
    train = wt / "train.py"
    train.write_text(train.read_text() + PLANT)
    git(wt, "commit", "-qam", "planted")
    return git(wt, "rev-parse", "HEAD")


def violations(comp: Competition) -> list[dict[str, object]]:
    lines = comp.s.layout.events_file.read_text().splitlines()
    return [e for e in map(json.loads, lines) if e["kind"] == "violation"]


def assert_put_back(agent: AgentState, head: str) -> None:
    wt = Path(agent.worktree)
    assert git(wt, "symbolic-ref", "HEAD") == f"refs/heads/{agent.branch}"
    assert git(wt, "rev-parse", "HEAD") == head
    assert git(wt, "status", "--porcelain", "--untracked-files=no") == ""
    assert "planted" not in (wt / "train.py").read_text()


def test_unsettle_puts_back_every_kind_of_plant_and_names_the_neighbour(tmp_path: Path) -> None:
    comp = competition(tmp_path)
    owner, neighbour = comp.state.agent("conservative"), comp.state.agent("random")
    base = comp.state.base_sha
    wt = Path(owner.worktree)
    comp.guard.settle(owner, base)
    comp.guard.turn_starts(neighbour)
    plant_commit(wt)  # the branch and HEAD moved
    (wt / "train.py").write_text((wt / "train.py").read_text() + "Y = 9.0  # planted\n")
    (wt / "sub").mkdir()
    (wt / "sub" / "planted.py").write_text(PLANT)
    comp.guard.unsettle(owner)
    assert_put_back(owner, base)
    assert git(wt, "status", "--porcelain") == "" and not (wt / "sub").exists()
    found = violations(comp)
    assert [e["suspects"] for e in found] == [["random"]]
    assert found[0]["changes"] == ["wrote into conservative's worktree"]
    assert (neighbour.violations, owner.violations) == (1, 0)
    assert "conservative" not in comp.guard.settled  # the owner's turn may start now
    comp.guard.unsettle(owner)
    assert len(violations(comp)) == 1


def test_a_neighbours_turn_end_puts_back_a_worktree_settled_between_turns(tmp_path: Path) -> None:
    comp = competition(tmp_path)
    owner, neighbour = comp.state.agent("conservative"), comp.state.agent("random")
    wt = Path(owner.worktree)
    comp.settle(owner, owner.tip)
    comp.guard.turn_starts(neighbour)
    git(wt, "checkout", "-q", "--detach")
    (wt / "train.py").write_text((wt / "train.py").read_text() + PLANT)
    assert comp.guard.turn_ends(neighbour) == ["wrote into conservative's worktree"]
    assert_put_back(owner, comp.state.base_sha)
    assert neighbour.violations == 1
    assert comp.guard.settled["conservative"].head == comp.state.base_sha  # still guarded


def test_the_owners_own_files_and_the_controllers_rows_are_left_alone(tmp_path: Path) -> None:
    comp = competition(tmp_path)
    owner = comp.state.agent("conservative")
    wt = Path(owner.worktree)
    (wt / "notes.txt").write_text("the owner's scratch, made in its turn\n")
    comp.settle(owner, owner.tip)
    (wt / "results.tsv").write_text("commit\tval_bpb\n")  # written by the controller
    (wt / "notes.txt").write_text("changed\n")  # an untracked file's content is not recorded
    comp.guard.check(owner)
    comp.guard.unsettle(owner)
    assert not violations(comp)
    assert (wt / "notes.txt").exists() and (wt / "results.tsv").exists()


def test_a_training_settle_checks_tracked_files_only(tmp_path: Path) -> None:
    comp = competition(tmp_path)
    owner = comp.state.agent("conservative")
    wt = Path(owner.worktree)
    comp.settle(owner, owner.tip, between=False)
    (wt / "checkpoint.bin").write_text("written by the training\n")
    comp.guard.check(owner)
    assert not violations(comp) and (wt / "checkpoint.bin").exists()
    (wt / "train.py").write_text((wt / "train.py").read_text() + PLANT)
    comp.guard.unsettle(owner)
    assert len(violations(comp)) == 1
    assert_put_back(owner, comp.state.base_sha)
    assert (wt / "checkpoint.bin").exists()


def test_a_detached_head_left_by_the_owners_turn_is_put_on_its_branch_quietly(
    tmp_path: Path,
) -> None:
    comp = competition(tmp_path)
    owner = comp.state.agent("conservative")
    wt = Path(owner.worktree)
    git(wt, "checkout", "-q", "--detach")
    (wt / "train.py").write_text((wt / "train.py").read_text().replace("Y = 3.0", "Y = 3.3"))
    git(wt, "commit", "-qam", "Y 3.0 -> 3.3 (made on a detached HEAD)")
    made = git(wt, "rev-parse", "HEAD")
    comp.settle(owner, made, between=False)
    comp.guard.unsettle(owner)
    assert_put_back(owner, made)
    assert not violations(comp)


def test_a_resumed_controller_trusts_its_record_not_the_worktree(tmp_path: Path) -> None:
    comp = competition(tmp_path)
    owner = comp.state.agent("conservative")
    plant_commit(Path(owner.worktree))
    guard_again(comp, owner, [])
    assert_put_back(owner, comp.state.base_sha)
    assert [e["suspects"] for e in violations(comp)] == [[]]  # nobody in a turn: counted nowhere
    assert comp.guard.settled["conservative"].head == comp.state.base_sha


def test_a_resumed_controller_finishes_a_move_it_had_begun(tmp_path: Path) -> None:
    comp = competition(tmp_path)
    owner = comp.state.agent("conservative")
    wt = Path(owner.worktree)
    target = plant_commit(wt)  # stands for the champion the killed controller was adopting
    git(wt, "reset", "-q", "--hard", comp.state.base_sha)
    owner.tip = target  # saved before the move, as Competition.move does
    journal = [{"kind": "reset_intent", "agent": owner.name, "commit": target}]
    guard_again(comp, owner, journal)
    assert git(wt, "rev-parse", "HEAD") == target
    assert not violations(comp)
