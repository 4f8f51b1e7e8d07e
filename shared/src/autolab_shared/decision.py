"""Turn the posterior of one candidate's effect into a verdict (design note §3.5–3.7).

Keep iff the expected gain is positive (``optimize``) or at least 0.5 σ̂ and P ≥ 0.80
(``strict``); RETEST only when one more run is worth more than a fresh idea (EVSI), or to
calibrate σ̂ while there are too few replicates. Labels: STRONG_KEEP (P ≥ 0.99), KEEP
(P ≥ 0.80), MARGINAL (kept under ``optimize`` with P < 0.80).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .arrays import FloatArray
from .exitcodes import ExitCode
from .incumbent import Incumbent
from .noise import NoiseFloor
from .prior import EffectPrior
from .value import evsi_one_more_run, fresh_slot_value

STRONG_KEEP = "STRONG_KEEP"
KEEP = "KEEP"
MARGINAL = "MARGINAL"
RETEST = "RETEST"
DISCARD = "DISCARD"
CRASH = "CRASH"
VERDICTS = (STRONG_KEEP, KEEP, MARGINAL, RETEST, DISCARD, CRASH)

EXIT_CODES = {
    STRONG_KEEP: ExitCode.KEEP,
    KEEP: ExitCode.KEEP,
    MARGINAL: ExitCode.KEEP,
    RETEST: ExitCode.RETEST,
    DISCARD: ExitCode.DISCARD,
    CRASH: ExitCode.DISCARD,
}


@dataclass(frozen=True)
class Policy:
    """Decision settings: ``optimize`` (default) or ``strict``, retests, memory."""

    name: str = "optimize"
    strict_sigmas: float = 0.5
    max_retests: int = 2
    evsi_kappa: float = 1.0
    p_strong: float = 0.99
    p_keep: float = 0.80
    max_memory_gb: float | None = None
    memory_rate: float = 0.01
    min_df: int = 2


@dataclass(frozen=True)
class Candidate:
    """What is judged: its runs on the working scale, memory, and whether it simplifies."""

    runs: tuple[float, ...]
    memory_gb: float | None = None
    simplification: bool = False


@dataclass(frozen=True)
class Context:
    """What the history says when the candidate is judged."""

    prior: EffectPrior
    incumbent: Incumbent
    noise: NoiseFloor
    incumbent_memory_gb: float | None = None
    crash_rate: float = 0.05
    retest_rate: float = 0.0


@dataclass(frozen=True)
class Assessment:
    """A verdict with its evidence (working scale: negative delta = better)."""

    verdict: str
    p_improve: float
    expected_gain: float
    delta: float
    delta_sd: float
    ci90: tuple[float, float]
    z: float
    n_runs: int
    evsi: float | None
    slot_value: float | None
    reasons: tuple[str, ...]
    next_action: str | None

    @property
    def exit_code(self) -> ExitCode:
        """0 keep, 1 discard/crash, 2 retest."""
        return EXIT_CODES[self.verdict]


def crash_assessment(reason: str) -> Assessment:
    """The verdict for a candidate that produced no value."""
    nan = math.nan
    return Assessment(CRASH, 0.0, nan, nan, nan, (nan, nan), nan, 0, None, None, (reason,), None)


def _interval(post: FloatArray, grid: FloatArray, level: float = 0.90) -> tuple[float, float]:
    cdf = np.cumsum(post)
    lo = float(grid[min(int(np.searchsorted(cdf, (1 - level) / 2)), grid.size - 1)])
    hi = float(grid[min(int(np.searchsorted(cdf, (1 + level) / 2)), grid.size - 1)])
    return lo, hi


def _memory_penalty(cand: Candidate, ctx: Context, policy: Policy) -> float:
    if cand.memory_gb is None or not ctx.incumbent_memory_gb or policy.memory_rate <= 0:
        return 0.0
    growth = (cand.memory_gb - ctx.incumbent_memory_gb) / ctx.incumbent_memory_gb
    return policy.memory_rate * max(0.0, growth)


def assess(cand: Candidate, ctx: Context, policy: Policy) -> Assessment:
    """Judge one candidate against the incumbent."""
    n = len(cand.runs)
    sigma2 = ctx.noise.sigma**2
    v = ctx.incumbent.var
    d = float(np.mean(cand.runs)) - ctx.incumbent.mean
    s = math.sqrt(sigma2 / n + v)
    post = ctx.prior.posterior(d, s)
    grid = ctx.prior.grid
    p = float(post[grid < 0].sum())
    mean = float(post @ grid)
    z = d / s if s > 0 else (math.copysign(math.inf, d) if d else 0.0)
    verdict, reasons, evsi, slot, action = _decide(cand, ctx, policy, post, d, s, p, mean)
    return Assessment(
        verdict=verdict, p_improve=p, expected_gain=-mean, delta=d, delta_sd=s,
        ci90=_interval(post, grid), z=z, n_runs=n, evsi=evsi, slot_value=slot,
        reasons=reasons, next_action=action,
    )  # fmt: skip


def _decide(
    cand: Candidate, ctx: Context, policy: Policy, post: FloatArray,
    d: float, s: float, p: float, mean: float,
) -> tuple[str, tuple[str, ...], float | None, float | None, str | None]:  # fmt: skip
    sigma = ctx.noise.sigma
    n = len(cand.runs)
    if policy.max_memory_gb is not None and (cand.memory_gb or 0.0) > policy.max_memory_gb:
        return DISCARD, ("memory",), None, None, None
    evsi = slot = None
    if n - 1 < policy.max_retests and 0.02 < p < 0.995 and sigma > 0:
        slot = fresh_slot_value(ctx.prior, sigma**2, ctx.incumbent.var)
        slot *= (1 - ctx.crash_rate) / (1 + ctx.retest_rate)
        evsi = evsi_one_more_run(ctx.prior, post, d, n, sigma**2, ctx.incumbent.var)
        if evsi > policy.evsi_kappa * slot:
            return RETEST, ("evsi",), evsi, slot, "rerun_candidate"
    margin = policy.strict_sigmas * sigma if policy.name == "strict" else 0.0
    score = mean + _memory_penalty(cand, ctx, policy)
    keep = score < -margin and (policy.name != "strict" or p >= policy.p_keep)
    reasons: tuple[str, ...] = ("expected_gain",) if keep else ("no_expected_gain",)
    if not keep and cand.simplification:
        p_ok = float(post[ctx.prior.grid < 0.5 * sigma].sum())
        if p_ok >= 0.9:
            keep, reasons = True, ("non_inferior",)
    if score - mean > 1e-5:
        reasons += ("memory_penalty",)
    if not keep:
        return DISCARD, reasons, evsi, slot, None
    if n == 1 and not ctx.noise.known and ctx.noise.total_df < policy.min_df:
        return RETEST, ("calibrate",), evsi, slot, "rerun_candidate"
    if reasons[0] == "non_inferior":
        return KEEP, reasons, evsi, slot, None
    label = STRONG_KEEP if p >= policy.p_strong else KEEP if p >= policy.p_keep else MARGINAL
    return label, reasons, evsi, slot, None
