"""stop, resume and the seed command on an unfinished run; propagation modes; cross-over."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from evolve_rig import ae_dir, git, make_repo, rig_env
from support import console_script

from autoevolve.demo import write_demo_repo

TRAIN_CMD = f"{sys.executable} train.py"
DEMO = ["--gpus", "none", "--agent", "mock", "--train-cmd", TRAIN_CMD, "-q"]


def evolve(
    repo: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [console_script("autoevolve"), *args],
        cwd=repo,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def state_of(repo: Path) -> dict[str, object]:
    return json.loads((ae_dir(repo) / "state.json").read_text())


def demo_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "demo"
    write_demo_repo(repo, run_seconds=0)
    return repo


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
    args = [
        "--strategies",
        "conservative",
        "random",
        "--rounds",
        "1",
        "--experiments-per-round",
        "1",
        "--tag",
        "e1",
        *DEMO,
    ]
    assert evolve(repo, *args, env=env).returncode in (0, 1, 2)
    out = evolve(repo, "resume", env=env)
    assert out.returncode == 3 and "nothing to resume" in out.stderr
    stop = evolve(repo, "stop")
    assert stop.returncode == 0 and "no controller is running" in stop.stdout


def test_seed_command_resumes_a_killed_run_or_refuses_other_options(tmp_path: Path) -> None:
    repo = demo_repo(tmp_path)
    env = {"DEMO_RUN_SECONDS": "0", "DEMO_NOISE_SEED": "3"}
    args = [
        "--strategies",
        "conservative",
        "random",
        "--rounds",
        "2",
        "--experiments-per-round",
        "1",
        "--tag",
        "k1",
        *DEMO,
    ]
    killed = evolve(repo, *args, env={**env, "AUTOEVOLVE_FAULT_AT": "30"})
    assert killed.returncode == -9
    other = evolve(repo, "--strategies", "aggressive", "--tag", "k1", *DEMO, env=env)
    assert other.returncode == 3 and "with other options" in other.stderr
    again = evolve(repo, *[a for a in args if a != "-q"], env=env)
    assert again.returncode in (0, 1, 2), again.stderr
    assert "an unfinished run (tag k1" in again.stdout and "resuming it" in again.stdout
    state = state_of(repo)
    assert state["phase"] == "done" and len(state["rounds"]) == 2  # type: ignore[arg-type]


def test_graceful_stop_closes_the_round_then_resume_finishes(tmp_path: Path) -> None:
    repo = demo_repo(tmp_path)
    env = {**os.environ, "DEMO_RUN_SECONDS": "0.4", "DEMO_NOISE_SEED": "4"}
    args = [
        "--strategies",
        "conservative",
        "random",
        "--rounds",
        "3",
        "--experiments-per-round",
        "3",
        "--tag",
        "g1",
        *DEMO,
    ]
    proc = subprocess.Popen(
        [console_script("autoevolve"), *args],
        cwd=repo,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
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
    env = {**os.environ, "DEMO_RUN_SECONDS": "3", "DEMO_NOISE_SEED": "5"}
    args = [
        "--strategies",
        "conservative",
        "random",
        "--rounds",
        "1",
        "--experiments-per-round",
        "2",
        "--tag",
        "n1",
        *DEMO,
    ]
    proc = subprocess.Popen(
        [console_script("autoevolve"), *args],
        cwd=repo,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
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
    bindir = tmp_path / "bin"
    bindir.mkdir()
    script = bindir / "fixed-agent"
    # each agent moves X to a fixed value of its own: 'a' best, 'c' worst
    script.write_text(f"""#!{sys.executable}
import os, re, subprocess
target = {{"a": "1.9", "b": "1.5", "c": "1.2"}}[os.environ["AUTOEVOLVE_AGENT"][0]]
src = open("train.py").read()
open("train.py", "w").write(re.sub(r"^X = .*$", "X = " + target, src, count=1, flags=re.M))
subprocess.run(["git", "commit", "-qam", "X 1.0 -> " + target], check=True)
""")
    script.chmod(0o755)
    strategies = []
    for name in agents:
        md = tmp_path / f"{name}.md"
        md.write_text("---\nsteer: exploit\n---\nMove X.\n")
        strategies.append(str(md))
    proc = evolve(
        repo,
        "--strategies",
        *strategies,
        "--rounds",
        "1",
        "--experiments-per-round",
        "1",
        "--gpus",
        "none",
        "--agent",
        "fixed-agent {prompt_file}",
        "--train-cmd",
        TRAIN_CMD,
        "--tag",
        "p1",
        "--propagate",
        propagate,
        "--crossover",
        "0",
        env=rig_env(tmp_path),
    )
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


def fixed_agents(tmp_path: Path, targets: dict[str, str], names: tuple[str, str]) -> list[str]:
    """An agent that sets ``X`` to its target (by the agent name's first letter; ``Y`` moves
    when X is there already), and one strategy file per agent name."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    script = bindir / "fixed-agent"
    script.write_text(f"""#!{sys.executable}
import os, re, subprocess
target = {targets!r}[os.environ["AUTOEVOLVE_AGENT"][0]]
src = open("train.py").read()
new = re.sub(r"^X = .*$", "X = " + target, src, count=1, flags=re.M)
if new == src:
    new = src.replace("Y = 3.0", "Y = 3.01")
open("train.py", "w").write(new)
subprocess.run(["git", "commit", "-qam", "X -> " + target], check=True)
""")
    script.chmod(0o755)
    mds = []
    for name in names:
        md = tmp_path / f"{name}.md"
        md.write_text("Move X.\n")
        mds.append(str(md))
    return mds


def test_crossover_conflict_is_aborted_and_reported(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    mds = fixed_agents(tmp_path, {"a": "1.9", "b": "1.5"}, ("a-best", "b-mid"))
    proc = evolve(
        repo,
        "--strategies",
        *mds,
        "--rounds",
        "2",
        "--experiments-per-round",
        "1",
        "--gpus",
        "none",
        "--agent",
        "fixed-agent {prompt_file}",
        "--train-cmd",
        TRAIN_CMD,
        "--tag",
        "x1",
        "--crossover",
        "1",
        env=rig_env(tmp_path),
    )
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
    proc = evolve(
        repo,
        "--strategies",
        *mds,
        "--rounds",
        "1",
        "--experiments-per-round",
        "1",
        "--gpus",
        "none",
        "--agent",
        "fixed-agent {prompt_file}",
        "--train-cmd",
        TRAIN_CMD,
        "--tag",
        "v0",
        "--validate",
        "0",
        env=rig_env(tmp_path),
    )
    assert proc.returncode in (0, 1, 2), proc.stderr
    state = state_of(repo)
    assert state["rounds"][0]["winner"] == "a-big", proc.stdout  # type: ignore[index]
    assert "a-big" in proc.stdout and "P(better)" in proc.stdout
