"""Propagation and cross-over on the demo landscape: the TRUE final val_bpb at equal budgets.

Every competition is a real ``autoevolve`` subprocess (``--agent mock --gpus none``) in a fresh
throwaway demo repo (``autoevolve.demo.write_demo_repo``, runs take no wall time). Seed s is both
``--seed`` and ``DEMO_NOISE_SEED``, so for a given seed every configuration sees the same mock
proposals' randomness and the same noise stream. The score of a competition is the noise-free
``autoevolve.demo.true_value`` of the champion's train.py (``git show <champion_sha>:train.py``);
lower is better. Configurations (R rounds, E experiments per agent per round; three agents,
conservative aggressive random, share the budget 3·R·E):

  single <strategy>           one agent with 3·E experiments a round
  independent (best tip)      ``--propagate none --crossover 0``; best true value among the three
                              agents' branch tips (an oracle's pick: it uses the true values)
  independent (champion)      the same competitions; the champion autoevolve crowned
  all                         ``--propagate all --crossover 0``
  all + crossover 2           ``--propagate all --crossover 2`` (autoevolve's default)
  bottom-half                 ``--propagate bottom-half --crossover 0``
  ring                        ``--propagate ring --crossover 0``

Run from the repository root: ``uv run python benchmarks/evolve_strategies.py --help``.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import math
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from autoevolve.demo import demo_train_py, true_value, write_demo_repo

STRATEGIES = ("conservative", "aggressive", "random")
TAG = "b"
OK_CODES = (0, 1, 2)
BEST_TIP = "independent (best tip)"
INDEPENDENT_CHAMPION = "independent (champion)"
DEFAULT = "all + crossover 2"


@dataclass(frozen=True)
class Config:
    """One configuration of the competition: who competes and how ideas travel."""

    label: str
    strategies: tuple[str, ...]
    per_round: int
    propagate: str
    crossover: int


@dataclass
class Outcome:
    """One competition's result: true values of its champion and of every agent's branch tip."""

    config: Config
    seed: int
    rc: int
    wall: float
    champion: float = math.nan
    tips: dict[str, float] = field(default_factory=dict)
    runs: int = 0
    error: str = ""


def configs(rounds_e: int, singles: list[str]) -> list[Config]:
    """The configurations compared, at one budget of 3·R·E experiments."""
    single = [Config(f"single {s}", (s,), 3 * rounds_e, "all", 0) for s in singles]
    multi = [
        Config("independent", STRATEGIES, rounds_e, "none", 0),
        Config("all", STRATEGIES, rounds_e, "all", 0),
        Config(DEFAULT, STRATEGIES, rounds_e, "all", 2),
        Config("bottom-half", STRATEGIES, rounds_e, "bottom-half", 0),
        Config("ring", STRATEGIES, rounds_e, "ring", 0),
    ]
    return single + multi


def command(config: Config, seed: int, rounds: int) -> list[str]:
    """The autoevolve command line of one competition."""
    train = f"{shlex.quote(sys.executable)} train.py"
    return [
        *(sys.executable, "-m", "autoevolve", "--strategies", *config.strategies),
        *("--rounds", str(rounds), "--experiments-per-round", str(config.per_round)),
        *("--gpus", "none", "--agent", "mock", "--train-cmd", train, "--tag", TAG),
        *("--seed", str(seed), "--propagate", config.propagate),
        *("--crossover", str(config.crossover), "-q", "--format", "json"),
    ]


def show_value(repo: Path, rev: str) -> float:
    """True value of train.py at a revision of the repo."""
    text = subprocess.run(
        ["git", "show", f"{rev}:train.py"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout
    return true_value(text)


def count_runs(tsv: Path) -> int:
    """Experiment runs: rows of results.all.tsv but baselines, validation re-runs, adoptions."""
    rows = tsv.read_text(encoding="utf-8").splitlines()[1:]
    descriptions = [row.split("\t")[4] if row.count("\t") >= 4 else "" for row in rows]
    return sum(not d.startswith(("baseline", "validate", "adopt")) for d in descriptions)


def run_one(config: Config, seed: int, rounds: int, noise_sd: float | None) -> Outcome:
    """Run one competition in a fresh demo repo and score it; the repo is removed afterwards."""
    tmp = Path(tempfile.mkdtemp(prefix="evolve-bench-"))
    try:
        repo = tmp / "repo"
        write_demo_repo(repo, run_seconds=0)
        env = {**os.environ, "DEMO_RUN_SECONDS": "0", "DEMO_NOISE_SEED": str(seed)}
        env["NO_COLOR"] = "1"
        if noise_sd is not None:
            env["DEMO_NOISE_SD"] = repr(noise_sd)
        start = time.perf_counter()
        done = subprocess.run(
            command(config, seed, rounds), cwd=repo, env=env, capture_output=True, text=True
        )
        out = Outcome(config, seed, done.returncode, time.perf_counter() - start)
        if done.returncode not in OK_CODES:
            out.error = (done.stderr or done.stdout).strip()[-2000:]
            return out
        home = repo / ".git" / "autoevolve"
        home = home / (home / "current").read_text(encoding="utf-8").strip()
        state = json.loads((home / "state.json").read_text(encoding="utf-8"))
        out.champion = show_value(repo, state["champion_sha"])
        out.tips = {a["name"]: show_value(repo, a["branch"]) for a in state["agents"]}
        out.runs = count_runs(home / "results.all.tsv")
        return out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def finals(outcomes: list[Outcome]) -> dict[str, dict[int, float]]:
    """Per row label, per seed: the true final value (independent gives two rows)."""
    rows: dict[str, dict[int, float]] = {}
    for o in outcomes:
        if o.error:
            continue
        if o.config.propagate == "none":
            rows.setdefault(BEST_TIP, {})[o.seed] = min(o.tips.values())
            rows.setdefault(INDEPENDENT_CHAMPION, {})[o.seed] = o.champion
        else:
            rows.setdefault(o.config.label, {})[o.seed] = o.champion
    return rows


def mean_se(xs: list[float]) -> tuple[float, float]:
    """Mean and standard error of the mean."""
    se = statistics.stdev(xs) / math.sqrt(len(xs)) if len(xs) > 1 else math.nan
    return statistics.mean(xs), se


def wins(rows: dict[str, dict[int, float]]) -> dict[str, int]:
    """Per seed, the best configuration (the independent champion row excluded); ties count all."""
    primary = {k: v for k, v in rows.items() if k != INDEPENDENT_CHAMPION}
    seeds = set.intersection(*(set(v) for v in primary.values())) if primary else set()
    count = dict.fromkeys(rows, 0)
    for s in seeds:
        best = min(v[s] for v in primary.values())
        for k, v in primary.items():
            count[k] += v[s] == best
    return count


def table(outcomes: list[Outcome], base: float) -> list[str]:
    """The markdown table: one row per configuration."""
    rows, won = finals(outcomes), wins(finals(outcomes))
    lines = [
        "| configuration | mean true final val_bpb | standard error | mean gain vs start (%) "
        "| wins | mean training runs | mean wall s | n |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for label, per_seed in rows.items():
        vals = list(per_seed.values())
        mean, se = mean_se(vals)
        gain = statistics.mean((base - v) / base * 100 for v in vals)
        runs = [o for o in outcomes if o.config.label == _run_label(label) and not o.error]
        exps = statistics.mean(o.runs for o in runs)
        wall = statistics.mean(o.wall for o in runs)
        win = "—" if label == INDEPENDENT_CHAMPION else str(won[label])
        lines.append(
            f"| {label} | {mean:.6f} | {se:.6f} | {gain:.3f} | {win} | {exps:.1f} "
            f"| {wall:.1f} | {len(vals)} |"
        )
    return lines


def _run_label(label: str) -> str:
    """The configuration whose competitions give a row (independent gives two rows)."""
    return "independent" if label in (BEST_TIP, INDEPENDENT_CHAMPION) else label


def paired(rows: dict[str, dict[int, float]], ref: str, what: str) -> list[str]:
    """Each row minus row ``ref``, seed by seed: mean difference and paired standard error."""
    lines = [
        f"Paired by seed, each configuration minus **{ref}** ({what}; positive = worse):",
        "",
        "| configuration | mean difference | paired standard error | difference / SE |",
        "|---|---|---|---|",
    ]
    for label, per_seed in rows.items():
        if label == ref:
            continue
        diffs = [per_seed[s] - rows[ref][s] for s in per_seed if s in rows[ref]]
        mean, se = mean_se(diffs)
        ratio = f"{mean / se:.1f}" if se > 0 else "—"
        lines.append(f"| {label} | {mean:+.6f} | {se:.6f} | {ratio} |")
    return lines


def comparisons(outcomes: list[Outcome]) -> list[str]:
    """Paired tables against the best row and against autoevolve's default."""
    rows = finals(outcomes)
    if not rows:
        return ["No competition finished."]
    best = min(rows, key=lambda k: statistics.mean(rows[k].values()))
    lines = paired(rows, best, "the lowest mean")
    if DEFAULT in rows and best != DEFAULT:
        lines += ["", *paired(rows, DEFAULT, "autoevolve's default")]
    return lines


