"""Each attack of a hostile agent (tests/autoevolve/hostile.py) is contained.

Two agents compete; ``random`` runs the attack, ``conservative`` is honest and commits with
``git commit -am``. Every test fails on an autoevolve that trusts its agents.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from evolve_cmd import evolve_args, run_evolve, start_evolve
from evolve_rig import ae_dir, git, make_repo, rig_env, rig_prompt

from autoevolve.reaper import token_of

HOSTILE = Path(__file__).with_name("hostile.py")
AGENT = f"{sys.executable} {HOSTILE} {{worktree}} {{prompt_file}}"


def compete(
    tmp_path: Path, mode: str, tag: str, *extra: str, **env: str
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    repo = make_repo(tmp_path)
    args = evolve_args(tag, *extra, agent=AGENT)
    full = {**rig_env(tmp_path), "HOSTILE_MODE": mode, **env}
    proc = run_evolve(repo, *args, env=full, timeout=300)
    assert proc.returncode in (0, 1, 2), proc.stderr + proc.stdout
    return repo, proc


def violations(repo: Path, tag: str) -> list[dict[str, object]]:
    lines = (ae_dir(repo, tag) / "events.jsonl").read_text().splitlines()
    return [e for e in map(json.loads, lines) if e["kind"] == "violation"]


def counted(repo: Path, tag: str) -> dict[str, int]:
    state = json.loads((ae_dir(repo, tag) / "state.json").read_text())
    return {a["name"]: a["violations"] for a in state["agents"]}


def pooled(repo: Path, tag: str) -> list[list[str]]:
    text = (ae_dir(repo, tag) / "results.all.tsv").read_text()
    return [line.split("\t") for line in text.splitlines()[1:]]


def test_writing_into_a_neighbours_worktree_is_undone_and_counted(tmp_path: Path) -> None:
    repo, _ = compete(tmp_path, "neighbour", "h1", RIG_SLEEP="4")
    assert "planted" not in git(repo, "log", "--all", "-p")  # never committed by anyone
    assert counted(repo, "h1")["random"] >= 1 and counted(repo, "h1")["conservative"] == 0
    assert any(
        "wrote into conservative's worktree" in str(e["changes"]) for e in violations(repo, "h1")
    )
    board = run_evolve(repo, "leaderboard", "--format", "json")
    rows = {r["agent"]: r for r in json.loads(board.stdout)["data"]["standings"]}
    assert rows["random"]["violations"] >= 1


def test_a_rewritten_pooled_file_is_restored(tmp_path: Path) -> None:
    repo, _ = compete(tmp_path, "pooled", "h2")
    rows = pooled(repo, "h2")
    assert sum(r[4].startswith("baseline (") for r in rows) == 2
    assert (ae_dir(repo, "h2") / "results.all.tsv").read_text().startswith("commit\t")
    assert counted(repo, "h2")["random"] >= 1
    resume = run_evolve(repo, "resume")
    assert resume.returncode == 3 and "nothing to resume" in resume.stderr


def test_a_pooled_file_rewritten_all_turn_long_never_stops_the_controller(
    tmp_path: Path,
) -> None:
    # the controller appended to the file an agent could rewrite between its check and its
    # write: a fresh-clone CI run stopped with "the first line is not tab-separated" (exit 3)
    repo, _ = compete(tmp_path, "pooled_storm", "h2s")
    text = (ae_dir(repo, "h2s") / "results.all.tsv").read_text()
    assert text.startswith("commit\t") and "garbage" not in text
    agents = {row[5] for row in pooled(repo, "h2s") if len(row) > 5}
    assert {"conservative", "random"} <= agents, agents
    assert counted(repo, "h2s")["random"] >= 1


def test_an_agent_that_garbles_its_own_results_file_does_not_stop_the_controller(
    tmp_path: Path,
) -> None:
    # the agent's results.tsv is the controller's (written between turns): a first line that
    # is not tab-separated made the controller's next append fail
    repo, _ = compete(tmp_path, "own_results", "h2o")
    own = (repo / "worktrees" / "h2o-random" / "results.tsv").read_text()
    assert own.startswith("commit\t") and "garbage" not in own
    assert {row[5] for row in pooled(repo, "h2o") if len(row) > 5} >= {"random"}


def test_an_edited_state_file_is_restored(tmp_path: Path) -> None:
    repo, _ = compete(tmp_path, "state", "h3")
    state = json.loads((ae_dir(repo, "h3") / "state.json").read_text())
    assert {a["branch"] for a in state["agents"]} == {
        "autoresearch/h3-conservative",
        "autoresearch/h3-random",
    }
    assert state["champion_sha"] != "0" * 40
    assert any("changed state.json" in str(e["changes"]) for e in violations(repo, "h3"))
    master = git(repo, "rev-parse", "master")
    assert run_evolve(repo, "cleanup").returncode == 0
    assert git(repo, "rev-parse", "master") == master


def test_moved_refs_are_put_back_and_the_commit_kept_aside(tmp_path: Path) -> None:
    repo, _ = compete(tmp_path, "refs", "h4")
    assert git(repo, "log", "-1", "--format=%s", "master") == "baseline"
    champion = git(repo, "rev-parse", "autoresearch/h4-champion")
    assert git(repo, "log", "-1", "--format=%s", champion) != "sabotage"
    aside = git(repo, "for-each-ref", "--format=%(objectname)", "refs/autoevolve/h4/quarantine/")
    assert aside and {git(repo, "log", "-1", "--format=%s", s) for s in aside.split()} == {
        "sabotage"
    }
    assert counted(repo, "h4")["random"] >= 1


def test_a_commit_outside_the_editable_files_is_rejected_before_training(tmp_path: Path) -> None:
    repo, _ = compete(tmp_path, "protected", "h5")
    rejected = [r for r in pooled(repo, "h5") if "[rejected: protected_path: program.md]" in r[4]]
    assert rejected and all(r[3] == "crash" and r[1] == "0.000000" for r in rejected)
    runs = [p.name for p in (ae_dir(repo, "h5") / "runs").iterdir()]
    assert not any(name.startswith("r1-random-e") for name in runs)  # nothing of it trained
    assert "Anything goes" not in git(repo, "show", "autoresearch/h5-champion:program.md")


def test_a_second_printed_summary_makes_the_run_invalid(tmp_path: Path) -> None:
    repo, _ = compete(tmp_path, "fake_summary", "h6")
    invalid = [r for r in pooled(repo, "h6") if "invalid_runlog" in r[4]]
    assert invalid and all(r[3] == "crash" for r in invalid)
    assert "0.000001" not in git(repo, "show", "autoresearch/h6-champion:train.py")
    assert all(r[1] != "0.000001" for r in pooled(repo, "h6"))


def test_a_too_good_result_must_reproduce_on_a_clean_checkout(tmp_path: Path) -> None:
    repo, proc = compete(tmp_path, "boost", "h7")
    implausible = [r for r in pooled(repo, "h7") if "implausible" in r[4]]
    assert implausible and all(r[3] == "crash" for r in implausible), proc.stdout
    assert "clean checkout" in implausible[0][4]
    assert "boost" not in git(repo, "show", "autoresearch/h7-champion:train.py")


def test_an_agents_children_do_not_outlive_its_turn(tmp_path: Path) -> None:
    pids_file = tmp_path / "pids"
    try:
        compete(tmp_path, "children", "h8", HOSTILE_PIDS=str(pids_file))
        pids = [int(p) for p in pids_file.read_text().split()]
        assert len(pids) >= 4  # two per turn, two turns
        assert not [p for p in pids if alive(p)]
    finally:
        for pid in (int(p) for p in pids_file.read_text().split()) if pids_file.exists() else ():
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def _journaled(repo: Path, pids: list[int]) -> bool:
    """True when every pid's turn token is in a spawn event (what a resumed controller reaps)."""
    path = ae_dir(repo, "k1") / "events.jsonl"
    events = [json.loads(line) for line in path.read_text().splitlines() if line]
    tokens = {e.get("token") for e in events if e.get("kind") == "spawn"}
    return all(token_of(pid) in tokens for pid in pids)


