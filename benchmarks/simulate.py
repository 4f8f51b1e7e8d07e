"""Decision-rule simulation: the real autojudge decision code on autoresearch loops, known truth.

Model (docs/stats.md §8). Lower val_bpb is better; the baseline's true value is 1.0. Each candidate
has a true effect on the incumbent it is tried on: 70 % harmful N(+0.003, 0.003), 20 % exactly 0,
10 % −Exp(mean 0.002). 5 % of candidates crash (they cost one run and are never kept). A run of
code with true value μ is observed as μ + σ·N(0, 1). The budget N counts every run: baseline,
candidates, retests, calibration and baseline reruns. Common random numbers: every rule sees the
same candidate stream and the same noise for the r-th run of candidate j, so the differences
between rules are paired.

Rules:
  greedy            keep iff the observed value is below the best observed so far (autoresearch)
  public            the published tool's rule as described in docs/stats.md §8
  autojudge         the ONLINE loop driven by ``autolab_shared.stats.decision.assess`` (optimize)
  autojudge_strict  the same with ``Policy(name="strict")``
  oracle            keep iff the true effect is negative

The autojudge rules use the library's objects (``EffectPrior``, ``Incumbent``/``after_candidate``,
``noise.history_noise`` over the replicate groups and the empirical null of the rows written so
far, exactly as the CLI, ``Policy``/``Context``/``assess``); only the bookkeeping of the loop is
here. A RETEST re-runs the candidate; a keep with ``next_action == "rerun_to_calibrate"`` stands
and spends one run re-running it (a replicate). Every such run counts against the budget.
The "Issue 12 targets" table: gap closed = (greedy − autojudge)/(greedy − oracle) of the final
true value (pooled over histories), false keeps and true gains kept per history, ECE of the
confidence (= P(better)) of each candidate's final assessment.
The audit (``--audit``) writes every greedy history as a results.tsv text, appends 4 reruns of the
final commit, and runs the real ``autolab_shared.stats.audit.audit`` on ``parse_results`` of it.

Run from the repository root: ``uv run python benchmarks/simulate.py --help``.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing as mp
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from autolab_shared.parsing.results import parse_results
from autolab_shared.stats.audit import audit as audit_history
from autolab_shared.stats.decision import (
    KEEP,
    MARGINAL,
    RETEST,
    STRONG_KEEP,
    Candidate,
    Context,
    Policy,
    assess,
)
from autolab_shared.stats.incumbent import after_candidate, start
from autolab_shared.stats.noise import (
    NoiseFloor,
    given_noise,
    history_noise,
    min_replicate_df,
    pooled_noise,
)
from autolab_shared.stats.prior import GRID_STEP, EffectPrior

BASE = 1.0
P_HARM, HARM_MU, HARM_SD = 0.70, 0.003, 0.003
P_NULL = 0.20
BEN_MEAN = 0.002
P_CRASH = 0.05
MAX_RUNS = 4  # pre-drawn noise per candidate (1 run + 2 retests, one spare)
N_EXTRA = 8  # pre-drawn noise for the audit's reruns of the final commit
AUDIT_RERUNS = 4
BASELINE_RUNS = 2
REFIT_ALL = 30  # refit the prior after every candidate for the first 30, then every 5
REFIT_EVERY = 5
KEPT = (STRONG_KEEP, KEEP, MARGINAL)
HASH0 = 0xA0000000  # commit hash of candidate j: f"{HASH0 + j:08x}"
RULES = ("greedy", "public", "autojudge", "autojudge_strict", "oracle")
# Replicate groups pooled for σ̂ (0 = all; the CLI's --window defaults to 5). Set by --window.
WINDOW = 0
# The autojudge rules and their library policies. ``autojudge_strict_margin`` is a diagnostic
# (not run by default): strict's 0.5 σ̂ margin without the library's extra P ≥ 0.80 condition,
# i.e. the ``proposal_strict`` of the first design simulation (benchmarks/README.md).
NOFLOOR: dict[str, Any] = {"name": "optimize", "evsi_floor": False, "evsi_kappa": 0.5}
POLICIES: dict[str, dict[str, Any]] = {
    "autojudge": {"name": "optimize"},
    "autojudge_strict": {"name": "strict"},
    "autojudge_strict_margin": {"name": "strict", "p_keep": 0.0},
    # the first issue-12 rules (measured 2026-12-04 before the re-run/noise tuning): a re-run
    # for every first run within 1 sd, EVSI against a whole fresh idea, σ̂ not widened, keep
    # from P = 0.50
    "autojudge_before": {
        "name": "optimize",
        "evsi_kappa": 1.0,
        "retest_z_df": math.inf,
        "noise_df_cap": 1.0,
        "p_marginal": 0.50,
        "evsi_floor": False,
    },
    # the rules before the keep floor entered the value of information (2026-12-04 morning):
    # a re-run when one-step EVSI, counting a keep at any P, beats half a fresh idea
    "autojudge_nofloor": NOFLOOR,
    # diagnostics measured with the rules before the floor entered the value of information
    "autojudge_p50": {**NOFLOOR, "p_marginal": 0.50},  # keep (MARGINAL) from 0.50
    "autojudge_df8": {**NOFLOOR, "retest_z_df": 8.0},  # within-1-sd re-run up to 8 df
    "autojudge_evsi_only": {**NOFLOOR, "retest_z": 0.0},
    "autojudge_k0": {**NOFLOOR, "evsi_kappa": 0.0},
    "autojudge_known": {**NOFLOOR, "_known": True},  # the true σ given: σ̂'s ceiling
    "autojudge_p50_known": {**NOFLOOR, "p_marginal": 0.50, "_known": True},
    "autojudge_nu01": {**NOFLOOR, "_nu0": 0.1},  # σ0's prior weight 0.1 from 2 replicate df
    # today's rules with the model's effect distribution as the prior (no fit), and also σ
    "autojudge_true_prior": {"name": "optimize", "_true_prior": True},
    "autojudge_true_both": {"name": "optimize", "_true_prior": True, "_known": True},
    # today's rules, every keep on a single run re-run once (the incumbent measured twice)
    "autojudge_confirm": {"name": "optimize", "_min_df": 10**6},
    # sequential re-runs of promising candidates: a first run with P 0.35–p_marginal is re-run
    "autojudge_band35": {**NOFLOOR, "p_band": 0.35},
    "autojudge_band35_p50": {**NOFLOOR, "p_band": 0.35, "p_marginal": 0.50},
    # today's rules (the keep floor in the value of information) with half a fresh idea
    "autojudge_evf": {"name": "optimize", "evsi_kappa": 0.5},
    "autojudge_evf_p50": {"name": "optimize", "evsi_kappa": 0.5, "p_marginal": 0.50},
}
# diagnostics beyond RULES: the first issue-12 rules, MARGINAL from 0.50, the within-1-sd
# re-run up to 8 df, EVSI re-runs only,
# every band candidate re-run, the true σ given
ALL_RULES = (*RULES, *(r for r in POLICIES if r not in RULES))


# --------------------------------------------------------------------------------------------
# ground truth
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Stream:
    """One history's pre-drawn candidates and noise (candidate 0 is the baseline)."""

    delta: np.ndarray  # (C,) true effect on the incumbent the candidate is tried on
    crash: np.ndarray  # (C,) bool
    eps: np.ndarray  # (C, MAX_RUNS) standard normal noise of run r of candidate j
    extra: np.ndarray  # (N_EXTRA,) noise of the audit's reruns of the final commit
    sigma: float

    def y(self, mu: float, j: int, r: int) -> float:
        """The observed val_bpb of run r of candidate j whose true value is mu."""
        return mu + self.sigma * float(self.eps[j, r])


