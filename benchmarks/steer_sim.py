"""Steering simulation with known ground truth: does autosteer pick better categories?

    uv run python benchmarks/steer_sim.py [--H 200] [--N 100 700] [--seed 1]

Model: 12 categories. Category c succeeds with probability p_c(t); a success has a true
relative gain ~ Exp(g_c), a failure a true effect ~ −|N(0, 0.002)| (0 with prob 0.3); 4 % of
runs crash. Rates drift: every 150 experiments a third of the categories get new rates
(directions "open up" and "close"), and each success in a category multiplies its rate by
0.97 (diminishing returns). The run-to-run noise σ of a history is drawn from [0.05 %, 0.3 %];
the agent keeps a change when its observed gain (true + N(0, σ)) is positive, and every
REPLICATE_EVERY-th experiment re-runs the last keep instead of trying something (a replicate
pair, no gain). The steering signal is the real autosteer bandit's (a keep counts as a success
only beyond the noise floor); `auto (shared noise)` takes that floor, and the regime's, from the
replicate pairs with the shared estimator (`noise.pooled_noise`, what `steerdata.noise_of` and
autojudge use), `auto (assumed 0.1%)` from the prior alone. Reported: cumulative true
improvement (sum of the true effects of kept changes) after 100 and 700 experiments, mean ±
se over H histories, for autosteer `auto` (the library's discounted Thompson sampling),
uniform random, and always the historically best category (empirical mean gain per
experiment, after one try each).
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

from autolab_shared.stats.noise import SIGMA0, NoiseFloor, pooled_noise
from autolab_shared.steering.bandit import pick
from autolab_shared.steering.steer import regime_of
from autolab_shared.steering.steerdata import StepRow

K = 12
REPLICATE_EVERY = 20
CRASH = 0.04
DRIFT_EVERY = 150


@dataclass
class World:
    """The hidden truth of one history."""

    rate: list[float]
    gain: list[float]
    rng: random.Random
    sigma: float = SIGMA0

    @classmethod
    def draw(cls, rng: random.Random) -> World:
        return cls(
            [rng.uniform(0.02, 0.45) for _ in range(K)],
            [rng.uniform(0.0005, 0.004) for _ in range(K)],
            rng,
            rng.uniform(0.0005, 0.003),
        )

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
        return False, effect, effect + self.rng.gauss(0.0, self.sigma)


Chooser = Callable[[list[StepRow], random.Random, NoiseFloor], int]
ARMS = [f"cat{c:02d}" for c in range(K)]


def autosteer(rows: list[StepRow], rng: random.Random, noise: NoiseFloor) -> int:
    """The library's choice: the regime overlay picks the mode, the bandit the category."""
    mode = regime_of(rows, "auto", noise)[2]
    return ARMS.index(pick(rows, ARMS, mode, 1, rng)[0][0])


def uniform(rows: list[StepRow], rng: random.Random, noise: NoiseFloor) -> int:
    return rng.randrange(K)


def best_so_far(rows: list[StepRow], rng: random.Random, noise: NoiseFloor) -> int:
    if len(rows) < K:
        return len(rows)
    total = [0.0] * K
    count = [0] * K
    for r in rows:
        c = ARMS.index(r.category)
        total[c] += r.gain if r.kept else 0.0
        count[c] += 1
    return max(range(K), key=lambda c: (total[c] / max(count[c], 1), -c))


def history(
    seed: int, n: int, choose: Chooser, checkpoints: Sequence[int], shared: bool = True
) -> list[float]:
    """Cumulative true gain at each checkpoint of one simulated history; `shared`: the noise
    floor comes from the replicate pairs (else the prior's 0.1 %)."""
    world = World.draw(random.Random(seed))
    rng = random.Random(seed * 7919 + 1)
    rows: list[StepRow] = []
    pairs: list[list[float]] = []
    total, out = 0.0, []
    noise = pooled_noise([])
    for t in range(n):
        if t and t % DRIFT_EVERY == 0:
            world.drift()
        if t % REPLICATE_EVERY == REPLICATE_EVERY - 1:  # re-run the incumbent: a pair
            pairs.append([rng.gauss(0.0, world.sigma), rng.gauss(0.0, world.sigma)])
            noise = pooled_noise(pairs, window=0) if shared else noise
        else:
            c = choose(rows, rng, noise)
            crashed, effect, observed = world.run(c)
            kept = not crashed and observed > 0
            total += effect if kept else 0.0
            status = "crash" if crashed else "keep" if kept else "discard"
            gain = observed if kept else 0.0
            rows.append(
                StepRow(
                    len(rows),
                    "a",
                    ARMS[c],
                    (),
                    status,
                    "",
                    gain,
                    kept and observed > noise.sigma,
                    False,
                    (),
                    "",
                )
            )
        if t + 1 in checkpoints:
            out.append(total)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--H", type=int, default=200)
    ap.add_argument("--N", type=int, nargs="+", default=[100, 700])
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rules: dict[str, tuple[Chooser, bool]] = {
        "autosteer auto (shared noise)": (autosteer, True),
        "autosteer auto (assumed 0.1%)": (autosteer, False),
        "uniform random": (uniform, True), "historically best": (best_so_far, True)}  # fmt: skip
    start = time.perf_counter()
    results = {
        name: [
            history(args.seed * 100_003 + h, max(args.N), rule, args.N, shared)
            for h in range(args.H)
        ]
        for name, (rule, shared) in rules.items()
    }
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
        diffs = [
            _mean_se([a[i] - b[i] for a, b in zip(res, base, strict=True)])
            for i in range(len(args.N))
        ]
        print(f"| {name} | " + " | ".join(cells) + " | " + " | ".join(diffs) + " |")
    return 0


def _mean_se(xs: list[float]) -> str:
    se = statistics.stdev(xs) / math.sqrt(len(xs)) if len(xs) > 1 else 0.0
    return f"{statistics.mean(xs) * 100:+.3f}% (±{se * 100:.3f})"


if __name__ == "__main__":
    sys.exit(main())
