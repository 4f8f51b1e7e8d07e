"""--mode free: agents run their own loop; autoevolve watches, closes rounds by time, spreads."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from evolve_cmd import evolve_args, run_evolve
from evolve_rig import ae_dir, git, make_repo, rig_env

LOOP_AGENT = """\
import os, random, re, subprocess, sys, time
name = os.environ["AUTOEVOLVE_AGENT"]
with open(os.environ["RIG_ARGV"], "a") as log:
    log.write(f"{name} {os.environ.get('CUDA_VISIBLE_DEVICES')} {os.getpid()}\\n")
rng = random.Random(name + str(os.getpid()))
def run():
    with open("run.log", "w") as out:
        subprocess.run([sys.executable, "train.py"], stdout=out, stderr=subprocess.STDOUT)
    found = re.search(r"^val_bpb:\\s+([0-9.]+)", open("run.log").read(), re.M)
    return float(found.group(1)) if found else None
def row(value, status, desc):
    head = subprocess.run(["git", "rev-parse", "--short=7", "HEAD"], capture_output=True,
                          text=True).stdout.strip()
    new = not os.path.exists("results.tsv")
    with open("results.tsv", "a") as f:
        if new:
            f.write("commit\\tval_bpb\\tmemory_gb\\tstatus\\tdescription\\n")
        f.write(f"{head}\\t{value or 0:.6f}\\t1.0\\t{status}\\t{desc}\\n")
best = run()
row(best, "keep", "baseline")
while True:
    src = open("train.py").read()
    old = float(re.search(r"^X = ([0-9.]+)", src, re.M).group(1))
    new = round(old * rng.choice([0.8, 1.2, 1.4]), 4)
    open("train.py", "w").write(src.replace(f"X = {old}", f"X = {new}", 1))
    subprocess.run(["git", "commit", "-qam", f"X {old} -> {new}"], check=True)
    value = run()
    if value is not None and value < best:
        best = value
        row(value, "keep", f"X {old} -> {new}")
    else:
        row(value, "discard", f"X {old} -> {new}")
        subprocess.run(["git", "reset", "-q", "--hard", "HEAD~1"], check=True)
    time.sleep(0.05)
"""


def test_free_mode_watches_pins_and_propagates(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    agent = tmp_path / "loop_agent.py"
    agent.write_text(LOOP_AGENT)
    env = {**rig_env(tmp_path), "RIG_SLEEP": "0.05"}
    args = evolve_args(
        "f1",
        "--mode",
        "free",
        "--round-minutes",
        "0.06",
        strategies=("conservative", "aggressive"),
        rounds=2,
        experiments=1000,
        gpus="0,1",
        agent=f"{sys.executable} {agent} {{prompt_file}}",
        train_cmd=None,
    )
    proc = run_evolve(repo, *args, env=env, timeout=120)
    assert proc.returncode in (0, 1, 2), proc.stdout[-1500:] + proc.stderr
    state = json.loads((ae_dir(repo) / "state.json").read_text())
    assert state["phase"] == "done" and len(state["rounds"]) == 2
    starts = [line.split() for line in (tmp_path / "argv.jsonl").read_text().splitlines()]
    assert {(name, gpu) for name, gpu, _ in starts} == {("conservative", "0"), ("aggressive", "1")}
    pooled = (ae_dir(repo) / "results.all.tsv").read_text().splitlines()
    agents = {line.split("\t")[5] for line in pooled[1:]}
    assert agents == {"conservative", "aggressive"}
    rounds = {line.split("\t")[7] for line in pooled[1:]}
    assert rounds == {"1", "2"}
    assert all(not line.split("\t")[4].startswith("adopt") for line in pooled)
    first = state["rounds"][0]
    if first["winner"]:
        loser = next(a["name"] for a in state["agents"] if a["name"] != first["winner"])
        own = (repo / "worktrees" / f"f1-{loser}" / "results.tsv").read_text()
        assert "adopt: champion r1" in own
        # the agent's own log is its own: the controller's adopt row joins its rows, not a copy
        # of the controller's record of the file (which holds none of them)
        mine = [line.split("\t")[4] for line in own.splitlines()[1:]]
        assert any(
            d.startswith("X ")
            for d in mine[: mine.index(next(d for d in mine if d.startswith("adopt")))]
        ), mine
        assert sum(1 for name, _, _ in starts if name == loser) >= 2  # restarted after the move
    for _, _, pid in starts:  # every agent session is gone
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text()
    assert git(repo, "status", "--porcelain") == ""
