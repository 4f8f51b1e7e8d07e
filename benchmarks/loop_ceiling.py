"""What any keep/discard/re-run rule can reach in the loop simulator's model, knowing everything.

The loop simulator (simulate.py, docs/stats.md §8) draws each candidate's true effect from a
known distribution (70 % N(+0.3 %, 0.3 %), 20 % exactly 0, 10 % −Exp(mean 0.2 %)) and observes
each run with noise σ. Here the rule knows everything a real rule must estimate: σ, that
distribution (the prior), and the incumbent's true value. It is the Bayes-optimal sequential
rule: after each run of a candidate it keeps, discards, or re-runs (up to K runs), maximising the
true gain per run (a renewal-reward problem, solved by dynamic programming on the mean of the runs
and bisection on the rate). ``floor`` is the issue-12 rule "no keep below P(better) = floor",
with P the exact posterior; floor 0 keeps whenever the expected effect is a gain.

The gain per run times the runs a night has (118: 120 less two baseline runs) against the
greedy and oracle finals of the loop simulator gives the largest "gap closed" a rule with that
floor could reach: an upper bound for every real rule, which must also estimate σ and the prior
and carries the incumbent's uncertainty. 5 % of candidates crash (one run, no gain).

``--incumbent-var r``: the incumbent is known only to variance r·σ² (a real rule's incumbent
is itself a few runs and a shrunken effect: r ≈ 0.5–1 after a keep on one run); the test's sd
is then σ·√(1/n + r), exact with ``--K 1``.

Run from the repository root: ``uv run python benchmarks/loop_ceiling.py`` (numpy only; about
10 minutes of CPU for the default table).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import numpy as np

P_HARM, HARM_MU, HARM_SD, P_NULL, BEN_MEAN, P_CRASH = 0.70, 0.003, 0.003, 0.20, 0.002, 0.05
RUNS = 118
# final true val_bpb of greedy and oracle, N = 120, H = 300, seed 20260501 (simulate.py)
GREEDY = {0.0005: 0.96112, 0.001: 0.96621, 0.002: 0.98051}
ORACLE = {0.0005: 0.95860, 0.001: 0.95705, 0.002: 0.95781}


def _pdf(x: np.ndarray, sd: float) -> np.ndarray:
    return np.asarray(np.exp(-0.5 * (x / sd) ** 2) / (sd * np.sqrt(2 * np.pi)))


def prior() -> tuple[np.ndarray, np.ndarray]:
    """The model's effect distribution on a fine grid, the exact zero as its own atom."""
    g = np.linspace(-0.02, 0.02, 1601)
    step = g[1] - g[0]
    ben = np.where(g < 0, np.exp(np.minimum(g, 0) / BEN_MEAN) / BEN_MEAN, 0.0)
    w = P_HARM * _pdf(g - HARM_MU, HARM_SD) * step + (1 - P_HARM - P_NULL) * ben * step
    w *= (1 - P_NULL) / w.sum()
    return np.append(g, 0.0), np.append(w, P_NULL)


def candidate_value(sigma: float, k: int, floor: float, rate: float, inc: float = 0.0) -> float:
    """E[gain − rate·(extra runs)] of one (non-crashing) candidate under the optimal rule; ``inc``
    is the incumbent's variance in units of σ² (exact for k = 1; for k > 1 the next run's
    predictive leaves the shared incumbent error out, an approximation)."""
    grid, weight = prior()
    ybar = np.linspace(-0.02, 0.025, 1801)
    ys = np.linspace(-0.03, 0.035, 651)
    value_next: np.ndarray | None = None
    value = np.zeros_like(ybar)
    for n in range(k, 0, -1):
        like = _pdf(ybar[:, None] - grid[None, :], sigma * np.sqrt(1 / n + inc)) * weight[None, :]
        post = like / like.sum(1, keepdims=True)
        p_better = post[:, grid < 0].sum(1)
        gain = -(post @ grid)
        value = np.where(p_better >= floor, np.maximum(gain, 0.0), 0.0)
        if value_next is not None:
            pred = post @ _pdf(ys[None, :] - grid[:, None], sigma)
            after = np.interp((n * ybar[:, None] + ys[None, :]) / (n + 1), ybar, value_next)
            value = np.maximum(value, (pred * after).sum(1) / pred.sum(1) - rate)
        value_next = value
    first = (_pdf(ybar[:, None] - grid[None, :], sigma * np.sqrt(1 + inc)) * weight[None, :]).sum(1)
    return float((first * value).sum() / first.sum())


def gain_per_run(sigma: float, k: int, floor: float, inc: float = 0.0, iters: int = 22) -> float:
    """The rate r with (1 − crash)·value(r) = r: true gain per run of the optimal rule."""
    lo, hi = 0.0, 0.0005
    for _ in range(iters):
        mid = (lo + hi) / 2
        worth = (1 - P_CRASH) * candidate_value(sigma, k, floor, mid, inc)
        lo, hi = (mid, hi) if worth > mid else (lo, mid)
    return (lo + hi) / 2


def table(
    sigmas: Sequence[float], ks: Sequence[int], floors: Sequence[float], inc: float = 0.0
) -> list[str]:
    out = [
        f"Incumbent variance {inc:g} σ².",
        "",
        "| σ | runs per candidate ≤ | keep floor P ≥ | true gain per run | final true"
        " (greedy / oracle) | gap closed, ceiling |",
        "|---|---|---|---|---|---|",
    ]
    for sigma in sigmas:
        for k in ks:
            for floor in floors:
                r = gain_per_run(sigma, k, floor, inc)
                g, o = 1 - GREEDY[sigma], 1 - ORACLE[sigma]
                closed = (r * RUNS - g) / (o - g)
                out.append(
                    f"| {sigma:g} | {k} | {floor:.2f} | {r:.6f} | {1 - r * RUNS:.5f}"
                    f" ({GREEDY[sigma]} / {ORACLE[sigma]}) | {closed:+.2f} |"
                )
    return out


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sigma", type=float, nargs="+", default=[0.0005, 0.001, 0.002])
    ap.add_argument("--K", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--floor", type=float, nargs="+", default=[0.0, 0.5, 0.55])
    ap.add_argument(
        "--incumbent-var", type=float, default=0.0, help="in units of σ² (0: known exactly)"
    )
    args = ap.parse_args(argv)
    print("\n".join(table(args.sigma, args.K, args.floor, args.incumbent_var)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
