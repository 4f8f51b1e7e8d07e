"""Turn the posterior of one candidate's effect into a verdict.

``confidence`` is P(δ < 0 | data): the posterior probability that the candidate is truly
better than the incumbent. The label is a function of that probability (or, when the user
priced memory or asked for ``strict``, of P(δ < −required gain)), through the one table
:data:`LABELS`; every label has one exit code (``Verdict.exit_code``). docs/stats.md explains.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from autolab_shared.core.eqrepr import EqRepr
from autolab_shared.core.exitcodes import ExitCode
from autolab_shared.core.vocabulary import CrashKind, NextAction, Reason, Verdict
from autolab_shared.stats.incumbent import Incumbent
from autolab_shared.stats.noise import NoiseFloor
from autolab_shared.stats.prior import EffectPrior
from autolab_shared.stats.value import fresh_slot_value, retest_interval

if TYPE_CHECKING:
    from autolab_shared.core.arrays import FloatArray

# Short names for the labels (their exit codes: Verdict.exit_code, the one table).
STRONG_KEEP, KEEP, MARGINAL = Verdict.STRONG_KEEP, Verdict.KEEP, Verdict.MARGINAL
RETEST, DISCARD, CRASH = Verdict.RETEST, Verdict.DISCARD, Verdict.CRASH
VERDICTS = (STRONG_KEEP, KEEP, MARGINAL, RETEST, DISCARD, CRASH)

P_STRONG = 0.99  # STRONG_KEEP at or above
P_KEEP = 0.80  # KEEP at or above
P_MARGINAL = 0.55  # MARGINAL (a keep) at or above, once no re-run is affordable (never < 0.50)
P_RETEST = 0.20  # RETEST at or above (below P_KEEP) while a re-run is affordable
NON_INFERIOR = 0.90  # a simplification with P(not worse by 0.5 σ̂) at or above: KEEP
SIMPLER_MEMORY = 0.05  # ... and peak memory at most 5 % above the incumbent's

# (label, rule on P = P(truly better), or on P(gain ≥ required) when one is set); each label's
# exit code is ``label.exit_code``
LABELS: tuple[tuple[Verdict, str], ...] = (
    (STRONG_KEEP, f"P >= {P_STRONG}"),
    (KEEP, f"{P_KEEP} <= P < {P_STRONG}"),
    (
        RETEST,
        f"{P_RETEST} <= P < {P_KEEP} in the re-run zone: a first run within 1 sd of the"
        " incumbent while the noise floor rests on < 4 replicate df, or where one more run is"
        " worth more than a fresh idea (EVSI, a keep counted only from P_MARGINAL); runs <= 2",
    ),
    (MARGINAL, f"{P_MARGINAL} <= P < {P_KEEP}, no re-run affordable (optimize only)"),
    (DISCARD, f"P < {P_MARGINAL} (or < {P_RETEST} while re-runs are affordable)"),
    (CRASH, "the run produced no metric value"),
)


BOUNDS = (P_RETEST, 0.5, P_MARGINAL, P_KEEP, P_STRONG)  # where a label (or exit 0) starts


def shown(p: float, starts: Sequence[float] = BOUNDS, ends: Sequence[float] = ()) -> str:
    """P(better) to two decimals, or more where two would put it across a bound: one a label
    `starts` at (0.1964 beside a DISCARD prints 0.196, not the 0.20 at which RETEST starts),
    or one a label `ends` at, inclusive (0.5004 is not printed 0.50)."""
    for places in range(2, 7):
        text = f"{p:.{places}f}"
        near = float(text)
        if all((p < b) == (near < b) for b in starts) and all(
            (p <= b) == (near <= b) for b in ends
        ):
            return text
    return text


@dataclass(eq=False, repr=False)
class Policy(EqRepr):
    """Decision settings: ``optimize`` (default) or ``strict``, retests, memory."""

    name: str = "optimize"
    strict_sigmas: float = 0.5
    max_retests: int = 2
    evsi_kappa: float = 1.0  # a re-run must be worth this many fresh ideas (0: always affordable)
    retest_z: float = 1.0  # a first run within this many sd of the incumbent: one re-run ...
    retest_z_df: float = 4.0  # ... while σ̂ rests on fewer replicate df than this
    p_strong: float = P_STRONG
    p_keep: float = P_KEEP
    p_marginal: float = P_MARGINAL
    p_retest: float = P_RETEST
    max_memory_gb: float | None = None
    memory_rate: float = 0.0  # relative gain required per relative memory growth (0: unpriced)
    min_df: int = 2
    noise_df_cap: float = 1.5  # σ̂² widened by df/(df−2), at most this factor (1: off)
    p_band: float = 0.0  # runs <= band_runs and P in [p_band, p_marginal): RETEST (0: off) ...
    band_runs: int = 1  # ... while a re-run is affordable (a diagnostic, benchmarks/README.md)
    evsi_floor: bool = True  # value of information counts a keep only from the keep floor


@dataclass(eq=False, repr=False)
class Candidate(EqRepr):
    """What is judged: its runs on the working scale, memory, and whether it simplifies."""

    runs: tuple[float, ...]
    memory_gb: float | None = None
    simplification: bool = False


@dataclass(eq=False, repr=False)
class Context(EqRepr):
    """What the history says when the candidate is judged."""

    prior: EffectPrior
    incumbent: Incumbent
    noise: NoiseFloor
    incumbent_memory_gb: float | None = None
    crash_rate: float = 0.05
    retest_rate: float = 0.0


@dataclass(eq=False, repr=False)
class Assessment(EqRepr):
    """A verdict with its evidence (working scale: negative delta = better)."""

    verdict: Verdict
    p_improve: float
    expected_gain: float
    delta: float
    delta_sd: float
    ci90: tuple[float, float]
    z: float
    n_runs: int
    evsi: float | None
    slot_value: float | None
    reasons: tuple[Reason | CrashKind, ...]  # a crash's reason is its crash class
    next_action: NextAction | None
    required_gain: float = 0.0  # relative gain the verdict asked for (memory price, strict margin)
    p_required: float = math.nan  # P(gain ≥ required_gain): the probability the label used
    memory_growth: float | None = None  # relative memory growth over the incumbent
    memory_cap_gb: float | None = None  # the --max-memory-gb budget the verdict checked

    @property
    def exit_code(self) -> ExitCode:
        """0 keep, 1 discard/crash, 2 retest."""
        return self.verdict.exit_code


def crash_assessment(reason: CrashKind) -> Assessment:
    """The verdict for a candidate that produced no value."""
    nan = math.nan
    return Assessment(CRASH, 0.0, nan, nan, nan, (nan, nan), nan, 0, None, None, (reason,), None)


def _interval(post: FloatArray, grid: FloatArray, level: float = 0.90) -> tuple[float, float]:
    cdf = np.cumsum(post)
    lo = float(grid[min(int(np.searchsorted(cdf, (1 - level) / 2)), grid.size - 1)])
    hi = float(grid[min(int(np.searchsorted(cdf, (1 + level) / 2)), grid.size - 1)])
    return lo, hi


def _not_heavier(cand: Candidate, ctx: Context) -> bool:
    """Whether a simplification keeps peak memory within `SIMPLER_MEMORY` of the incumbent's
    (or memory is unknown): one that needs more is not simpler to run."""
    growth = memory_growth(cand, ctx)
    return growth is None or growth <= SIMPLER_MEMORY


def memory_growth(cand: Candidate, ctx: Context) -> float | None:
    """Relative peak-memory growth of the candidate over the incumbent (None when unknown)."""
    if cand.memory_gb is None or not ctx.incumbent_memory_gb:
        return None
    return (cand.memory_gb - ctx.incumbent_memory_gb) / ctx.incumbent_memory_gb


def required_gain(cand: Candidate, ctx: Context, policy: Policy) -> float:
    """The relative gain a keep needs: the memory price plus the strict margin."""
    growth = memory_growth(cand, ctx)
    price = policy.memory_rate * max(0.0, growth) if growth is not None else 0.0
    margin = policy.strict_sigmas * ctx.noise.sigma if policy.name == "strict" else 0.0
    return price + margin


def noise_var(ctx: Context, policy: Policy) -> float:
    """σ̂² widened by df/(df−2) (a Student-t variance, at most ``noise_df_cap``×) for the
    uncertainty of σ̂ itself; a known (given) σ is not widened."""
    df, cap = ctx.noise.df, max(1.0, policy.noise_df_cap)
    if ctx.noise.known or not math.isfinite(df):
        return ctx.noise.sigma**2
    return ctx.noise.sigma**2 * min(cap, df / (df - 2.0) if df > 2.0 else cap)


def assess(cand: Candidate, ctx: Context, policy: Policy) -> Assessment:
    """Judge one candidate against the incumbent."""
    n = len(cand.runs)
    d = float(np.mean(cand.runs)) - ctx.incumbent.mean
    s = math.sqrt(noise_var(ctx, policy) / n + ctx.incumbent.var)
    post = ctx.prior.posterior(d, s)
    grid = ctx.prior.grid
    p = min(1.0, float(post[grid < 0].sum()))
    need = required_gain(cand, ctx, policy)
    p_need = min(1.0, float(post[grid < -need].sum())) if need > 0 else p
    mean = float(post @ grid)
    z = d / s if s > 0 else (math.copysign(math.inf, d) if d else 0.0)
    decided = _decide(cand, ctx, policy, post, p, p_need)
    return Assessment(
        verdict=decided.verdict,
        p_improve=p,
        expected_gain=-mean,
        delta=d,
        delta_sd=s,
        ci90=_interval(post, grid),
        z=z,
        n_runs=n,
        evsi=None,
        slot_value=None,
        reasons=decided.reasons,
        next_action=decided.action,
        required_gain=need,
        p_required=p_need,
        memory_growth=memory_growth(cand, ctx),
        memory_cap_gb=policy.max_memory_gb,
    )


def _retest_span(
    cand: Candidate, ctx: Context, policy: Policy, better_end: bool = True
) -> tuple[float, float] | None:
    """The z = delta/sd range where a re-run is affordable: retests left, and one more run worth
    more than a fresh idea (EVSI; both count a keep only from the keep floor when ``evsi_floor``),
    or a first run within ``retest_z`` sd of the incumbent. ``better_end=False``: the lower
    end is not searched and given as −inf (see :func:`_decide`)."""
    n, sigma2 = len(cand.runs), ctx.noise.sigma**2
    if n - 1 >= policy.max_retests or sigma2 <= 0:
        return None
    if policy.evsi_kappa <= 0:
        return (-math.inf, math.inf)
    floor = (
        0.0
        if not policy.evsi_floor
        else policy.p_keep
        if policy.name == "strict"
        else (policy.p_marginal)
    )
    slot = fresh_slot_value(ctx.prior, sigma2, ctx.incumbent.var, floor)
    slot *= policy.evsi_kappa * (1 - ctx.crash_rate) / (1 + ctx.retest_rate)
    span = retest_interval(
        ctx.prior, n, sigma2, ctx.incumbent.var, slot, floor, better_end=better_end
    )
    uncertain = ctx.noise.replicate_df < policy.retest_z_df  # a re-run also measures σ
    if n == 1 and policy.retest_z > 0 and uncertain:  # the hull keeps it one interval
        lo, hi = span if span is not None else (-policy.retest_z, policy.retest_z)
        span = (min(lo, -policy.retest_z), max(hi, policy.retest_z))
    return span


def retest_zone(
    span: tuple[float, float] | None,
    prob_at: Callable[[float], float],
    policy: Policy,
    runs: int = 1,
) -> tuple[float, float] | None:
    """The z span as a range of P: [P at its worse end, P at its better end), widened to reach
    P_MARGINAL, so that the labels stay ordered along P (and so along the measured value); on
    a candidate's first ``band_runs`` runs it also covers [p_band, p_marginal)."""
    zone = None
    if span is not None:
        lo = max(policy.p_retest, prob_at(span[1]) if math.isfinite(span[1]) else 0.0)
        hi = max(policy.p_marginal, prob_at(span[0]) if math.isfinite(span[0]) else 1.0)
        zone = (lo, min(hi, policy.p_keep))
    band = 0.0 < policy.p_band < policy.p_marginal and runs <= policy.band_runs
    if band and runs - 1 < policy.max_retests:
        lo, hi = zone if zone is not None else (policy.p_band, policy.p_marginal)
        zone = (min(lo, policy.p_band), max(hi, policy.p_marginal))
    return zone