def make_stream(seed: np.random.SeedSequence, n_cand: int, sigma: float) -> Stream:
    """Draw a candidate stream: effects, crash flags and every run's noise."""
    rng = np.random.default_rng(seed)
    u = rng.random(n_cand)
    harm = u < P_HARM
    ben = u >= P_HARM + P_NULL
    delta = np.zeros(n_cand)
    delta[harm] = rng.normal(HARM_MU, HARM_SD, int(harm.sum()))
    delta[ben] = -rng.exponential(BEN_MEAN, int(ben.sum()))
    crash = rng.random(n_cand) < P_CRASH
    delta[0], crash[0] = 0.0, False
    eps = rng.standard_normal((n_cand, MAX_RUNS))
    extra = rng.standard_normal(N_EXTRA)
    return Stream(delta, crash, eps, extra, sigma)


def model_prior() -> EffectPrior:
    """The model's effect distribution on the library's grid (a diagnostic: no fit needed)."""
    prior = EffectPrior.default_prior(n0=0.0)
    g = prior.grid
    harm = np.exp(-0.5 * ((g - HARM_MU) / HARM_SD) ** 2) / (HARM_SD * math.sqrt(2 * math.pi))
    ben = np.where(g < 0, np.exp(np.minimum(g, 0.0) / BEN_MEAN) / BEN_MEAN, 0.0)
    w = (P_HARM * harm + (1 - P_HARM - P_NULL) * ben) * np.gradient(g)
    w *= (1 - P_NULL) / w.sum()
    w[prior.zero] += P_NULL
    prior.weights = w
    return prior


