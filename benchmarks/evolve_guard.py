"""What the worktree guard costs a turn, and that an honest competition's outputs do not change.

    python3 benchmarks/evolve_guard.py --base /path/to/other/checkout [--runs 3] [--rounds 2]
        [--experiments 3] [--seed 4] [--count-git]

Runs the same demo competition (three agents, ``--agent mock --gpus none``, trainings that take
no wall time, ``--seed`` and ``DEMO_NOISE_SEED`` fixed) with this checkout's autoevolve and with
``--base``'s (``PYTHONPATH`` pointing at its sources, the same interpreter), alternating, each in
a fresh demo repo. Prints per run the CPU time (user+sys of the controller and every process it
waited for: git, the mock agent, train.py), the wall time and the agent turns; then the CPU per
turn of each checkout and the difference; and whether the champion, the exit code, the sorted
pooled rows and every agent's results.tsv are the same. ``--count-git`` adds one traced run of
each (``GIT_TRACE``): the git commands it ran, by subcommand. Last, the CPU of one look at a
worktree (``settled.look``, one ``git status``) against the two commands the guard ran before.
Standard library and autoevolve.
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
from collections import Counter
from collections.abc import Callable
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


def compete(
    checkout: Path, repo: Path, args: argparse.Namespace, trace: Path | None = None
) -> dict[str, object]:
    """One competition in a fresh demo repo at ``repo``: its cost and what it wrote (with
    ``trace``, every git command it ran is logged there)."""
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
    if trace is not None:
        env["GIT_TRACE"] = str(trace)
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


def git_calls(trace: Path) -> Counter[str]:
    """The git subcommands a GIT_TRACE log holds, counted."""
    marker = "trace: built-in: git "
    lines = trace.read_text().splitlines()
    return Counter(line.split(marker)[1].split()[0] for line in lines if marker in line)


def look_cost(work: Path, n: int = 200) -> tuple[float, float]:
    """CPU ms of one ``settled.look`` and of the former check (``rev-parse`` + ``status``)."""
    sys.path[:0] = [str(ROOT / "autoevolve" / "src"), str(ROOT / "shared" / "src")]
    from autoevolve.gitrepo import Git
    from autoevolve.settled import look

    repo = work / "look"
    write_demo_repo(repo, run_seconds=0)
    wt = Git(repo)

    def cost(once: Callable[[], object]) -> float:
        start = time.process_time() + child_cpu()
        for _ in range(n):
            once()
        return (time.process_time() + child_cpu() - start) / n * 1000

    return cost(lambda: look(wt)), cost(lambda: (wt.head(), wt.dirty_files()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", type=Path, required=True, help="the checkout to compare with")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--experiments", type=int, default=3)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--count-git", action="store_true", help="one traced run of each")
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
        if args.count_git:
            for label, checkout in (("base", args.base.resolve()), ("this", ROOT)):
                trace = work / f"{label}.trace"
                out = compete(checkout, work / f"{label}-traced", args, trace)
                calls = git_calls(trace)
                print(
                    f"{label}: {sum(calls.values())} git commands in {out['turns']} turns: "
                    + ", ".join(f"{k} {v}" for k, v in calls.most_common(6))
                )
        new, old = look_cost(work)
        print(f"one look: {new:.2f} ms CPU; rev-parse + status -uno: {old:.2f} ms CPU")
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
