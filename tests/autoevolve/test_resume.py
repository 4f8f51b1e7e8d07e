"""stop, resume and the seed command on an unfinished run; propagation modes; cross-over."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from evolve_cmd import evolve_args, run_evolve, start_evolve
from evolve_rig import ae_dir, demo_repo, git, make_repo, rig_env, write_agent

FIXED = "fixed-agent {prompt_file}"


def evolve(
    repo: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return run_evolve(repo, *args, env=env, timeout=300)


def state_of(repo: Path) -> dict[str, object]:
    return json.loads((ae_dir(repo) / "state.json").read_text())


def wait_for(predicate: object, timeout: float = 60.0) -> None:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError("timed out waiting")


def test_resume_without_a_run_and_after_the_end(tmp_path: Path) -> None:
    repo = demo_repo(tmp_path)
    out = evolve(repo, "resume")
    assert out.returncode == 3 and "no autoevolve run here" in out.stderr
    env = {"DEMO_RUN_SECONDS": "0", "DEMO_NOISE_SEED": "2"}
    args = evolve_args("e1", experiments=1, quiet=True)
    assert evolve(repo, *args, env=env).returncode in (0, 1, 2)
    out = evolve(repo, "resume", env=env)
    assert out.returncode == 3 and "nothing to resume" in out.stderr
    stop = evolve(repo, "stop")
    assert stop.returncode == 0 and "no controller is running" in stop.stdout


def test_seed_command_resumes_a_killed_run_or_refuses_other_options(tmp_path: Path) -> None:
    repo = demo_repo(tmp_path)
    env = {"DEMO_RUN_SECONDS": "0", "DEMO_NOISE_SEED": "3"}
    args = evolve_args("k1", rounds=2, experiments=1, quiet=True)
    killed = evolve(repo, *args, env={**env, "AUTOEVOLVE_FAULT_AT": "30"})
    assert killed.returncode == -9
    aggressive = ("aggressive",)
    other = evolve_args("k1", strategies=aggressive, rounds=None, experiments=None, quiet=True)
    other_run = evolve(repo, *other, env=env)
    assert other_run.returncode == 3 and "with other options" in other_run.stderr
    again = evolve(repo, *evolve_args("k1", rounds=2, experiments=1), env=env)
    assert again.returncode in (0, 1, 2), again.stderr
    assert "an unfinished run (tag k1" in again.stdout and "resuming it" in again.stdout
    state = state_of(repo)
    assert state["phase"] == "done" and len(state["rounds"]) == 2  # type: ignore[arg-type]


def test_graceful_stop_closes_the_round_then_resume_finishes(tmp_path: Path) -> None:
    repo = demo_repo(tmp_path)
    env = {"DEMO_RUN_SECONDS": "0.4", "DEMO_NOISE_SEED": "4"}
    proc = start_evolve(repo, *evolve_args("g1", rounds=3, experiments=3, quiet=True), env=env)
    state_file = ae_dir(repo, "g1") / "state.json"
    wait_for(lambda: state_file.exists() and state_of(repo)["phase"] == "running")
    stop = evolve(repo, "stop")
    assert stop.returncode == 0 and "after round 1 closes" in stop.stdout
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    state = state_of(repo)
    assert state["phase"] == "stopped"
    assert [r["round"] for r in state["rounds"]] == [1]  # type: ignore[union-attr]
    resumed = evolve(repo, "resume", env={"DEMO_RUN_SECONDS": "0"})
    assert resumed.returncode in (0, 1, 2), resumed.stderr
    assert [r["round"] for r in state_of(repo)["rounds"]] == [1, 2, 3]  # type: ignore[union-attr]


def test_stop_now_interrupts_and_records_the_runs(tmp_path: Path) -> None:
    repo = demo_repo(tmp_path)
    env = {"DEMO_RUN_SECONDS": "3", "DEMO_NOISE_SEED": "5"}
    proc = start_evolve(repo, *evolve_args("n1", quiet=True), env=env)
    state_file = ae_dir(repo, "n1") / "state.json"

    def training() -> bool:
        if not state_file.exists():
            return False
        agents = state_of(repo)["agents"]
        return any(a["status"] == "training" for a in agents)  # type: ignore[union-attr]

    wait_for(training, timeout=90)
    start = time.monotonic()
    assert evolve(repo, "stop", "--now").returncode == 0
    proc.communicate(timeout=60)
    assert proc.returncode == 130 and time.monotonic() - start < 30
    state = state_of(repo)
    assert state["phase"] == "stopped" and state["interrupted"]
    assert {i["phase"] for i in state["interrupted"]} <= {"agent", "training"}  # type: ignore[union-attr]
    resumed = evolve(repo, "resume", env={"DEMO_RUN_SECONDS": "0"})
    assert resumed.returncode in (0, 1, 2), resumed.stderr
    assert state_of(repo)["phase"] == "done"


def _rig_competition(tmp_path: Path, propagate: str, agents: list[str]) -> tuple[Path, dict]:
    repo = make_repo(tmp_path)
    # each agent moves X to a fixed value of its own: 'a' best, 'c' worst
    targets = {"a": "1.9", "b": "1.5", "c": "1.2"}
    strategies = fixed_agents(tmp_path, targets, agents, steer="exploit")
    args = evolve_args(
        "p1",
        "--propagate",
        propagate,
        "--crossover",
        "0",
        strategies=strategies,
        experiments=1,
        agent=FIXED,
    )
    proc = evolve(repo, *args, env=rig_env(tmp_path))
    assert proc.returncode in (0, 1, 2), proc.stderr
    return repo, state_of(repo)


def _heads(repo: Path, names: list[str]) -> dict[str, str]:
    return {n: git(repo / "worktrees" / f"p1-{n}", "rev-parse", "HEAD") for n in names}


def test_propagate_bottom_half_moves_only_the_worse_half(tmp_path: Path) -> None:
    names = ["a-best", "b-mid", "c-worst"]
    repo, state = _rig_competition(tmp_path, "bottom-half", names)
    assert state["rounds"][0]["winner"] == "a-best"
    heads = _heads(repo, names)
    tips = {n: git(repo, "rev-parse", f"autoevolve/p1/r1/{n}") for n in names}
    assert heads["c-worst"] == tips["a-best"]  # the worse half (1 of 3) adopted the champion
    assert heads["b-mid"] == tips["b-mid"]  # the better half kept its own line
    assert (
        "adopt: champion r1 from a-best"
        in (repo / "worktrees" / "p1-c-worst" / "results.tsv").read_text()
    )


def test_propagate_ring_takes_the_better_neighbour(tmp_path: Path) -> None:
    names = ["c-worst", "a-best", "b-mid"]  # ring order: c <- b, a <- c, b <- a
    repo, _ = _rig_competition(tmp_path, "ring", names)
    heads = _heads(repo, names)
    tips = {n: git(repo, "rev-parse", f"autoevolve/p1/r1/{n}") for n in names}
    assert heads["c-worst"] == tips["b-mid"]  # b is better than c
    assert heads["a-best"] == tips["a-best"]  # c is worse than a: a keeps its own
    assert heads["b-mid"] == tips["a-best"]  # a is better than b


def fixed_agents(
    tmp_path: Path, targets: dict[str, str], names: Sequence[str], steer: str | None = None
) -> list[str]:
    """An agent that sets ``X`` to its target (by the agent name's first letter; ``Y`` moves
    when X is there already), and one strategy file per agent name (with ``steer``, if given)."""
    write_agent(
        tmp_path,
        "fixed-agent",
        f"""import os, re, subprocess
