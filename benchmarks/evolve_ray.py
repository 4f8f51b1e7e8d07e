"""autoevolve's executors compared: 1 local GPU against a Ray cluster of 2 nodes x 4 GPUs.

Every competition is a real ``autoevolve`` subprocess (``--agent mock``) in a copy of one demo
repo whose train.py sleeps ``--train-seconds`` per training (the GPUs are fake: Ray's
``num_gpus`` on simulated nodes of ``ray.cluster_utils.Cluster``, all on 127.0.0.1). Figures:

  wall        seconds from the ``start`` event to the ``finish`` event
  busy        GPU-seconds held by trainings (``train_intent`` to ``train_done``, one GPU's
              spans merged) / (wall x GPUs)
  useful      the same for the trainings whose outcome was recorded as a row (not the
              speculative validation re-runs stopped, or run and left unused)
  trainings   trainings run whose outcome was recorded (a run id trained only as a speculative
              re-run left unused is not counted); ``lost``: submitted and never done, or
              crashed ``node_lost``
  true        the noise-free value of the champion's train.py (``autoevolve.demo.true_value``)

Run from the repository root (needs the ray extra):
``uv run python benchmarks/evolve_ray.py --train-seconds 20`` (the issue's setting; about
30 minutes for the local run alone) or a shorter ``--train-seconds 2``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
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
    cmd = [
        exe,
        "--strategies",
        *STRATEGIES[: args.agents],
        "--rounds",
        str(args.rounds),
        "--experiments-per-round",
        str(args.experiments),
        "--agent",
        "mock",
        "--train-cmd",
        f"{sys.executable} train.py",
        "--seed",
        "1",
        "--tag",
        "bench",
        "-q",
        *extra,
    ]
    load = LoadSampler()
    cpu = children_cpu()
    with load:
        proc = subprocess.run(cmd, cwd=repo, capture_output=True, text=True, check=False)
    if proc.returncode not in (0, 1, 2):
        raise SystemExit(f"autoevolve exited {proc.returncode}: {proc.stderr[-2000:]}")
    return {**figures(repo), "load": load.mean(), "head_cpu": children_cpu() - cpu, "argv": extra}


def children_cpu() -> float:
    """CPU seconds of this process's ended children (autoevolve, its agents, git, and with
    the local executor its trainings; Ray's workers are the raylets' children, not counted)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class LoadSampler:
    """The machine's 1-minute load average, sampled every 10 s while a competition runs."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.done.wait(10.0):
            self.samples.append(os.getloadavg()[0])

    def __enter__(self) -> LoadSampler:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.done.set()
        self.thread.join()

    def mean(self) -> float:
        return sum(self.samples) / len(self.samples) if self.samples else os.getloadavg()[0]


def figures(repo: Path) -> dict[str, Any]:
    home = repo / ".git" / "autoevolve" / "bench"  # the controller's files of tag "bench"
    evs = [json.loads(x) for x in (home / "events.jsonl").read_text().splitlines()]
    t0 = next(e["t"] for e in evs if e["kind"] == "start")
    t1 = next(e["t"] for e in evs if e["kind"] == "finish")
    done = {e["run"]: (e["t"], e.get("crash")) for e in evs if e["kind"] == "train_done"}
    submitted = {e["run"] for e in evs if e["kind"] == "train_submitted"}
    pairs = trained_spans(evs)
    held: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for gpu, a, b, _, _, _ in pairs:
        held.setdefault(gpu, []).append((a, b))
    busy = sum(union(spans) for spans in held.values())
    used = recorded_reruns(evs)
    useful: dict[tuple[str, str], list[tuple[float, float]]] = {}
    unused = []
    recorded = {run for _, _, _, run, crash, c in pairs if useful_span(run, crash, c, used)}
    for gpu, a, b, run, crash, commit in pairs:
        if useful_span(run, crash, commit, used):
            useful.setdefault(gpu, []).append((a, b))
        elif crash != "interrupted":
            unused.append(b - a)
    stopped = [(a, b) for _, a, b, _, crash, _ in pairs if crash == "interrupted"]
    lost = len(submitted - set(done)) + sum(c == "node_lost" for _, c in done.values())
    state = json.loads((home / "state.json").read_text())
    crowned = [(0.0, state["base_sha"])] + [
        (e["t"] - t0, e["champion"]) for e in evs if e["kind"] == "round_done"
    ]
    timeline = [(t, true_of(repo, sha)) for t, sha in crowned]
    spans = [(a, b, run) for _, a, b, run, _, _ in pairs]
    return {
        "wall": t1 - t0,
        "busy_s": busy,
        "useful_s": sum(union(spans) for spans in useful.values()),
        "stopped": len(stopped),
        "stopped_s": sum(b - a for a, b in stopped),
        "unused": len(unused),
        "unused_s": sum(unused),
        "trainings": len(done),
        "recorded": len(recorded),
        "lost": lost,
        "true": true_of(repo, state["champion_sha"]),
        "timeline": timeline,
        "phases": phases(spans, t0, t1, state["config"]["rounds"]),
    }


def trained_spans(
    evs: list[dict[str, Any]],
) -> list[tuple[tuple[str, str], float, float, str, str | None, str]]:
    """Every training's GPU, start, end, run id, crash class and commit (``train_intent`` to
    the next ``train_done`` of its run id and commit; a run id trains again after a speculative
    re-run was stopped, and early re-runs of several commits share one)."""
    open_: dict[tuple[str, str], dict[str, Any]] = {}
    out = []
    for e in evs:
        key = (e.get("run", ""), e.get("commit", ""))
        if e["kind"] == "train_intent":
            open_[key] = e
        elif e["kind"] == "train_done" and key in open_:
            begun = open_.pop(key)
            gpu = (begun.get("node", ""), str(begun.get("gpu", "")))
            out.append((gpu, begun["t"], e["t"], e["run"], e.get("crash"), key[1]))
    return out


def useful_span(run: str, crash: str | None, commit: str, used: set[tuple[str, str]]) -> bool:
    """Whether a training's outcome was recorded: not stopped, and a validation re-run only
    when its row was pooled (a speculative one of another commit was left unused)."""
    return crash != "interrupted" and ("-validate-" not in run or (run, commit[:7]) in used)


def recorded_reruns(evs: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """(run id, short commit) of every validation re-run recorded as a pooled row."""
    out = set()
    for e in evs:
        desc = e.get("cells", {}).get("description", "") if e["kind"] == "row_intent" else ""
        if desc.startswith("validate r") and e.get("pooled"):
            k = desc.split(":", 1)[0].removeprefix("validate r")
            who = "champion" if desc.startswith(f"validate r{k}: champion ") else e["agent"]
            for j in range(8):  # --validate N: re-runs 0..N-1, all of one commit
                out.add((f"r{k}-validate-{who}-{j}", e["cells"]["commit"]))
    return out


def phases(
    spans: list[tuple[float, float, str]], t0: float, t1: float, rounds: int
) -> dict[str, tuple[float, float]]:
    """Seconds and GPU-seconds trained in each phase: ``start`` (to the first experiment's
    training), ``rounds`` (a round's experiments, first start to last end) and ``closes`` (from
    there to the next round's first training: validation, crowning, the agents' first turns)."""
    edges: list[tuple[str, float, float]] = []
    last = t0
    for k in range(1, rounds + 1):
        own = [
            (a, b)
            for a, b, run in spans
            if run.startswith(f"r{k}-") and not run.startswith(f"r{k}-validate-")
        ]
        if not own:
            continue
        first, end = min(a for a, _ in own), max(b for _, b in own)
        edges += [("start" if k == 1 else "closes", last, first), ("rounds", first, end)]
        last = end
    edges.append(("closes", last, t1))
    out: dict[str, tuple[float, float]] = {}
    for name, a, b in edges:
        trained = sum(max(0.0, min(b, y) - max(a, x)) for x, y, _ in spans)
        seconds, gpu_s = out.get(name, (0.0, 0.0))
        out[name] = (seconds + b - a, gpu_s + trained)
    return out


def union(spans: list[tuple[float, float]]) -> float:
    """Seconds covered by the spans (one GPU's trainings, which may touch at their ends)."""
    total, end = 0.0, float("-inf")
    for a, b in sorted(spans):
        total += max(0.0, b - max(a, end))
        end = max(end, b)
    return total


def true_of(repo: Path, sha: str) -> float:
    """The noise-free value of the train.py at commit ``sha``."""
    source = subprocess.run(
        ["git", "show", f"{sha}:train.py"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout
    return true_value(source)


def true_at(timeline: list[list[float]], seconds: float) -> float:
    """The true value of the champion crowned last before ``seconds`` into the run."""
    return [v for t, v in timeline if t <= seconds][-1]


def ray_cluster(nodes: int, gpus: int) -> Any:
    from ray.cluster_utils import Cluster

    node = {"num_cpus": 1, "object_store_memory": 100 * MB, "node_ip_address": "127.0.0.1"}
    cluster = Cluster(initialize_head=True, head_node_args={**node, "num_gpus": 0})
    for _ in range(nodes):
        cluster.add_node(**node, num_gpus=gpus)
    cluster.wait_for_nodes()
    return cluster


CONFIGS = ("local", "local-parallel", "ray", "ray-parallel")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--agents", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--experiments", type=int, default=6)
    parser.add_argument("--train-seconds", type=float, default=20.0)
    parser.add_argument("--nodes", type=int, default=2)
    parser.add_argument("--gpus-per-node", type=int, default=4)
    parser.add_argument(
        "--parallel", type=int, default=3, help="K of the ray-parallel and local-parallel runs"
    )
    parser.add_argument(
        "--configs",
        default=",".join(CONFIGS),
        help=f"which runs, comma-separated, of {', '.join(CONFIGS)}",
    )
    parser.add_argument(
        "--save",
        type=Path,
        help="add the figures to this JSON file (a run "
        "of one config can be reported with runs saved earlier)",
    )
    parser.add_argument("--skip-local", action="store_true", help="same as leaving out local")
    parser.add_argument("--keep", action="store_true", help="keep the competitions' repos")
    args = parser.parse_args()
    configs = [c for c in args.configs.split(",") if not (args.skip_local and c == "local")]
    os.environ["DEMO_RUN_SECONDS"] = str(args.train_seconds)
    os.environ["DEMO_NOISE_SEED"] = "1"
    work = Path(tempfile.mkdtemp(prefix="autoevolve-bench-"))
    pristine = work / "pristine"
    write_demo_repo(pristine, run_seconds=args.train_seconds)
    saved = json.loads(args.save.read_text()) if args.save and args.save.exists() else {}
    rows: dict[str, dict[str, Any]] = saved.get("rows", {})
    for config in configs:
        name, figures_of = run_config(config, args, pristine, work)
        rows[name] = figures_of
        if args.save:
            args.save.write_text(json.dumps({"rows": rows}, indent=1))
    report(args, rows)
    if args.keep:
        print(f"repos kept in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)


def run_config(
    config: str, args: argparse.Namespace, pristine: Path, work: Path
) -> tuple[str, dict[str, Any]]:
    """Run one configuration in a fresh copy of the demo repo; its name and figures."""
    repo = work / config
    shutil.copytree(pristine, repo)
    if config in ("local", "local-parallel"):
        extra, name = ["--gpus", "0"], "local, 1 GPU"
        if config == "local-parallel":
            extra += ["--parallel", str(args.parallel)]
            name += f", --parallel {args.parallel}"
        if args.experiments != 6:
            name += f", {args.experiments} exp/round"
        return name, {**competition(repo, args, extra), "gpus": 1}
    gpus = args.nodes * args.gpus_per_node
    cluster = ray_cluster(args.nodes, args.gpus_per_node)
    try:
        extra = ["--executor", "ray", "--ray-address", cluster.address]
        name = f"ray, {args.nodes}x{args.gpus_per_node} GPUs"
        if config == "ray-parallel":
            extra += ["--parallel", str(args.parallel)]
            name += f", --parallel {args.parallel}"
        if args.experiments != 6:
            name += f", {args.experiments} exp/round"
        return name, {**competition(repo, args, extra), "gpus": gpus}
    finally:
        cluster.shutdown()


def report(args: argparse.Namespace, rows: dict[str, dict[str, Any]]) -> None:
    print(
        f"{args.agents} agents x {args.rounds} rounds, {args.train_seconds:g} s trainings "
        f"({time.strftime('%Y-%m-%d')}); wall-clock figures, `true @ W`: the champion's true "
        "value at the shortest wall time of the runs"
    )
    print(
        f"{'run':<46}{'wall s':>8}{'speed-up':>9}{'s/run':>7}{'busy':>6}{'useful':>7}"
        f"{'runs':>6}{'lost':>5}"
        f"{'true':>9}{'true @ W':>9}{'load':>6}{'head cpu':>9}"
    )
    first = next(iter(rows.values()))
    base_per_run = first["wall"] / first.get("recorded", first["trainings"])
    shortest = min(f["wall"] for f in rows.values())
    for name, f in rows.items():
        busy = f["busy_s"] / (f["wall"] * f["gpus"])
        useful = f.get("useful_s", float("nan")) / (f["wall"] * f["gpus"])
        runs = f.get("recorded", f["trainings"])
        per_run = f["wall"] / runs
        print(
            f"{name:<46}{f['wall']:>8.1f}{first['wall'] / f['wall']:>8.2f}x{per_run:>7.1f}"
            f"{busy:>6.1%}{useful:>7.1%}{runs:>6}{f['lost']:>5}{f['true']:>9.5f}"
            f"{true_at(f['timeline'], shortest):>9.5f}{f['load']:>6.1f}"
            f"{f.get('head_cpu', float('nan')):>8.0f}s"
        )
    print(
        "speculative validation re-runs stopped (preempted, or their tip moved) and run to "
        "the end but left unused (not their agent's final tip), both in busy, not in useful:"
    )
    for name, f in rows.items():
        print(
            f"  {name:<46}stopped {f.get('stopped', 0)} ({f.get('stopped_s', 0.0):.0f} GPU-s), "
            f"unused {f.get('unused', 0)} ({f.get('unused_s', 0.0):.0f} GPU-s)"
        )
    print("idle GPU-seconds by phase (seconds of wall in brackets):")
    for name, f in rows.items():
        idle = {k: (s, max(0.0, f["gpus"] * s - g)) for k, (s, g) in f.get("phases", {}).items()}
        print(f"  {name:<46}" + "  ".join(f"{k} {i:.0f} ({s:.0f} s)" for k, (s, i) in idle.items()))
    print(
        f"s/run: wall / trainings (throughput); {base_per_run:.1f} s/run on the first row; "
        "load: mean 1-min load average; head cpu: CPU seconds of autoevolve and its children"
    )


if __name__ == "__main__":
    main()