def per_seed(outcomes: list[Outcome]) -> list[str]:
    """Every true final value, one row per seed (for other paired comparisons)."""
    rows = finals(outcomes)
    seeds = sorted({s for v in rows.values() for s in v})
    lines = ["| seed | " + " | ".join(rows) + " |", "|---" * (len(rows) + 1) + "|"]
    for s in seeds:
        cells = [f"{v[s]:.6f}" if s in v else "failed" for v in rows.values()]
        lines.append(f"| {s} | " + " | ".join(cells) + " |")
    return lines


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--seeds", type=int, default=20, help="seeds 0..N-1 (default 20)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds R (default 3)")
    ap.add_argument("--experiments", type=int, default=4, help="E per agent per round (default 4)")
    ap.add_argument(
        "--single",
        nargs="+",
        default=["conservative"],
        metavar="STRATEGY",
        help="strategies run alone with 3·E a round (default conservative)",
    )
    ap.add_argument("--noise-sd", type=float, default=None, help="DEMO_NOISE_SD (default: demo's)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel competitions")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/evolve-strategies.md"))
    return ap.parse_args(argv)


def head() -> str:
    """The repository's commit (autoevolve is installed editable: this is the code measured)."""
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return done.stdout.strip() or "unknown"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.head = head()
    plan = [(c, s) for s in range(args.seeds) for c in configs(args.experiments, args.single)]
    start, outcomes = time.perf_counter(), []
    with cf.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(run_one, c, s, args.rounds, args.noise_sd) for c, s in plan]
        for i, fut in enumerate(cf.as_completed(futures), 1):
            o = fut.result()
            outcomes.append(o)
            note = f"rc {o.rc} FAILED" if o.error else f"champion {o.champion:.6f}"
            print(
                f"[{i}/{len(plan)}] seed {o.seed} {o.config.label}: {note} ({o.wall:.1f} s)",
                file=sys.stderr,
                flush=True,
            )
    elapsed = time.perf_counter() - start
    order = {c.label: i for i, c in enumerate(configs(args.experiments, args.single))}
    outcomes.sort(key=lambda o: (o.seed, order[o.config.label]))
    if head() != args.head:
        args.head += f" (HEAD moved to {head()} during the run)"
    report = render(args, outcomes, elapsed)
    print(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, encoding="utf-8")
    return 1 if any(o.error for o in outcomes) else 0


