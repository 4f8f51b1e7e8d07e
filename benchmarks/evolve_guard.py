"""What the worktree guard costs a turn, and that an honest competition's outputs do not change.

    python3 benchmarks/evolve_guard.py --base /path/to/other/checkout [--runs 3] [--rounds 2]
        [--experiments 3] [--seed 4]

Runs the same demo competition (three agents, ``--agent mock --gpus none``, trainings that take
no wall time, ``--seed`` and ``DEMO_NOISE_SEED`` fixed) with this checkout's autoevolve and with
``--base``'s (``PYTHONPATH`` pointing at its sources, the same interpreter), alternating, each in
a fresh demo repo. Prints per run the CPU time (user+sys of the controller and every process it
waited for: git, the mock agent, train.py), the wall time and the agent turns; then the CPU per
turn of each checkout and the difference; and whether the champion, the exit code, the sorted
pooled rows and every agent's results.tsv are the same. Standard library and autoevolve.demo.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from autoevolve.demo import write_demo_repo

ROOT = Path(__file__).resolve().parents[1]
TAG = "g"


def sources(checkout: Path) -> str:
    """PYTHONPATH that makes ``python -m autoevolve`` run ``checkout``'s sources."""
    return os.pathsep.join(str(checkout / p) for p in ("autoevolve/src", "shared/src"))


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def compete(checkout: Path, repo: Path, args: argparse.Namespace) -> dict[str, object]:
    """One competition in a fresh demo repo at ``repo``: its cost and what it wrote."""
    stamp = "1700000000 +0000"  # the same base commit in every run, so the same commit ids
    os.environ.update(GIT_AUTHOR_DATE=stamp, GIT_COMMITTER_DATE=stamp)
    write_demo_repo(repo, run_seconds=0)
    seed = str(args.seed)
    cmd = [sys.executable, "-m", "autoevolve", "--strategies", "conservative", "aggressive"]
    cmd += ["random", "--agent", "mock", "--gpus", "none", "--rounds", str(args.rounds)]
    cmd += ["--experiments-per-round", str(args.experiments), "--seed", seed, "--tag", TAG, "-q"]
    cmd += ["--train-cmd", f"{sys.executable} train.py"]
    env = {**os.environ, "PYTHONPATH": sources(checkout), "DEMO_NOISE_SEED": seed}
    env["DEMO_RUN_SECONDS"] = "0"
    cpu, wall = child_cpu(), time.perf_counter()
    proc = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True, check=False)
    cpu, wall = child_cpu() - cpu, time.perf_counter() - wall
    home = repo / ".git" / "autoevolve" / TAG
    events = [json.loads(line) for line in (home / "events.jsonl").read_text().splitlines()]
    state = json.loads((home / "state.json").read_text())
    own = {
        a["name"]: (Path(a["worktree"]) / "results.tsv").read_text().splitlines()
        for a in state["agents"]
    }
    return {
        "cpu": cpu,
        "wall": wall,
        "turns": sum(e["kind"] == "experiment_intent" for e in events),
        "violations": sum(e["kind"] == "violation" for e in events),
        "same": (
            proc.returncode,
            state["champion_sha"],
            sorted((home / "results.all.tsv").read_text().splitlines()),
            own,
        ),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", type=Path, required=True, help="the checkout to compare with")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--experiments", type=int, default=3)
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="evolve-guard-"))
    results: dict[str, list[dict[str, object]]] = {"base": [], "this": []}
    try:
        for i in range(args.runs):
            for label, checkout in (("base", args.base.resolve()), ("this", ROOT)):
                out = compete(checkout, work / f"{label}-{i}", args)
                results[label].append(out)
                print(
                    f"{label} run {i}: cpu {out['cpu']:.2f} s, wall {out['wall']:.2f} s, "
                    f"{out['turns']} turns, {out['violations']} violations",
                    flush=True,
                )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    per_turn = {
        label: statistics.median(float(r["cpu"]) / int(r["turns"]) for r in runs)  # type: ignore[arg-type]
        for label, runs in results.items()
    }
    print(f"median CPU per turn: base {per_turn['base'] * 1000:.1f} ms, "
          f"this {per_turn['this'] * 1000:.1f} ms, "
          f"difference {(per_turn['this'] - per_turn['base']) * 1000:+.1f} ms")  # fmt: skip
    outputs = {repr(r["same"]) for runs in results.values() for r in runs}
    print(f"outputs identical across all {2 * args.runs} runs: {len(outputs) == 1}")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0 if len(outputs) == 1 else 1


if __name__ == "__main__":
    sys.exit(main())
