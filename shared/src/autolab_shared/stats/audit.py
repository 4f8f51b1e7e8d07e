"""Audit a whole history: a verdict for every experiment and the keeps that survive FDR control.

Frequentist: one-sided p_i = Φ(d_i/s_i) for H0 "no improvement" over all judged rows (not only
keeps, which would be post-selection), Benjamini–Hochberg at q. Bayesian: local fdr
1 − P(improvement) from the empirical-Bayes prior with s_i inflated by √(df/(df−2)) for the
uncertainty in σ̂; the largest set of keeps whose mean lfdr ≤ q.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from autolab_shared.core.scale import Scale, scale_for
from autolab_shared.core.vocabulary import Verdict
from autolab_shared.parsing.replicates import Config, group_configs, replicate_groups
from autolab_shared.parsing.results import History
from autolab_shared.stats.asitwent import as_the_night_went, opening
from autolab_shared.stats.chain import ChainState, effect_span, fit_prior, replay, step
from autolab_shared.stats.decision import (
    CRASH,
    Assessment,
    Context,
    Policy,
    noise_var,
    shown,
)
from autolab_shared.stats.noise import NoiseFloor, given_relative, history_noise
from autolab_shared.stats.nullnoise import consecutive_deltas
from autolab_shared.stats.prior import EffectPrior

if TYPE_CHECKING:
    from autolab_shared.core.arrays import FloatArray

BASELINE = Verdict.BASELINE
FDR_Q = 0.10
AUDIT_RERUNS = 4
P_NIGHT_REAL = 0.95  # night's verdict REAL IMPROVEMENT (exit 0) at or above
P_NIGHT_NONE = 0.50  # NO REAL IMPROVEMENT (exit 1) at or below; NOT ENOUGH SIGNAL (2) between


def night_p(p: float) -> str:
    """P(real improvement) as printed beside the night's verdict (`decision.shown` with its
    bounds: exit 0 from P_NIGHT_REAL, exit 1 up to P_NIGHT_NONE inclusive)."""
    return shown(p, starts=(P_NIGHT_REAL,), ends=(P_NIGHT_NONE,))


@dataclass(frozen=True)
class AuditRow:
    """One configuration as the single call judged it at its row, with its hindsight FDR
    standing (p, lfdr: the whole night's σ̂ and prior)."""

    config: Config
    assessment: Assessment | None  # None for the baseline and crashes
    kept: bool
    p_value: float | None
    lfdr: float | None
    survives_bh: bool
    survives_eb: bool
    sigma: float = math.nan  # the noise sd (working scale) the verdict was judged with
    noise_source: str = ""  # where that sd came from (NoiseFloor.source): 'default', 'history', ...
    opening: Assessment | None = None  # the baseline's row: what the single call said there

    @property
    def verdict(self) -> Verdict:
        """The label: the assessment's; for the baseline, the single call's there (RETEST to
        measure the noise, or KEEP), else BASELINE; CRASH for a crash."""
        if self.assessment is not None:
            return self.assessment.verdict
        if not self.config.valued:
            return CRASH
        return self.opening.verdict if self.opening is not None else BASELINE

    @property
    def exit_code(self) -> int:
        """The exit code the single call would have given at the row (1 for a crash)."""
        return int(self.verdict.exit_code)


@dataclass(frozen=True)
class Audit:
    """The whole-history audit."""

    rows: tuple[AuditRow, ...]
    noise: NoiseFloor
    scale: Scale
    baseline: Config | None
    best: Config | None
    improvement: float | None  # best mean − baseline mean, metric units (negative = better for min)
    improvement_ci90: tuple[float, float] | None
    p_real: float | None  # P(the final incumbent beats the baseline)
    exit_verdict: int  # 0 real improvement, 1 none, 2 not enough signal
    q: float

    def holds_best(self, config: Config) -> bool:
        """Whether a run of `config` has the best value as written."""
        return any(e.value == self.best_raw for e in config.valued)

    @property
    def best_raw_row(self) -> AuditRow | None:
        """The kept configuration that holds the best value as written (the first, on a tie):
        not the final incumbent (`best`) when the night kept a new track after it."""
        return next((r for r in self.rows if r.kept and self.holds_best(r.config)), None)

    @property
    def raw_improvement(self) -> float | None:
        """Best kept value in the file − the baseline's first value (what the user sees)."""
        if self.baseline is None or self.best_raw is None:
            return None
        first = self.baseline.valued[0].value
        return None if first is None else self.best_raw - first

    best_raw: float | None = None  # the best value of a kept row, as written in the file
    prior_null: float | None = None  # the fitted effect prior's mass at exactly no effect
    prior_better: float | None = None  # its mass at a gain of one noise sd or more


def prior_shares(prior: EffectPrior, sigma: float) -> tuple[float, float]:
    """The prior's mass at no effect, and at a gain (negative δ) of at least ``sigma``."""
    return prior.pi_null, float(prior.weights[prior.grid <= -sigma].sum())


def benjamini_hochberg(p: FloatArray, q: float) -> FloatArray:
    """Boolean mask of hypotheses rejected by BH at level q."""
    m = p.size
    if m == 0:
        return np.zeros(0, dtype=bool)
    order = np.argsort(p)
    passed = p[order] <= q * np.arange(1, m + 1) / m
    k = int(np.max(np.flatnonzero(passed))) + 1 if passed.any() else 0
    mask = np.zeros(m, dtype=bool)
    mask[order[:k]] = True
    return mask


def _phi(z: float) -> float:
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


def audit(
    history: History,
    *,
    window: int = 0,
    noise: float | None = None,
    q: float = FDR_Q,
    policy: Policy | None = None,
    row_window: int = 5,
) -> Audit:
    """Replay the whole history: each configuration's verdict as the night went (the single
    call at its row, with `row_window` as its --window), its hindsight FDR standing, and the
    night's verdict from the whole night's σ̂ and prior."""
    configs = group_configs(history.experiments)
    values = [e.value for e in history.experiments if e.value is not None]
    scale = scale_for(values, history.direction)
    deltas = consecutive_deltas(history.experiments, scale)
    floor = _noise(configs, scale, values, deltas, window, noise)
    sigma2 = floor.sigma**2
    span = effect_span(configs, scale)
    first = replay(configs, scale, EffectPrior.default_prior(span=span), sigma2)
    prior = fit_prior(first, sigma2, max(0.5 * floor.sigma, 1e-9), span)
    pol = policy or Policy()
    hind, kept, state = _hindsight(configs, scale, prior, floor, pol)
    known = floor if noise is not None else None
    went = as_the_night_went(history, configs, scale, pol, window=row_window, known=known)
    base = next((i for i, c in enumerate(configs) if c.valued), -1)  # the baseline
    said = opening(configs[base], went[base][1], pol) if base >= 0 else None
    rows = [
        AuditRow(c, a, k, None, None, False, False, f.sigma, f.source, said if i == base else None)
        for i, (c, (a, f), k) in enumerate(zip(configs, went, kept, strict=True))
    ]
    rows = _fdr(rows, hind, prior, floor, q)
    null, better = prior_shares(prior, floor.sigma)
    return replace(_conclude(rows, state, scale, floor, q), prior_null=null, prior_better=better)


def _noise(
    configs: list[Config],
    scale: Scale,
    values: list[float],
    deltas: list[float],
    window: int,
    noise: float | None,
) -> NoiseFloor:
    if noise is not None:
        return given_relative(noise, values, scale.log)
    return history_noise(replicate_groups(configs, scale), deltas, window=window, log=scale.log)


def _hindsight(
    configs: list[Config], scale: Scale, prior: EffectPrior, floor: NoiseFloor, policy: Policy
) -> tuple[list[tuple[float, float] | None], list[bool], ChainState]:
    """Each configuration's difference from its incumbent and its sd under the whole night's σ̂
    and prior (None for the baseline and crashes), whether the chain kept it, the final chain."""
    state, out, kept = ChainState(), [], []
    for config in configs:
        x = config.x(scale)
        ds = None
        if state.incumbent is not None and x.size:
            ctx = Context(prior, state.incumbent, floor, None, 0.0, 0.0)
            var = noise_var(ctx, policy) / x.size + state.incumbent.var
            ds = (float(x.mean()) - state.incumbent.mean, math.sqrt(var))
        kept_before = len(state.kept)
        step(state, config, scale, prior, floor.sigma**2)
        kept.append(len(state.kept) > kept_before)
        out.append(ds)
    return out, kept, state


def _fdr(
    rows: list[AuditRow],
    hind: list[tuple[float, float] | None],
    prior: EffectPrior,
    floor: NoiseFloor,
    q: float,
) -> list[AuditRow]:
    judged = [i for i, h in enumerate(hind) if h is not None and rows[i].assessment is not None]
    if not judged:
        return rows
    d = np.array([hind[i][0] for i in judged])  # type: ignore[index]
    s = np.array([hind[i][1] for i in judged])  # type: ignore[index]
    p = np.array([_phi(di / si) if si > 0 else float(di >= 0) for di, si in zip(d, s, strict=True)])
    bh = benjamini_hochberg(p, q)
    inflate = math.sqrt(floor.df / (floor.df - 2)) if floor.df > 2 else 2.0
    s_eb = s * (1.0 if floor.known else inflate)
    lfdr = np.array(
        [
            1 - min(1.0, float(prior.posterior(di, si)[prior.grid < 0].sum()))
            for di, si in zip(d, s_eb, strict=True)
        ]
    )
    eb = _bayes_fdr_set([rows[i].kept for i in judged], lfdr, q)
    out = list(rows)
    for k, i in enumerate(judged):
        out[i] = replace(
            rows[i],
            p_value=float(p[k]),
            lfdr=float(lfdr[k]),
            survives_bh=bool(bh[k] and rows[i].kept),
            survives_eb=bool(eb[k]),
        )
    return out


def _bayes_fdr_set(kept: list[bool], lfdr: FloatArray, q: float) -> FloatArray:
    """The largest set of keeps, taken in increasing lfdr, whose mean lfdr stays ≤ q."""
    idx = np.array([i for i, k in enumerate(kept) if k], dtype=int)
    chosen = np.zeros(lfdr.size, dtype=bool)
    if idx.size == 0:
        return chosen
    order = idx[np.argsort(lfdr[idx])]
    running = np.cumsum(lfdr[order]) / np.arange(1, order.size + 1)
    ok = np.flatnonzero(running <= q)
    if ok.size:
        chosen[order[: int(ok.max()) + 1]] = True
    return chosen


def _conclude(
    rows: list[AuditRow], state: ChainState, scale: Scale, floor: NoiseFloor, q: float
) -> Audit:
    baseline = next((r.config for r in rows if r.config.x(scale).size), None)
    inc, best = state.incumbent, state.incumbent_config
    raw = state.best_raw.value if state.best_raw is not None else None
    if inc is None or baseline is None or best is None or best is baseline:
        return Audit(tuple(rows), floor, scale, baseline, best, None, None, None, 1, q, raw)
    xb = baseline.x(scale)
    diff = inc.mean - float(xb.mean())
    sd = math.sqrt(inc.var + floor.sigma**2 / xb.size)
    p_real = _phi(-diff / sd) if sd > 0 else float(diff < 0)
    lo, hi = diff - 1.645 * sd, diff + 1.645 * sd
    at = float(xb.mean())
    ci = tuple(sorted((scale.delta_y(lo, at), scale.delta_y(hi, at))))
    return Audit(
        tuple(rows),
        floor,
        scale,
        baseline,
        best,
        scale.delta_y(diff, at),
        (ci[0], ci[1]),
        p_real,
        night_verdict(p_real),
        q,
        raw,
    )


def night_verdict(p_real: float) -> int:
    """Exit code of the night from P(final incumbent beats the baseline): 0, 1 or 2."""
    return 0 if p_real >= P_NIGHT_REAL else 1 if p_real <= P_NIGHT_NONE else 2