# --------------------------------------------------------------------------------------------
# per-history record
# --------------------------------------------------------------------------------------------
@dataclass
class Record:
    """What one rule did in one history."""

    conf: list[float] = field(default_factory=list)  # reported P(improvement), final decision
    delta: list[float] = field(default_factory=list)  # true effect of that candidate
    kept: list[bool] = field(default_factory=list)
    final_true: float = BASE
    reported: float = BASE
    extra_runs: int = 0  # retests + calibration + baseline reruns
    calibrate: int = 0
    evsi: int = 0
    runs: int = 0
    sigma_hat: float = math.nan

    def add(self, conf: float, delta: float, kept: bool) -> None:
        self.conf.append(float(conf))
        self.delta.append(float(delta))
        self.kept.append(bool(kept))

    def packed(self) -> dict[str, Any]:
        """Arrays and numbers only (cheap to send between processes)."""
        return dict(
            conf=np.array(self.conf),
            delta=np.array(self.delta),
            kept=np.array(self.kept, dtype=bool),
            final_true=self.final_true,
            reported=self.reported,
            extra_runs=self.extra_runs,
            calibrate=self.calibrate,
            evsi=self.evsi,
            runs=self.runs,
            sigma_hat=self.sigma_hat,
        )


# --------------------------------------------------------------------------------------------
# greedy, public, oracle
# --------------------------------------------------------------------------------------------
Row = tuple[int, float | None, str]  # (candidate, observed val_bpb or None for a crash, status)


def run_greedy(s: Stream, n_budget: int, rows: list[Row] | None = None) -> tuple[Record, int]:
    """autoresearch: keep iff lower than the best observed value. Returns (record, final j)."""
    rec = Record()
    mu, y_inc = BASE, s.y(BASE, 0, 0)
    best_j, t, j = 0, 1, 0
    if rows is not None:
        rows.append((0, y_inc, "keep"))
    while t < n_budget:
        j, t = j + 1, t + 1
        if s.crash[j]:
            if rows is not None:
                rows.append((j, None, "crash"))
            continue
        mu_c = mu + s.delta[j]
        y = s.y(mu_c, j, 0)
        keep = y < y_inc
        rec.add(1.0 if keep else 0.0, s.delta[j], keep)
        if rows is not None:
            rows.append((j, y, "keep" if keep else "discard"))
        if keep:
            mu, y_inc, best_j = mu_c, y, j
    rec.final_true, rec.reported, rec.runs = mu, y_inc, t
    return rec, best_j


def _phi(z: float) -> float:
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


def _public_verdict(keeps: list[float], y: float) -> tuple[str, float]:
    """The published tool: noise from the last 5 keeps, thresholds in units of that noise."""
    noise = float(np.std(np.diff(keeps[-5:]), ddof=1)) if len(keeps) >= 3 else 0.001
    noise = max(noise, 1e-12)
    gain = min(keeps) - y  # positive = improvement
    r = gain / noise
    conf = _phi(r)
    if r >= 0.5:  # STRONG_KEEP (≥3), KEEP (≥1.5), MARGINAL (≥0.5): all kept
        return "keep", conf
    return ("retest" if gain > 0 else "discard"), conf


def run_public(s: Stream, n_budget: int) -> Record:
    """The published autojudge: one RETEST whose rerun is judged alone."""
    rec = Record()
    mu = BASE
    keeps = [s.y(BASE, 0, 0)]
    t, j = 1, 0
    while t < n_budget:
        j, t = j + 1, t + 1
        if s.crash[j]:
            continue
        mu_c = mu + s.delta[j]
        verdict, conf = _public_verdict(keeps, y := s.y(mu_c, j, 0))
        if verdict == "retest" and t < n_budget:
            t += 1
            rec.extra_runs += 1
            verdict, conf = _public_verdict(keeps, y := s.y(mu_c, j, 1))
        keep = verdict == "keep"
        rec.add(conf, s.delta[j], keep)
        if keep:
            keeps.append(y)
            mu = mu_c
    rec.final_true, rec.reported, rec.runs = mu, min(keeps), t
    return rec


def run_oracle(s: Stream, n_budget: int) -> Record:
    """Keep iff the true effect is negative (no noise)."""
    rec = Record()
    mu, t, j = BASE, 1, 0
    while t < n_budget:
        j, t = j + 1, t + 1
        if s.crash[j]:
            continue
        keep = s.delta[j] < 0
        rec.add(1.0 if keep else 0.0, s.delta[j], bool(keep))
        if keep:
            mu += s.delta[j]
    rec.final_true, rec.reported, rec.runs = mu, mu, t
    return rec