target = {targets!r}[os.environ["AUTOEVOLVE_AGENT"][0]]
src = open("train.py").read()
new = re.sub(r"^X = .*$", "X = " + target, src, count=1, flags=re.M)
if new == src:
    new = src.replace("Y = 3.0", "Y = 3.01")
open("train.py", "w").write(new)
subprocess.run(["git", "commit", "-qam", "X -> " + target], check=True)
""",
    )
    front = f"---\nsteer: {steer}\n---\n" if steer else ""
    mds = []
    for name in names:
        md = tmp_path / f"{name}.md"
        md.write_text(f"{front}Move X.\n")
        mds.append(str(md))
    return mds


def test_crossover_conflict_is_aborted_and_reported(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    mds = fixed_agents(tmp_path, {"a": "1.9", "b": "1.5"}, ("a-best", "b-mid"))
    args = evolve_args(
        "x1", "--crossover", "1", strategies=mds, rounds=2, experiments=1, agent=FIXED
    )
    proc = evolve(repo, *args, env=rig_env(tmp_path))
    assert proc.returncode in (0, 1, 2), proc.stderr
    state = state_of(repo)
    first = state["rounds"][0]  # type: ignore[index]
    assert first["winner"] == "a-best" and first["picks"] == {"b-mid": [first["picks"]["b-mid"][0]]}
    assert first["conflicts"] == [first["picks"]["b-mid"][0][:7]]
    assert "conflicts: skipped" in proc.stdout
    wt = repo / "worktrees" / "x1-b-mid"
    assert git(wt, "status", "--porcelain", "--untracked-files=no") == ""
    events = (ae_dir(repo) / "events.jsonl").read_text()
    assert '"kind": "crossover_conflict"' in events


def test_without_validation_the_clearly_better_candidate_is_crowned(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    mds = fixed_agents(tmp_path, {"a": "2.0", "b": "1.1"}, ("a-big", "b-small"))
    args = evolve_args("v0", "--validate", "0", strategies=mds, experiments=1, agent=FIXED)
    proc = evolve(repo, *args, env=rig_env(tmp_path))
    assert proc.returncode in (0, 1, 2), proc.stderr
    state = state_of(repo)
    assert state["rounds"][0]["winner"] == "a-big", proc.stdout  # type: ignore[index]
    assert "a-big" in proc.stdout and "P(better)" in proc.stdout
