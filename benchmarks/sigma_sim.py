"""How well the history's empirical null recovers a known noise σ, and what it says on real files.

Simulation: greedy nights (keep iff below the best value so far, as autoresearch does) of R rows
with known σ; every run is true value × exp(σ·N(0, 1)). Effect models (relative effects):
  null   every change does nothing (checks the estimator and its interval)
  tails  60 % null, 30 % harmful +Exp(mean 1 %), 10 % beneficial −Exp(mean 0.2 %)
  loop   the loop simulator's model (simulate.py): 20 % null, 70 % N(+0.3 %, 0.3 %),
         10 % −Exp(0.2 %): most changes are real, so the null assumption does not hold
For each cell: how often there is an estimate (≥ 10 differences), median σ̂/σ, mean bias of σ̂
relative to σ, and the coverage of the 90 % interval σ̂·√(df/χ²) with df = the estimate's
effective df. The calls are the library's: ``nullnoise.consecutive_deltas`` and
``nullnoise.empirical_null`` on ``parse_results`` of the written night.

Real files: every file in ../shared/data/real with replicate groups: σ̂ from replicates alone
(``noise.pooled_noise``), from the history alone (the empirical null, replicate rows left out),
and the combined ``noise.history_noise``.

Run from the repository root: ``uv run python benchmarks/sigma_sim.py [--H 400]``.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
from pathlib import Path

from scipy.stats import chi2

from autolab_shared.core.errors import InputError
from autolab_shared.core.scale import scale_for
from autolab_shared.parsing.replicates import group_configs, replicate_groups
from autolab_shared.parsing.results import parse_results, read_results
from autolab_shared.stats.noise import history_noise, pooled_noise
from autolab_shared.stats.nullnoise import consecutive_deltas, empirical_null

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real"
SIGMAS = (0.0005, 0.001, 0.002)
ROWS = (30, 100, 300)
MODELS = ("null", "tails", "loop")


def effect(model: str, rng: random.Random) -> float:
    """One change's true relative effect (positive = worse)."""
    u = rng.random()
    if model == "null":
        return 0.0
    if model == "tails":
        return 0.0 if u < 0.6 else rng.expovariate(100.0) if u < 0.9 else -rng.expovariate(500.0)
    return rng.gauss(0.003, 0.003) if u < 0.7 else 0.0 if u < 0.9 else -rng.expovariate(500.0)


def night(model: str, rows: int, sigma: float, rng: random.Random) -> str:
    """A greedy night as results.tsv text."""
    lines = ["commit\tval_bpb\tmemory_gb\tstatus\tdescription"]
    mu, best = 1.0, math.inf
    for i in range(rows):
        true = mu * (1 + (effect(model, rng) if i else 0.0))
        y = true * math.exp(sigma * rng.gauss(0.0, 1.0))
        keep = y < best
        if keep:
            mu, best = true, y
        lines.append(f"{0xB0000000 + i:08x}\t{y:.7f}\t44.0\t{'keep' if keep else 'discard'}\tc{i}")
    return "\n".join(lines) + "\n"


def interval(sigma_hat: float, df: float) -> tuple[float, float]:
    """The 90 % interval of σ from an estimate with ``df`` effective degrees of freedom."""
    return (
        sigma_hat * math.sqrt(df / chi2.ppf(0.95, df)),
        sigma_hat * math.sqrt(df / chi2.ppf(0.05, df)),
    )


def cell(model: str, rows: int, sigma: float, h: int, seed: int) -> str:
    rng = random.Random(f"{seed}-{model}-{rows}-{sigma}")
    ratios, covered = [], 0
    for _ in range(h):
        history = parse_results(night(model, rows, sigma, rng), "sim.tsv")
        scale = scale_for([e.value for e in history.experiments if e.value], "min")
        est = empirical_null(consecutive_deltas(history.experiments, scale))
        if est is None:
            continue
        ratios.append(est.sigma / sigma)
        lo, hi = interval(est.sigma, est.df)
        covered += lo <= sigma <= hi
    if not ratios:
        return f"| {model} | {sigma:g} | {rows} | 0.00 | – | – | – |"
    n = len(ratios)
    return (
        f"| {model} | {sigma:g} | {rows} | {n / h:.2f} | {statistics.median(ratios):.2f}"
        f" | {statistics.fmean(ratios) - 1:+.2f} | {covered / n:.2f} |"
    )


def simulation(h: int, seed: int) -> list[str]:
    out = [
        f"H = {h} nights per cell, seed {seed}.",
        "",
        "| model | σ | rows | share with an estimate | median σ̂/σ | mean bias (σ̂/σ − 1)"
        " | 90 % interval coverage |",
        "|---|---|---|---|---|---|---|",
    ]
    for model in MODELS:
        for sigma in SIGMAS:
            out += [cell(model, rows, sigma, h, seed) for rows in ROWS]
    return out


def real_files() -> list[str]:
    out = [
        "| file | rows | replicate groups (df) | σ̂ replicates | σ̂ history only (pairs)"
        " | ratio | σ̂ used (source) |",
        "|---|---|---|---|---|---|---|",
    ]
    for path in sorted(REAL.glob("*")):
        try:
            history = read_results(path)
        except (InputError, OSError):
            continue
        values = [e.value for e in history.experiments if e.value is not None]
        scale = scale_for(values, history.direction)
        groups = replicate_groups(group_configs(history.experiments), scale)
        if not groups:
            continue
        reps = pooled_noise(groups, window=0)
        null = empirical_null(consecutive_deltas(history.experiments, scale))
        used = history_noise(groups, consecutive_deltas(history.experiments, scale), window=0)
        hist = "–" if null is None else f"{null.sigma * 100:.3f}% ({null.pairs})"
        ratio = "–" if null is None else f"{null.sigma / reps.sigma:.2f}"
        out.append(
            f"| {path.name[:60]} | {len(history.experiments)} | {len(groups)} ({reps.df:g})"
            f" | {reps.sigma * 100:.3f}% | {hist} | {ratio}"
            f" | {used.sigma * 100:.3f}% ({used.source}) |"
        )
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--H", type=int, default=400, help="nights per cell (default 400)")
    ap.add_argument("--seed", type=int, default=20261204)
    args = ap.parse_args(argv)
    lines = ["### Empirical null on simulated nights (known σ)", "", *simulation(args.H, args.seed)]
    if REAL.is_dir():
        lines += ["", "### Real files with replicates (relative σ̂)", "", *real_files()]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