# --------------------------------------------------------------------------------------------
# autojudge: the online loop around the library's decision code
# --------------------------------------------------------------------------------------------
@dataclass
class _PriorData:
    """The (d, n, v_inc) of every finished candidate, and the refit schedule."""

    d: list[float] = field(default_factory=list)
    n: list[int] = field(default_factory=list)
    v: list[float] = field(default_factory=list)
    since_fit: int = 0

    def add(self, d: float, n: int, v: float) -> None:
        self.d.append(d)
        self.n.append(n)
        self.v.append(v)
        self.since_fit += 1

    def refit(self, prior: EffectPrior, noise: NoiseFloor) -> None:
        """Refit after every candidate for the first 30, then every 5 (warm-started EM)."""
        m = len(self.d)
        if m > REFIT_ALL and self.since_fit < REFIT_EVERY:
            return
        s2 = noise.sigma**2
        se = np.sqrt(s2 / np.asarray(self.n, float) + np.asarray(self.v))
        smooth = max(0.5 * noise.sigma, GRID_STEP)
        prior.fit(self.d, se, smooth_sd=smooth, iters=40 if m <= REFIT_ALL else 15)
        self.since_fit = 0


@dataclass
class _NullDeltas:
    """What ``nullnoise.consecutive_deltas`` reads from the rows the loop has written so far."""

    deltas: list[float] = field(default_factory=list)
    last: float | None = None

    def add(self, x: float, kept: bool) -> None:
        if kept:
            self.last = None
            return
        if self.last is not None:
            self.deltas.append(x - self.last)
        self.last = x


def run_autojudge(s: Stream, n_budget: int, policy_kw: dict[str, Any]) -> Record:
    """Baseline twice, then assess → (retest → assess)* → keep/discard for every candidate."""
    rec = Record()
    policy_kw = dict(policy_kw)
    known = policy_kw.pop("_known", False)
    true_prior = policy_kw.pop("_true_prior", False)  # the model's effect distribution, fixed
    nu0 = policy_kw.pop("_nu0", None)  # weight of σ0's prior once replicates have 2 df

    def noise_of(groups: list[list[float]], deltas: list[float]) -> NoiseFloor:
        if known:
            return given_noise(s.sigma)
        floor = history_noise(groups, deltas, window=WINDOW)
        if nu0 is not None and floor.source in ("replicates", "window"):
            return pooled_noise(groups, window=WINDOW, nu0=nu0)
        return floor

    min_df = policy_kw.pop("_min_df", min_replicate_df(n_budget))
    policy = Policy(**policy_kw, min_df=min_df)
    out_of_budget = replace(policy, max_retests=0, min_df=0)  # decide now: no run left
    base = [math.log(s.y(BASE, 0, r)) for r in range(BASELINE_RUNS)]
    groups: list[list[float]] = [base]  # replicate groups on the working scale
    nulls = _NullDeltas()  # differences of consecutive non-kept first runs (the CLI's null)
    noise = noise_of(groups, nulls.deltas)
    inc = start(np.asarray(base), noise.sigma**2)
    prior = model_prior() if true_prior else EffectPrior.default_prior()
    data = _PriorData()
    mu, t, j = BASE, BASELINE_RUNS, 0
    rec.extra_runs = BASELINE_RUNS - 1
    started = crashes = finished = 0
    while t < n_budget:
        j, t, started = j + 1, t + 1, started + 1
        if s.crash[j]:
            crashes += 1
            continue
        mu_c = mu + s.delta[j]
        runs = [math.log(s.y(mu_c, j, 0))]
        crash_rate = (crashes + 1) / (started + 20)
        retest_rate = rec.extra_runs / max(finished, 1)
        while True:
            # as the CLI does, the candidate's own replicates count towards σ̂ once it has two
            floor = noise if len(runs) < 2 else noise_of([*groups, runs], nulls.deltas)
            ctx = Context(prior, inc, floor, None, crash_rate, retest_rate)
            a = assess(Candidate(tuple(runs)), ctx, policy if t < n_budget else out_of_budget)
            if a.verdict != RETEST:
                break
            t += 1
            rec.extra_runs += 1
            rec.evsi += 1
            runs.append(math.log(s.y(mu_c, j, len(runs))))
        kept = a.verdict in KEPT
        rec.add(a.p_improve, s.delta[j], kept)
        if a.next_action == "rerun_to_calibrate" and t < n_budget:  # the keep stands
            t, rec.extra_runs, rec.calibrate = t + 1, rec.extra_runs + 1, rec.calibrate + 1
            runs.append(math.log(s.y(mu_c, j, len(runs))))
        n = len(runs)
        post = prior.posterior(a.delta, a.delta_sd)
        data.add(a.delta, n, inc.var)
        inc = after_candidate(
            inc,
            post,
            prior.grid,
            float(np.mean(runs)),
            n,
            floor.sigma**2,
            kept=kept,
            bin_var=prior.bin_var,
        )
        nulls.add(runs[0], kept)
        if n >= 2:
            groups.append(runs)
        noise = noise_of(groups, nulls.deltas)
        if kept:
            mu = mu_c
        finished += 1
        if not true_prior:
            data.refit(prior, noise)
    rec.final_true, rec.reported, rec.runs = mu, math.exp(inc.mean), t
    rec.sigma_hat = noise.sigma
    return rec


