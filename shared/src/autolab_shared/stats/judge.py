"""Judge one candidate against a history: the library entry point behind ``autojudge``.

The verdict never reads the candidate's own status word: the candidate's rows are taken out
of the chain, pooled, and judged against the incumbent the chain had before them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace

from autolab_shared.core.eqrepr import EqRepr
from autolab_shared.core.errors import InputError
from autolab_shared.core.gcpause import paused_gc
from autolab_shared.core.scale import Scale, scale_for
from autolab_shared.core.vocabulary import CrashKind, NextAction, Reason, Verdict
from autolab_shared.parsing.replicates import (
    Config,
    candidate_key,
    replicate_groups,
)
from autolab_shared.parsing.results import Experiment, History
from autolab_shared.stats.chain import ChainState, fit_prior, replay, values_span
from autolab_shared.stats.decision import (
    KEEP,
    RETEST,
    Assessment,
    Candidate,
    Context,
    Policy,
    assess,
    crash_assessment,
)
from autolab_shared.stats.noise import NoiseFloor, given_relative, history_noise, min_replicate_df
from autolab_shared.stats.nullnoise import deltas_of_columns
from autolab_shared.stats.pareto import DOMINATED, EFFICIENT, Point, dominating
from autolab_shared.stats.prior import EffectPrior
from autolab_shared.stats.verdictconfigs import VerdictConfigs, pick_configs, valued

SIMPLIFICATION = r"\b(simplif\w*|remove[sd]?|delete[sd]?|drop(?:ped|s)?|clean ?up)\b"  # re.I
_STEMS = ("simplif", "remove", "delete", "drop", "clean")  # in every match of it
STREAK_WARN = 10
PLATEAU_WINDOW = 30


@dataclass(eq=False, repr=False)
class RunInput(EqRepr):
    """A candidate that is not (yet) a row: usually the run.log just produced."""

    value: float | None
    memory_gb: float | None
    commit: str = ""
    description: str = ""
    crash: CrashKind | None = None  # crash class when the run produced no value
    crash_detail: str = ""


@dataclass(eq=False, repr=False)
class JudgeOptions(EqRepr):
    """--window, --noise (metric units) and the decision policy."""

    window: int = 5
    noise: float | None = None
    policy: Policy = field(default_factory=Policy)


@dataclass(eq=False, repr=False)
class IncumbentView(EqRepr):
    """The configuration the candidate was compared with, in metric units."""

    commit: str
    description: str
    line: int
    mean: float
    sd: float
    raw_best: float | None
    memory_gb: float | None


@dataclass(eq=False, repr=False)
class Judgement(EqRepr):
    """Everything autojudge reports about one candidate."""

    name: str
    commit: str
    description: str
    metric: str
    direction: str
    assessment: Assessment
    value: float | None
    runs: int
    memory_gb: float | None
    incumbent: IncumbentView | None
    delta: float | None
    noise: NoiseFloor
    noise_metric: float
    pareto: str | None
    dominated_by: tuple[str, ...]
    crash: CrashKind | None
    crash_detail: str
    warnings: tuple[str, ...]
    prior: EffectPrior

    @property
    def log_scale(self) -> bool:
        """False on a linear scale (a value <= 0): working amounts are in the metric's units."""
        return self.noise.log

    @property
    def verdict(self) -> Verdict:
        return self.assessment.verdict


def judge(
    history: History, run: RunInput | None = None, options: JudgeOptions | None = None
) -> Judgement:
    """Judge the run (or, without one, the history's last row) against the rows before it."""
    with paused_gc():  # it builds an object per configuration and makes no cycles
        return _judge_history(history, run, options)