def test_a_resumed_controller_ends_what_a_killed_one_left_running(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    pids_file = tmp_path / "pids"
    args = evolve_args("k1", experiments=1, agent=AGENT)
    env = {**rig_env(tmp_path), "HOSTILE_MODE": "children", "HOSTILE_PIDS": str(pids_file)}
    first = start_evolve(repo, *args, env={**env, "HOSTILE_LINGER": "60"}, output=None)
    try:
        deadline = time.monotonic() + 60
        while not (
            pids_file.exists()
            and len(pids_file.read_text().split()) >= 2
            and _journaled(repo, [int(p) for p in pids_file.read_text().split()])
        ):
            assert time.monotonic() < deadline and first.poll() is None
            time.sleep(0.1)  # until every agent that wrote pids is journaled (a loaded machine)
        first.kill()  # SIGKILL: no chance to end its agents
        first.wait()
        pids = [int(p) for p in pids_file.read_text().split()]
        assert all(alive(p) for p in pids)  # what the dead controller left behind
        resumed = run_evolve(repo, "resume", env=env)
        assert resumed.returncode in (0, 1, 2), resumed.stderr
        assert not [p for p in pids if alive(p)]
    finally:
        first.kill()
        for pid in (int(p) for p in pids_file.read_text().split()) if pids_file.exists() else ():
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


def test_editable_globs_widen_what_an_agent_may_change(tmp_path: Path) -> None:
    repo, _ = compete(tmp_path, "protected", "h9", "--editable", "train.py", "--editable", "*.md")
    assert not [r for r in pooled(repo, "h9") if "protected_path" in r[4]]
    assert any(r[4].startswith("X 1.0 -> 1.25 (and a word") for r in pooled(repo, "h9"))


def test_the_prompt_names_the_editable_files() -> None:
    text = rig_prompt(editable=("train.py", "*.md"))
    assert "Only `train.py`, `*.md` may change" in text and "rejected before training" in text