# --------------------------------------------------------------------------------------------
# the audit of a greedy history with the real audit code
# --------------------------------------------------------------------------------------------
def results_text(rows: Sequence[Row], final_j: int, reruns: Sequence[float]) -> str:
    """A results.tsv of a greedy history plus reruns of the final commit (same hash)."""
    lines = ["commit\tval_bpb\tmemory_gb\tstatus\tdescription"]
    for j, y, status in rows:
        commit = f"{HASH0 + j:08x}"
        if y is None:
            lines.append(f"{commit}\t0.000000\t0.0\tcrash\texperiment {j}")
        else:
            desc = "baseline" if j == 0 else f"experiment {j}"
            lines.append(f"{commit}\t{y:.6f}\t44.0\t{status}\t{desc}")
    for k, y in enumerate(reruns):
        lines.append(f"{HASH0 + final_j:08x}\t{y:.6f}\t44.0\tkeep\taudit rerun {k + 1}")
    return "\n".join(lines) + "\n"


def run_audit(s: Stream, rows: Sequence[Row], final_j: int, final_mu: float) -> dict[str, Any]:
    """Survivors of BH and EB among the greedy keeps, and how many of them are false."""
    reruns = [final_mu + s.sigma * float(e) for e in s.extra[:AUDIT_RERUNS]]
    result = audit_history(parse_results(results_text(rows, final_j, reruns), "sim.tsv"))
    out = {k: [0, 0, 0.0] for k in ("raw", "bh", "eb")}  # [n, false, true gain]
    for row in result.rows:
        if row.assessment is None or not row.kept:
            continue
        d = float(s.delta[int(row.config.key, 16) - HASH0])
        for name, hit in (("raw", True), ("bh", row.survives_bh), ("eb", row.survives_eb)):
            if hit:
                out[name][0] += 1
                out[name][1] += int(d >= 0)
                out[name][2] += -d
    return {"sigma_hat": result.noise.sigma, **out}


# --------------------------------------------------------------------------------------------
# one history, all rules
# --------------------------------------------------------------------------------------------
Task = tuple[np.random.SeedSequence, int, float, tuple[str, ...], bool]


def one_history(task: Task) -> dict[str, Any]:
    seed, n_budget, sigma, rules, do_audit = task
    s = make_stream(seed, n_budget + 1, sigma)
    out: dict[str, Any] = {}
    rows: list[Row] = []
    for rule in rules:
        if rule == "greedy":
            rec, final_j = run_greedy(s, n_budget, rows if do_audit else None)
            out[rule] = rec.packed()
            if do_audit:
                out["audit"] = run_audit(s, rows, final_j, rec.final_true)
        elif rule == "public":
            out[rule] = run_public(s, n_budget).packed()
        elif rule == "oracle":
            out[rule] = run_oracle(s, n_budget).packed()
        elif rule in POLICIES:
            out[rule] = run_autojudge(s, n_budget, POLICIES[rule]).packed()
        else:
            raise ValueError(f"unknown rule {rule!r}")
    return out


