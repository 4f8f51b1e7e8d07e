"""Steering simulation with known ground truth: does autosteer pick better categories?

    uv run python benchmarks/steer_sim.py [--H 200] [--N 100 700] [--seed 1]

Model: 12 categories. Category c succeeds with probability p_c(t); a success has a true
relative gain ~ Exp(g_c), a failure a true effect ~ −|N(0, 0.002)| (0 with prob 0.3); 4 % of
runs crash. Rates drift: every 150 experiments a third of the categories get new rates
(directions "open up" and "close"), and each success in a category multiplies its rate by
0.97 (diminishing returns). The agent keeps a change when its observed gain (true + N(0, σ),
σ = 0.001) is positive; the steering signal is the real autosteer bandit's (a keep counts as a
success only beyond the noise floor). Reported: cumulative true improvement (sum of the true
effects of kept changes) after 100 and 700 experiments, mean ± se over H histories, for
autosteer `auto` (the library's discounted Thompson sampling), uniform random, and always
the historically best category (empirical mean gain per experiment, after one try each).
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from autolab_shared.bandit import pick
from autolab_shared.steer import regime_of
from autolab_shared.steerdata import StepRow

K = 12
SIGMA = 0.001
CRASH = 0.04
DRIFT_EVERY = 150


@dataclass
class World:
    """The hidden truth of one history."""

    rate: list[float]
    gain: list[float]
    rng: random.Random

    @classmethod
    def draw(cls, rng: random.Random) -> World:
        return cls([rng.uniform(0.02, 0.45) for _ in range(K)],
                   [rng.uniform(0.0005, 0.004) for _ in range(K)], rng)  # fmt: skip

    def drift(self) -> None:
        for c in self.rng.sample(range(K), K // 3):
            self.rate[c] = self.rng.uniform(0.02, 0.45)
            self.gain[c] = self.rng.uniform(0.0005, 0.004)

    def run(self, c: int) -> tuple[bool, float, float]:
        """(crashed, true effect, observed gain) of one experiment in category c."""
        if self.rng.random() < CRASH:
            return True, 0.0, 0.0
        if self.rng.random() < self.rate[c]:
            effect = self.rng.expovariate(1.0 / self.gain[c])
            self.rate[c] *= 0.97
        else:
            effect = 0.0 if self.rng.random() < 0.3 else -abs(self.rng.gauss(0.0, 0.002))
        return False, effect, effect + self.rng.gauss(0.0, SIGMA)


Chooser = Callable[[list[StepRow], random.Random], int]
ARMS = [f"cat{c:02d}" for c in range(K)]


def autosteer(rows: list[StepRow], rng: random.Random) -> int:
    """The library's choice: the regime overlay picks the mode, the bandit the category."""
    mode = regime_of(rows, "auto")[2]
    return ARMS.index(pick(rows, ARMS, mode, 1, rng)[0][0])


def uniform(rows: list[StepRow], rng: random.Random) -> int:
    return rng.randrange(K)


def best_so_far(rows: list[StepRow], rng: random.Random) -> int:
    if len(rows) < K:
        return len(rows)
    total = [0.0] * K
    count = [0] * K
    for r in rows:
        c = ARMS.index(r.category)
        total[c] += r.gain if r.kept else 0.0
        count[c] += 1
    return max(range(K), key=lambda c: (total[c] / max(count[c], 1), -c))


def history(seed: int, n: int, choose: Chooser, checkpoints: Sequence[int]) -> list[float]:
    world = World.draw(random.Random(seed))
    rng = random.Random(seed * 7919 + 1)
    rows: list[StepRow] = []
    total, out = 0.0, []
    for t in range(n):
        if t and t % DRIFT_EVERY == 0:
            world.drift()
        c = choose(rows, rng)
        crashed, effect, observed = world.run(c)
        kept = not crashed and observed > 0
        total += effect if kept else 0.0
        status = "crash" if crashed else "keep" if kept else "discard"
        gain = observed if kept else 0.0
        rows.append(StepRow(t, "a", ARMS[c], (), status, "", gain, kept and observed > SIGMA,
                            False, (), ""))  # fmt: skip
        if t + 1 in checkpoints:
            out.append(total)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--H", type=int, default=200)
    ap.add_argument("--N", type=int, nargs="+", default=[100, 700])
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rules: dict[str, Chooser] = {"autosteer auto": autosteer, "uniform random": uniform,
                                 "historically best": best_so_far}  # fmt: skip
    start = time.perf_counter()
    results = {name: [history(args.seed * 100_003 + h, max(args.N), rule, args.N)
                      for h in range(args.H)] for name, rule in rules.items()}  # fmt: skip
    print(f"H = {args.H} histories, seed {args.seed}, {time.perf_counter() - start:.0f} s\n")
    print(
        "| rule | "
        + " | ".join(f"true gain after {n} (±se)" for n in args.N)
        + " | "
        + " | ".join(f"vs random after {n} (paired ±se)" for n in args.N)
        + " |"
    )
    print("|---|" + "---|" * (2 * len(args.N)))
    base = results["uniform random"]
    for name, res in results.items():
        cells = [_mean_se([r[i] for r in res]) for i in range(len(args.N))]
        diffs = [_mean_se([a[i] - b[i] for a, b in zip(res, base, strict=True)])
                 for i in range(len(args.N))]  # fmt: skip
        print(f"| {name} | " + " | ".join(cells) + " | " + " | ".join(diffs) + " |")
    return 0


def _mean_se(xs: list[float]) -> str:
    se = statistics.stdev(xs) / math.sqrt(len(xs)) if len(xs) > 1 else 0.0
    return f"{statistics.mean(xs) * 100:+.3f}% (±{se * 100:.3f})"


if __name__ == "__main__":
    sys.exit(main())
