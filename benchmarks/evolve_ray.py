"""autoevolve's executors compared: 1 local GPU against a Ray cluster of 2 nodes x 4 GPUs.

Every competition is a real ``autoevolve`` subprocess (``--agent mock``) in a copy of one demo
repo whose train.py sleeps ``--train-seconds`` per training (the GPUs are fake: Ray's
``num_gpus`` on simulated nodes of ``ray.cluster_utils.Cluster``, all on 127.0.0.1). Figures:

  wall        seconds from the ``start`` event to the ``finish`` event
  busy        sum of training times (``train_intent`` to ``train_done``) / (wall x GPUs)
  trainings   trainings run; ``lost``: submitted and never done, or crashed ``node_lost``
  true        the noise-free value of the champion's train.py (``autoevolve.demo.true_value``)

Run from the repository root (needs the ray extra):
``uv run python benchmarks/evolve_ray.py --train-seconds 20`` (the issue's setting; about
30 minutes for the local run alone) or a shorter ``--train-seconds 2``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # keep nodes on 127.0.0.1

from autoevolve.demo import true_value, write_demo_repo

STRATEGIES = ["conservative", "aggressive", "random", "radical"]
MB = 1024**2


def competition(repo: Path, args: argparse.Namespace, extra: list[str]) -> dict[str, Any]:
    """Run one competition; return its figures."""
    exe = str(Path(sys.executable).with_name("autoevolve"))
    cmd = [exe, "--strategies", *STRATEGIES[: args.agents], "--rounds", str(args.rounds),
           "--experiments-per-round", str(args.experiments), "--agent", "mock",
           "--train-cmd", f"{sys.executable} train.py", "--seed", "1", "--tag", "bench", "-q",
           *extra]  # fmt: skip
    proc = subprocess.run(cmd, cwd=repo, capture_output=True, text=True, check=False)
    if proc.returncode not in (0, 1, 2):
        raise SystemExit(f"autoevolve exited {proc.returncode}: {proc.stderr[-2000:]}")
    return figures(repo)


def figures(repo: Path) -> dict[str, Any]:
    home = repo / ".git" / "autoevolve" / "bench"  # the controller's files of tag "bench"
    evs = [json.loads(x) for x in (home / "events.jsonl").read_text().splitlines()]
    t0 = next(e["t"] for e in evs if e["kind"] == "start")
    t1 = next(e["t"] for e in evs if e["kind"] == "finish")
    begun = {e["run"]: e["t"] for e in evs if e["kind"] == "train_intent"}
    done = {e["run"]: (e["t"], e.get("crash")) for e in evs if e["kind"] == "train_done"}
    submitted = {e["run"] for e in evs if e["kind"] == "train_submitted"}
    busy = sum(t - begun[r] for r, (t, _) in done.items() if r in begun)
    lost = len(submitted - set(done)) + sum(c == "node_lost" for _, c in done.values())
    state = json.loads((home / "state.json").read_text())
    source = subprocess.run(["git", "show", f"{state['champion_sha']}:train.py"], cwd=repo,
                            capture_output=True, text=True, check=True).stdout  # fmt: skip
    return {"wall": t1 - t0, "busy_s": busy, "trainings": len(done), "lost": lost,
            "true": true_value(source)}  # fmt: skip


def ray_cluster(nodes: int, gpus: int) -> Any:
    from ray.cluster_utils import Cluster

    node = {"num_cpus": 1, "object_store_memory": 100 * MB, "node_ip_address": "127.0.0.1"}
    cluster = Cluster(initialize_head=True, head_node_args={**node, "num_gpus": 0})
    for _ in range(nodes):
        cluster.add_node(**node, num_gpus=gpus)
    cluster.wait_for_nodes()
    return cluster


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--agents", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--experiments", type=int, default=6)
    parser.add_argument("--train-seconds", type=float, default=20.0)
    parser.add_argument("--nodes", type=int, default=2)
    parser.add_argument("--gpus-per-node", type=int, default=4)
    parser.add_argument("--skip-local", action="store_true")
    args = parser.parse_args()
    os.environ["DEMO_RUN_SECONDS"] = str(args.train_seconds)
    os.environ["DEMO_NOISE_SEED"] = "1"
    work = Path(tempfile.mkdtemp(prefix="autoevolve-bench-"))
    pristine = work / "pristine"
    write_demo_repo(pristine, run_seconds=args.train_seconds)
    rows: list[tuple[str, int, dict[str, Any]]] = []
    if not args.skip_local:
        shutil.copytree(pristine, work / "local")
        rows.append(("local, 1 GPU", 1, competition(work / "local", args, ["--gpus", "0"])))
    cluster = ray_cluster(args.nodes, args.gpus_per_node)
    try:
        shutil.copytree(pristine, work / "ray")
        ray_args = ["--executor", "ray", "--ray-address", cluster.address]
        gpus = args.nodes * args.gpus_per_node
        rows.append((f"ray, {args.nodes}x{args.gpus_per_node} GPUs", gpus,
                     competition(work / "ray", args, ray_args)))  # fmt: skip
    finally:
        cluster.shutdown()
    report(args, rows)
    shutil.rmtree(work, ignore_errors=True)


def report(args: argparse.Namespace, rows: list[tuple[str, int, dict[str, Any]]]) -> None:
    print(f"{args.agents} agents x {args.rounds} rounds x {args.experiments} experiments, "
          f"{args.train_seconds:g} s trainings ({time.strftime('%Y-%m-%d')})")  # fmt: skip
    print(f"{'executor':<22}{'wall s':>9}{'speed-up':>10}{'busy':>7}{'runs':>6}{'lost':>6}"
          f"{'true':>10}")  # fmt: skip
    base = rows[0][2]["wall"]
    for name, gpus, f in rows:
        busy = f["busy_s"] / (f["wall"] * gpus)
        print(f"{name:<22}{f['wall']:>9.1f}{base / f['wall']:>9.2f}x{busy:>7.0%}"
              f"{f['trainings']:>6}{f['lost']:>6}{f['true']:>10.5f}")  # fmt: skip


if __name__ == "__main__":
    main()