def render(args: argparse.Namespace, outcomes: list[Outcome], elapsed: float) -> str:
    """The whole markdown report."""
    base = true_value(demo_train_py(0))
    budget = 3 * args.rounds * args.experiments
    failed = [o for o in outcomes if o.error]
    lines = [
        "# autoevolve: propagation and cross-over on the demo landscape",
        "",
        "Command: `uv run python benchmarks/evolve_strategies.py "
        + " ".join(shlex.quote(a) for a in sys.argv[1:])
        + "`",
        "",
        f"Measured {date.today().isoformat()} on {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, {args.jobs} parallel "
        f"competitions; {len(outcomes)} competitions in {elapsed / 60:.1f} min; code at "
        f"{args.head}.",
        "",
        f"Seeds 0..{args.seeds - 1}; R = {args.rounds} rounds, E = {args.experiments}: "
        f"budget {budget} experiments (three agents × E a round, or one agent × 3·E a round). "
        f"Baseline true val_bpb {base:.6f}; lower is better. 'mean training runs' counts rows of "
        "results.all.tsv but baselines, validation re-runs and adoptions: the budget counts "
        "proposals, and a proposal within the noise is retested (extra runs).",
        "",
        *table(outcomes, base),
        "",
        *comparisons(outcomes),
        "",
        "## True final val_bpb per seed",
        "",
        *per_seed(outcomes),
        "",
    ]
    if failed:
        lines += ["## Failed competitions", ""]
        for o in failed:
            lines += [f"- seed {o.seed} {o.config.label}: exit {o.rc}", "", "```", o.error, "```"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