def _judge_history(
    history: History, run: RunInput | None, options: JudgeOptions | None
) -> Judgement:
    opts = options or JudgeOptions()
    table = history.table  # rows by column: only the rows it names are made
    if run is None and not len(table):
        raise InputError(history.path, "no experiments to judge (the file has no rows)")
    keys = table.keys
    if run is None:
        key = keys[-1]
    else:
        key = candidate_key(history.experiments, run.commit, run.description)
    values = valued(table.values)
    if run is not None and run.value is not None:
        values.append(run.value)
    scale = scale_for(values, history.direction)
    picked = pick_configs(table, key, scale)
    cand_rows, first = picked.rows, picked.first
    x_cand = [scale.to_x(e.value) for e in cand_rows if e.value is not None]
    if run is not None and run.value is not None:
        x_cand.append(scale.to_x(run.value))
    statuses = table.statuses[:first]
    deltas = deltas_of_columns(table.values[:first], statuses, keys[:first], scale, skip=key)
    noise = _noise(picked.measured, len(table), key, x_cand, scale, values, deltas, opts)
    return _judge(history, run, opts, cand_rows, picked, scale, x_cand, noise)


def _noise(
    configs: list[Config],
    n_rows: int,
    key: str,
    x_cand: list[float],
    scale: Scale,
    values: list[float],
    deltas: list[float],
    opts: JudgeOptions,
) -> NoiseFloor:
    if opts.noise is not None:
        return given_relative(opts.noise, values, scale.log)
    groups = replicate_groups(configs, scale, (key, n_rows, x_cand))
    return history_noise(groups, deltas, window=opts.window, log=scale.log)


def _judge(
    history: History,
    run: RunInput | None,
    opts: JudgeOptions,
    cand_rows: list[Experiment],
    picked: VerdictConfigs,
    scale: Scale,
    x_cand: list[float],
    noise: NoiseFloor,
) -> Judgement:
    sigma2 = noise.sigma**2
    smooth = max(0.5 * noise.sigma, 1e-9)
    span = values_span(picked.span_values, scale, x_cand)
    before = picked.window
    first = replay(before, scale, EffectPrior.default_prior(span=span), sigma2)
    prior = fit_prior(first, sigma2, smooth, span)
    state = replay(before, scale, prior, sigma2)
    crash, detail = _crash_of(run, x_cand)
    memory = _memory(cand_rows, run)
    n_exp = len(history.table) + (1 if run is not None else 0)
    policy = replace(opts.policy, min_df=max(opts.policy.min_df, min_replicate_df(n_exp)))
    if crash is not None:
        assessment = crash_assessment(crash)
    elif state.incumbent is None:
        assessment = baseline_assessment(len(x_cand), noise, policy)
    else:
        desc = run.description if run is not None else cand_rows[-1].description
        cand = Candidate(tuple(x_cand), memory, simplifies(desc or ""))
        inc_mem = state.incumbent_config.memory_gb if state.incumbent_config else None
        ctx = Context(prior, state.incumbent, noise, inc_mem, state.crash_rate, state.retest_rate)
        assessment = assess(cand, ctx, policy)
    return _assemble(
        history,
        run,
        cand_rows,
        scale,
        x_cand,
        noise,
        state,
        prior,
        assessment,
        crash,
        detail,
        memory,
    )


def simplifies(description: str) -> bool:
    """Whether a description's change part (autosteer's: results and reasons cut off) says it
    removes something (:data:`SIMPLIFICATION`); "tok/sec dropped 68K->64K" after the change
    is a result, not a removal. An ASCII description without any of the stems needs no regex
    (nor `changepart`'s import at start-up)."""
    if description.isascii() and not any(stem in description.lower() for stem in _STEMS):
        return False
    from autolab_shared.parsing.changepart import change_part  # autosteer's reading

    return re.search(SIMPLIFICATION, change_part(description), re.IGNORECASE) is not None


def _crash_of(run: RunInput | None, x_cand: list[float]) -> tuple[CrashKind | None, str]:
    if run is not None and (run.crash is not None or run.value is None):
        return run.crash or CrashKind.NO_VALUE, run.crash_detail
    if not x_cand:
        return CrashKind.CRASH, "the candidate row has no metric value"
    return None, ""


def _memory(cand_rows: list[Experiment], run: RunInput | None) -> float | None:
    mems = [e.memory_gb for e in cand_rows if e.memory_gb is not None and e.value is not None]
    if run is not None and run.memory_gb is not None:
        mems.append(run.memory_gb)
    return max(mems) if mems else None


