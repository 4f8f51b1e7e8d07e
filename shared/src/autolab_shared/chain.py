"""Rebuild the keep/discard chain of a history: configurations, the incumbent at each step.

Rows whose commit is the same git hash (or that name ``rerun-of:<hash>`` in the description)
measured one configuration: they are pooled into one :class:`Config` at its first row. The
incumbent is the last kept configuration; a history without status words is read greedily.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .arrays import FloatArray
from .incumbent import Incumbent, after_candidate, start
from .prior import EffectPrior
from .results import Experiment
from .scale import Scale
from .status import DISCARD, KEEP

_RERUN_OF = re.compile(r"\brerun[-_ ]of[:= ]\s*([0-9a-fA-F]{7,40})\b")


def replicate_key(exp: Experiment) -> str:
    """The configuration a row measured: its hash, a ``rerun-of:`` hash, or the row itself."""
    found = _RERUN_OF.search(exp.description) if "rerun" in exp.description else None
    if found:
        return found.group(1).lower()
    if exp.is_hash:
        return exp.commit.lower()
    return f"#row{exp.index}"


@dataclass(frozen=True)
class Config:
    """One configuration: every row that measured it, in file order."""

    key: str
    rows: tuple[Experiment, ...]

    @property
    def first(self) -> Experiment:
        return self.rows[0]

    @property
    def valued(self) -> tuple[Experiment, ...]:
        """Rows with a metric value (not crashes)."""
        return tuple(r for r in self.rows if r.value is not None)

    @property
    def memory_gb(self) -> float | None:
        """The largest peak memory recorded for it."""
        mems = [r.memory_gb for r in self.valued if r.memory_gb is not None]
        return max(mems) if mems else None

    @property
    def label(self) -> bool | None:
        """True if any row kept it, False if a row discarded it, None when no row says."""
        statuses = {r.status for r in self.valued}
        if KEEP in statuses:
            return True
        return False if DISCARD in statuses else None

    def x(self, scale: Scale) -> FloatArray:
        """Its values on the working scale."""
        return np.array([scale.to_x(r.value) for r in self.valued if r.value is not None])


def group_configs(experiments: Sequence[Experiment]) -> list[Config]:
    """Pool rows by replicate key, ordered by first appearance."""
    rows: dict[str, list[Experiment]] = {}
    for exp in experiments:
        rows.setdefault(replicate_key(exp), []).append(exp)
    return [Config(key, tuple(group)) for key, group in rows.items()]


def replicate_groups(
    configs: Sequence[Config], scale: Scale, candidate: tuple[str, int, list[float]] | None = None
) -> list[list[float]]:
    """Working values of every configuration measured twice or more, ordered by its last row.

    ``candidate`` (key, position, values) replaces that configuration's values, or adds them
    at ``position`` when the key is new (runs not yet written as rows).
    """
    groups: list[tuple[int, list[float]]] = []
    for config in configs:
        if candidate is not None and config.key == candidate[0]:
            x = candidate[2]
        elif len(config.rows) < 2:
            continue  # one row measures one value at most: no replicate group
        else:
            x = list(config.x(scale))
        groups.append((config.rows[-1].index, x))
    if candidate is not None and candidate[0] not in {c.key for c in configs}:
        groups.append((candidate[1], candidate[2]))
    return [g for _, g in sorted(groups, key=lambda t: t[0]) if len(g) >= 2]


@dataclass
class ChainState:
    """The chain after replaying configurations in order."""

    incumbent: Incumbent | None = None
    incumbent_config: Config | None = None
    best_raw: Experiment | None = None
    deltas: list[tuple[float, int, float]] = field(default_factory=list)
    kept: list[Config] = field(default_factory=list)
    candidates: int = 0
    crashes: int = 0
    retests: int = 0
    since_keep: int = 0
    raw_best_x: float = math.inf
    means: list[float] = field(default_factory=list)

    @property
    def crash_rate(self) -> float:
        """Crash share, shrunk towards 5 % for short histories."""
        return (self.crashes + 1) / (self.candidates + 20)

    @property
    def retest_rate(self) -> float:
        """Extra runs per finished candidate."""
        return self.retests / max(self.candidates - self.crashes, 1)


def replay(
    configs: Sequence[Config], scale: Scale, prior: EffectPrior, sigma2: float
) -> ChainState:
    """Walk the configurations in order, updating the incumbent posterior with every one."""
    state = ChainState()
    for config in configs:
        step(state, config, scale, prior, sigma2)
        if state.incumbent is not None:
            state.means.append(state.incumbent.mean)
    return state


def step(
    state: ChainState, config: Config, scale: Scale, prior: EffectPrior, sigma2: float
) -> None:
    """Add one configuration to the chain."""
    x = config.x(scale)
    state.candidates += 1
    if x.size == 0:
        state.crashes += 1
        state.since_keep += 1
        return
    state.retests += x.size - 1
    inc = state.incumbent
    kept = inc is None or (
        config.label if config.label is not None else float(np.mean(x)) < state.raw_best_x
    )
    if kept:
        best = int(np.argmin(x))
        if x[best] < state.raw_best_x:
            state.raw_best_x, state.best_raw = float(x[best]), config.valued[best]
    if inc is None:
        state.incumbent, state.incumbent_config = start(x, sigma2, config.key), config
        state.kept.append(config)
        return
    d, n = float(np.mean(x)) - inc.mean, int(x.size)
    post = prior.posterior(d, math.sqrt(sigma2 / n + inc.var))
    state.deltas.append((d, n, inc.var))
    state.incumbent = after_candidate(inc, post, prior.grid, float(np.mean(x)), n, sigma2,
                                      kept=bool(kept), key=config.key)  # fmt: skip
    if kept:
        state.incumbent_config = config
        state.kept.append(config)
        state.since_keep = 0
    else:
        state.since_keep += 1


def effect_span(configs: Sequence[Config], scale: Scale, extra: Sequence[float] = ()) -> float:
    """How large an effect the data could show: 1.5 × the working-value range."""
    xs = [float(v) for c in configs for v in c.x(scale)] + [float(v) for v in extra]
    return 1.5 * (max(xs) - min(xs)) if len(xs) > 1 else 0.0


def fit_prior(state: ChainState, sigma2: float, smooth: float, span: float = 0.0) -> EffectPrior:
    """A fresh prior fitted to the chain's deltas (blended with the default)."""
    prior = EffectPrior.default_prior(span=span)
    if state.deltas:
        d = [t[0] for t in state.deltas]
        s = [math.sqrt(sigma2 / t[1] + t[2]) for t in state.deltas]
        prior.fit(d, s, smooth_sd=smooth)
    return prior