def label_for(p: float, *, zone: tuple[float, float] | None, policy: Policy) -> Verdict:
    """The label a probability of being better earns (the table :data:`LABELS`); ``zone`` is
    the range of P where a re-run is affordable (:func:`retest_zone`)."""
    if p >= policy.p_strong:
        return STRONG_KEEP
    if p >= policy.p_keep:
        return KEEP
    if zone is not None and zone[0] <= p < zone[1]:
        return RETEST
    if p >= policy.p_marginal and policy.name != "strict":
        return MARGINAL
    return DISCARD


@dataclass(eq=False, repr=False)
class Decided(EqRepr):
    """What the rules decided: the label, its reason codes and the next action (if any)."""

    verdict: Verdict
    reasons: tuple[Reason, ...]
    action: NextAction | None = None


def _decide(
    cand: Candidate,
    ctx: Context,
    policy: Policy,
    post: FloatArray,
    p: float,
    p_need: float,
) -> Decided:
    if policy.max_memory_gb is not None and (cand.memory_gb or 0.0) > policy.max_memory_gb:
        return Decided(DISCARD, (Reason.MEMORY,), None)
    banded = any(policy.p_retest <= q < policy.p_keep for q in (p, p_need))
    # Only the band can RETEST. The span's better end (its lowest z) only sets where the RETEST
    # zone stops above P_MARGINAL (retest_zone): below that it cannot change a label, and is
    # not searched.
    better_end = max(p, p_need) >= min(policy.p_marginal, policy.p_keep)
    span = _retest_span(cand, ctx, policy, better_end) if banded else None
    s = math.sqrt(noise_var(ctx, policy) / len(cand.runs) + ctx.incumbent.var)
    grid = ctx.prior.grid

    def prob(need: float) -> Callable[[float], float]:
        return lambda zz: float(ctx.prior.posterior(zz * s, s)[grid < -need].sum())

    need = required_gain(cand, ctx, policy)
    n = len(cand.runs)
    label = label_for(p_need, zone=retest_zone(span, prob(need), policy, n), policy=policy)
    plain = label_for(p, zone=retest_zone(span, prob(0.0), policy, n), policy=policy)
    priced = p_need < p and label != plain
    extra: tuple[Reason, ...] = (
        (Reason.MEMORY_PENALTY,) if priced and policy.memory_rate > 0 else ()
    )
    if label in (MARGINAL, RETEST) and cand.simplification and _not_heavier(cand, ctx):
        p_ok = float(post[ctx.prior.grid < 0.5 * ctx.noise.sigma].sum())
        if p_ok >= NON_INFERIOR and p_need >= policy.p_marginal:
            return Decided(KEEP, (Reason.NON_INFERIOR, *extra), None)
    if label == RETEST:
        calibrate = (Reason.CALIBRATE,) if ctx.noise.source == "default" else ()
        why = (Reason.WITHIN_NOISE, *calibrate)
        return Decided(RETEST, (*why, *extra), NextAction.RERUN_CANDIDATE)
    if label == DISCARD:
        return Decided(DISCARD, (Reason.NO_EXPECTED_GAIN, *extra), None)
    if len(cand.runs) == 1 and ctx.noise.replicate_df < policy.min_df:
        return Decided(
            label, (Reason.EXPECTED_GAIN, *extra, Reason.CALIBRATE), NextAction.RERUN_TO_CALIBRATE
        )
    return Decided(label, (Reason.EXPECTED_GAIN, *extra), None)