# --------------------------------------------------------------------------------------------
# metrics
# --------------------------------------------------------------------------------------------
def ece(conf: np.ndarray, outcome: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error with equal-width bins."""
    if conf.size == 0:
        return math.nan
    idx = np.minimum((conf * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        m = idx == b
        if m.any():
            total += m.sum() / conf.size * abs(conf[m].mean() - outcome[m].mean())
    return float(total)


def mean_se(x: Sequence[float] | np.ndarray) -> tuple[float, float]:
    a = np.asarray(x, float)
    return float(a.mean()), float(a.std(ddof=1) / math.sqrt(a.size)) if a.size > 1 else math.nan


def ratio_se(num: np.ndarray, den: np.ndarray) -> tuple[float, float]:
    """Pooled ratio Σnum/Σden over histories and its delta-method se."""
    h, total = num.size, float(den.sum())
    if total == 0:
        return math.nan, math.nan
    r = float(num.sum()) / total
    if h < 2:
        return r, math.nan
    resid = num - r * den
    return r, float(math.sqrt(float((resid**2).sum()) / (h * (h - 1))) / (total / h))


def paired(hists: list[dict[str, Any]], rule: str, ref: str) -> tuple[float, float]:
    if ref not in hists[0]:
        return math.nan, math.nan
    return mean_se([h[rule]["final_true"] - h[ref]["final_true"] for h in hists])


def summarize(hists: list[dict[str, Any]], rule: str) -> dict[str, float]:
    recs = [h[rule] for h in hists]
    nh = len(recs)
    delta = np.concatenate([r["delta"] for r in recs])
    kept = np.concatenate([r["kept"] for r in recs])
    conf = np.concatenate([r["conf"] for r in recs])
    better = delta < 0
    keeps = int(kept.sum())
    false = int((kept & ~better).sum())
    fk_num = np.array([float((r["kept"] & (r["delta"] >= 0)).sum()) for r in recs])
    fk_den = np.array([float(r["kept"].sum()) for r in recs])
    final, final_se = mean_se([r["final_true"] for r in recs])
    vs_g, vs_g_se = paired(hists, rule, "greedy")
    vs_p, vs_p_se = paired(hists, rule, "public")
    return dict(
        false_keep_rate=false / keeps if keeps else math.nan,
        false_keep_rate_se=ratio_se(fk_num, fk_den)[1],
        false_keeps=false / nh,
        keeps=keeps / nh,
        recall=float((kept & better).sum() / better.sum()) if better.any() else math.nan,
        final=final,
        final_se=final_se,
        vs_greedy=vs_g,
        vs_greedy_se=vs_g_se,
        vs_public=vs_p,
        vs_public_se=vs_p_se,
        wc_gap=float(np.mean([r["reported"] - r["final_true"] for r in recs])),
        ece=ece(conf, better.astype(float)),
        extra=float(np.mean([r["extra_runs"] for r in recs])),
        calibrate=float(np.mean([r["calibrate"] for r in recs])),
        evsi=float(np.mean([r["evsi"] for r in recs])),
        sigma_hat=float(np.mean([r["sigma_hat"] for r in recs])),
        harmful_share=float((kept & (delta > 0)).sum() / keeps) if keeps else math.nan,
        null_share=float((kept & (delta == 0)).sum() / keeps) if keeps else math.nan,
        gain_kept=float(-delta[kept & better].sum() / nh),
        true_keeps=float((kept & better).sum() / nh),
        harm_kept=float(delta[kept & (delta > 0)].sum() / nh),
    )


def summarize_audit(hists: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for name in ("raw", "bh", "eb"):
        n = np.array([float(h["audit"][name][0]) for h in hists])
        f = np.array([float(h["audit"][name][1]) for h in hists])
        g = np.array([h["audit"][name][2] for h in hists])
        per, per_se = mean_se(n)
        fdp, fdp_se = ratio_se(f, n)
        out[name] = dict(
            keeps=per,
            keeps_se=per_se,
            fdp=fdp,
            fdp_se=fdp_se,
            true=float((n - f).mean()),
            gain=float(g.mean()),
        )
    out["sigma_hat"] = {"mean": float(np.mean([h["audit"]["sigma_hat"] for h in hists]))}
    return out


# --------------------------------------------------------------------------------------------
# tables
# --------------------------------------------------------------------------------------------
def _f(x: float, fmt: str) -> str:
    return "–" if x is None or not math.isfinite(x) else format(x, fmt)


def _pm(x: float, se: float, fmt: str = "+.5f") -> str:
    return f"{_f(x, fmt)} (±{_f(se, '.5f')})"


Cell = tuple[int, float, list[dict[str, Any]]]


def main_table(cells: list[Cell], rules: Sequence[str]) -> str:
    head = (
        "| N | σ | rule | false-keep rate | false keeps/hist | recall"
        " | final true val_bpb (±se) | Δ vs greedy, paired (±se) | Δ vs public, paired (±se)"
        " | WC gap (reported − true) | ECE | extra runs/hist | σ̂ (end) |"
    )
    lines = [head, "|" + "---|" * 13]
    for n_budget, sigma, hists in cells:
        for rule in rules:
            m = summarize(hists, rule)
            lines.append(
                f"| {n_budget} | {sigma:g} | {rule} | {_f(m['false_keep_rate'], '.3f')}"
                f" | {m['false_keeps']:.1f} | {_f(m['recall'], '.3f')}"
                f" | {_pm(m['final'], m['final_se'], '.5f')}"
                f" | {_pm(m['vs_greedy'], m['vs_greedy_se'])}"
                f" | {_pm(m['vs_public'], m['vs_public_se'])} | {m['wc_gap']:+.5f}"
                f" | {m['ece']:.3f} | {m['extra']:.1f} | {_f(m['sigma_hat'], '.5f')} |"
            )
    return "\n".join(lines)


def breakdown_table(cells: list[Cell], rules: Sequence[str]) -> str:
    head = (
        "| N | σ | rule | keeps/hist | harmful keeps (δ>0) share | null keeps (δ=0) share"
        " | true gain kept/hist | harm kept/hist | calibration runs/hist"
        " | within-noise retests/hist |"
    )
    lines = [head, "|" + "---|" * 10]
    for n_budget, sigma, hists in cells:
        for rule in rules:
            m = summarize(hists, rule)
            lines.append(
                f"| {n_budget} | {sigma:g} | {rule} | {m['keeps']:.1f}"
                f" | {_f(m['harmful_share'], '.3f')} | {_f(m['null_share'], '.3f')}"
                f" | {m['gain_kept']:.4f} | {m['harm_kept']:.4f} | {m['calibrate']:.1f}"
                f" | {m['evsi']:.1f} |"
            )
    return "\n".join(lines)


def audit_table(cells: list[Cell]) -> str:
    head = (
        "| N | σ | audit | keeps/hist (±se) | FDP among kept (±se) | true improvements/hist"
        " | true gain kept/hist | σ̂ (audit) |"
    )
    lines = [head, "|" + "---|" * 8]
    for n_budget, sigma, hists in cells:
        if "audit" not in hists[0]:
            continue
        a = summarize_audit(hists)
        for name in ("raw", "bh", "eb"):
            m = a[name]
            lines.append(
                f"| {n_budget} | {sigma:g} | {name} | {m['keeps']:.2f} (±{m['keeps_se']:.2f})"
                f" | {_f(m['fdp'], '.3f')} (±{_f(m['fdp_se'], '.3f')}) | {m['true']:.2f}"
                f" | {m['gain']:.5f} | {a['sigma_hat']['mean']:.5f} |"
            )
    return "\n".join(lines)


def gap_closed(hists: list[dict[str, Any]], rule: str) -> tuple[float, float]:
    """(greedy − rule) / (greedy − oracle) of the final true value, pooled; delta-method se."""
    num = np.array([h["greedy"]["final_true"] - h[rule]["final_true"] for h in hists])
    den = np.array([h["greedy"]["final_true"] - h["oracle"]["final_true"] for h in hists])
    return ratio_se(num, den)


def targets_table(cells: list[Cell], rules: Sequence[str]) -> str:
    """Issue 12's targets: gap closed, false keeps vs greedy, true gains kept, ECE."""
    if not {"greedy", "oracle", "autojudge"} <= set(rules):
        return ""
    head = (
        "| N | σ | final true: greedy / autojudge / oracle | gap closed (±se) | target"
        " | false keeps/hist: autojudge vs greedy | true gains kept/hist: autojudge vs greedy"
        " | ECE | runs used for retests/hist | met |"
    )
    lines = [head, "|" + "---|" * 10]
    for n_budget, sigma, hists in cells:
        g, a, o = (summarize(hists, r) for r in ("greedy", "autojudge", "oracle"))
        gap, gap_se = gap_closed(hists, "autojudge")
        target = 0.30 if sigma == 0.001 else 0.35 if sigma >= 0.002 else 0.0
        gap_ok = gap >= target if sigma >= 0.001 else a["vs_greedy"] <= 2 * a["vs_greedy_se"]
        ok = gap_ok and a["false_keeps"] <= g["false_keeps"] and a["ece"] <= 0.05
        want = f"≥ {target:.2f}" if sigma >= 0.001 else "not worse than greedy"
        lines.append(
            f"| {n_budget} | {sigma:g} | {g['final']:.5f} / {a['final']:.5f} / {o['final']:.5f}"
            f" | {gap:.3f} (±{_f(gap_se, '.3f')}) | {want}"
            f" | {a['false_keeps']:.1f} vs {g['false_keeps']:.1f}"
            f" | {a['true_keeps']:.1f} vs {g['true_keeps']:.1f} | {a['ece']:.3f}"
            f" | {a['extra']:.1f} | {_check(ok)} |"
        )
    return "\n".join(lines)


def _check(ok: bool) -> str:
    return "yes" if ok else "**NO**"


def criteria_table(cells: list[Cell], rules: Sequence[str]) -> str:
    """The acceptance criteria of docs/stats.md §8, checked on this run (autojudge = optimize)."""
    if "autojudge" not in rules:
        return ""
    lines = ["| N | σ | criterion | value | met |", "|---|---|---|---|---|"]
    for n_budget, sigma, hists in cells:
        m = summarize(hists, "autojudge")
        cell = f"| {n_budget} | {sigma:g} "
        if "greedy" in rules:
            d, se = m["vs_greedy"], m["vs_greedy_se"]
            if sigma >= 0.001:
                crit, ok = "better than greedy (Δ + 2se < 0)", d + 2 * se < 0
            elif n_budget >= 700:
                crit, ok = "no worse than greedy beyond 2 se (Δ ≤ 2se)", d <= 2 * se
            else:
                crit, ok = "cost vs greedy (reported only)", True
            lines.append(f"{cell}| {crit} | {_pm(d, se)} | {_check(ok)} |")
        if "public" in rules:
            d, se = m["vs_public"], m["vs_public_se"]
            lines.append(
                f"{cell}| better than public (Δ + 2se < 0) | {_pm(d, se)}"
                f" | {_check(d + 2 * se < 0)} |"
            )
        limit = 0.05 if sigma <= 0.001 else 0.08
        lines.append(f"{cell}| ECE ≤ {limit} | {m['ece']:.3f} | {_check(m['ece'] <= limit)} |")
        if "autojudge_strict" in rules:
            st = summarize(hists, "autojudge_strict")
            fk, fk_se = st["false_keep_rate"], st["false_keep_rate_se"]
            lines.append(
                f"{cell}| strict false-keep rate ≤ 0.25 | {fk:.3f} (±{fk_se:.3f})"
                f" | {_check(fk <= 0.25)} |"
            )
        if "audit" in hists[0]:
            a = summarize_audit(hists)
            for name in ("bh", "eb"):
                fdp, se = a[name]["fdp"], a[name]["fdp_se"]
                ok = math.isfinite(fdp) and fdp - 2 * se <= 0.10
                lines.append(
                    f"{cell}| audit {name} FDP ≤ 0.10 within 2 se | {_f(fdp, '.3f')}"
                    f" (±{_f(se, '.3f')}) | {_check(ok)} |"
                )
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# driver
# --------------------------------------------------------------------------------------------
def cell_tasks(
    seed: int, n_budget: int, sigma: float, h: int, rules: tuple[str, ...], do_audit: bool
) -> list[Task]:
    seq = np.random.SeedSequence([seed, n_budget, round(sigma * 1e7)])
    return [(sq, n_budget, sigma, rules, do_audit) for sq in seq.spawn(h)]


def run_cells(args: argparse.Namespace, log: Callable[[str], None]) -> list[Cell]:
    rules = tuple(args.rules)
    do_audit = args.audit and "greedy" in rules
    cells: list[Cell] = []
    t0 = time.perf_counter()
    ctx = mp.get_context("fork")
    pool = ctx.Pool(args.workers) if args.workers > 1 else None
    try:
        for n_budget in args.N:
            for sigma in args.sigma:
                tasks = cell_tasks(args.seed, n_budget, sigma, args.H, rules, do_audit)
                t1 = time.perf_counter()
                if pool is not None:
                    hists = pool.map(one_history, tasks, chunksize=1)
                else:
                    hists = [one_history(task) for task in tasks]
                cells.append((n_budget, sigma, hists))
                now = time.perf_counter()
                log(f"[{now - t0:7.1f}s] N={n_budget} σ={sigma:g} H={args.H}: {now - t1:.1f}s")
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    return cells


def report(cells: list[Cell], args: argparse.Namespace, seconds: float) -> str:
    rules = tuple(args.rules)
    cmd = " ".join(["uv run python benchmarks/simulate.py", *sys.argv[1:]])
    parts = [
        f"Command: `{cmd}`  ",
        f"H = {args.H} histories per cell, seed {args.seed}, {args.workers} worker(s), "
        f"wall time {seconds:.0f} s.",
        "",
        "### Decisions and final value",
        "",
        main_table(cells, rules),
        "",
        "### What the keeps are",
        "",
        breakdown_table(cells, rules),
    ]
    if args.audit and "greedy" in rules:
        parts += [
            "",
            f"### Audit of the greedy histories ({AUDIT_RERUNS} reruns of the final"
            " commit, `autolab_shared.stats.audit.audit`, q = 0.10)",
            "",
            audit_table(cells),
        ]
    targets = targets_table(cells, rules)
    if targets:
        parts += ["", "### Issue 12 targets (autojudge = optimize policy)", "", targets]
    crit = criteria_table(cells, rules)
    if crit:
        parts += ["", "### Acceptance criteria (autojudge = optimize policy)", "", crit]
    return "\n".join(parts) + "\n"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--H", type=int, default=200, help="histories per cell (default 200)")
    ap.add_argument("--N", type=int, nargs="+", default=[100, 700], help="run budgets")
    ap.add_argument("--sigma", type=float, nargs="+", default=[0.0005, 0.001, 0.002])
    ap.add_argument("--seed", type=int, default=20260501)
    ap.add_argument("--workers", type=int, default=2, help="processes (default 2)")
    ap.add_argument("--rules", nargs="+", default=list(RULES), choices=ALL_RULES)
    ap.add_argument(
        "--audit",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="audit the greedy histories with autolab_shared.stats.audit (default on)",
    )
    ap.add_argument(
        "--window",
        type=int,
        default=0,
        help="replicate groups pooled for the noise floor (0 = all, the CLI uses 5)",
    )
    ap.add_argument("--out", default=None, help="also write the markdown to this file")
    ap.add_argument("--quick", action="store_true", help="smoke test: H=20, N=100 only")
    args = ap.parse_args(argv)
    if args.quick:
        args.H, args.N = 20, [100]
    return args


def main(argv: Sequence[str] | None = None) -> int:
    global WINDOW
    args = parse_args(argv)
    WINDOW = args.window
    t0 = time.perf_counter()
    cells = run_cells(args, lambda msg: print(msg, file=sys.stderr, flush=True))
    text = report(cells, args, time.perf_counter() - t0)
    print(text)
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