def baseline_assessment(n: int, noise: NoiseFloor, policy: Policy) -> Assessment:
    """The first configuration has nothing to beat; it needs a replicate for σ̂."""
    nan = math.nan
    needs_rerun = n < 2 and not noise.known and noise.replicate_df < policy.min_df
    verdict, reason = (RETEST, Reason.CALIBRATE) if needs_rerun else (KEEP, Reason.BASELINE)
    action = NextAction.RERUN_CANDIDATE if needs_rerun else None
    return Assessment(
        verdict, nan, nan, nan, nan, (nan, nan), nan, n, None, None, (reason,), action
    )


def _assemble(
    history: History,
    run: RunInput | None,
    cand_rows: list[Experiment],
    scale: Scale,
    x_cand: list[float],
    noise: NoiseFloor,
    state: ChainState,
    prior: EffectPrior,
    assessment: Assessment,
    crash: CrashKind | None,
    detail: str,
    memory: float | None,
) -> Judgement:
    inc = state.incumbent
    at = inc.mean if inc is not None else (sum(x_cand) / len(x_cand) if x_cand else 0.0)
    value = scale.to_y(sum(x_cand) / len(x_cand)) if x_cand and crash is None else None
    delta = None
    if inc is not None and value is not None:
        delta = scale.delta_y(sum(x_cand) / len(x_cand) - inc.mean, inc.mean)
    source = cand_rows[-1] if cand_rows else None
    commit = run.commit if run is not None else (source.commit if source else "")
    desc = run.description if run is not None else (source.description if source else "")
    number = len(history.table) + 1 if run is not None else history.table.row(-1).index + 1
    status, above = _pareto(state, scale, value, memory, history.direction, commit)
    return Judgement(
        name=f"experiment_{number:03d}",
        commit=commit,
        description=desc,
        metric=history.metric,
        direction=history.direction,
        assessment=assessment,
        value=value,
        runs=len(x_cand) if crash is None else 0,
        memory_gb=memory,
        incumbent=_incumbent_view(state, scale),
        delta=delta,
        noise=noise,
        noise_metric=scale.spread_y(noise.sigma, at),
        pareto=status,
        dominated_by=above,
        crash=crash,
        crash_detail=detail,
        warnings=_warnings(state, noise),
        prior=prior,
    )


def _incumbent_view(state: ChainState, scale: Scale) -> IncumbentView | None:
    inc, config = state.incumbent, state.incumbent_config
    if inc is None or config is None:
        return None
    raw = state.best_raw.value if state.best_raw is not None else None
    return IncumbentView(
        commit=config.first.commit,
        description=config.first.description,
        line=config.first.line,
        mean=scale.to_y(inc.mean),
        sd=scale.spread_y(inc.sd, inc.mean),
        raw_best=raw,
        memory_gb=config.memory_gb,
    )


def _pareto(
    state: ChainState,
    scale: Scale,
    value: float | None,
    memory: float | None,
    direction: str,
    commit: str,
) -> tuple[str | None, tuple[str, ...]]:
    if value is None or memory is None:
        return None, ()
    others = []
    for config in state.kept:
        x, mem = config.x(scale), config.memory_gb
        if x.size and mem is not None:
            others.append(
                Point(config.first.commit or config.key, scale.to_y(float(x.mean())), mem)
            )
    above = dominating(Point(commit or "candidate", value, memory), others, direction)
    return (DOMINATED if above else EFFICIENT), tuple(p.key for p in above)


def _warnings(state: ChainState, noise: NoiseFloor) -> tuple[str, ...]:
    out = []
    if state.since_keep >= STREAK_WARN:
        out.append(f"streak: {state.since_keep} experiments since the last keep; change direction")
    if len(state.means) > PLATEAU_WINDOW:
        gain = state.means[-PLATEAU_WINDOW - 1] - state.means[-1]
        if gain < noise.sigma:
            out.append(
                f"plateau: the last {PLATEAU_WINDOW} experiments moved the incumbent by"
                f" {f'{gain * 100:.3f}%' if noise.log else f'{gain:.4g}'} (less than one noise sd)"
            )
    if noise.note and noise.source != "default":
        out.append(f"noise: {noise.note}")
    if noise.outliers:
        out.append(f"noise: {len(noise.outliers)} replicate run(s) look like outliers (|z| > 5)")
    return tuple(out)
