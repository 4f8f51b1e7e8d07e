"""Rebuild the keep/discard chain of a history: the incumbent at each configuration.

Configurations (rows pooled by replicate key) come from :mod:`.replicates`. The incumbent is
the last kept configuration; a history without status words is read greedily.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from autolab_shared.core.eqrepr import EqRepr
from autolab_shared.core.scale import Scale
from autolab_shared.parsing.replicates import Config
from autolab_shared.parsing.results import Experiment
from autolab_shared.stats.incumbent import Incumbent, after_candidate, start
from autolab_shared.stats.prior import EffectPrior

REPLAY_WINDOW = 2000  # configurations a single verdict replays (the audit replays them all)


@dataclass(eq=False, repr=False)
class ChainState(EqRepr):
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
    inc, mean = state.incumbent, config.mean_x(scale)
    kept = inc is None or (config.label if config.label is not None else mean < state.raw_best_x)
    if kept:
        best = int(np.argmin(x)) if x.size > 1 else 0
        if x[best] < state.raw_best_x:
            state.raw_best_x, state.best_raw = float(x[best]), config.valued[best]
    if inc is None:
        state.incumbent, state.incumbent_config = start(x, sigma2, config.key), config
        state.kept.append(config)
        return
    d, n = mean - inc.mean, int(x.size)
    post = prior.posterior(d, math.sqrt(sigma2 / n + inc.var))
    state.deltas.append((d, n, inc.var))
    state.incumbent = after_candidate(
        inc,
        post,
        prior.grid,
        mean,
        n,
        sigma2,
        kept=bool(kept),
        key=config.key,
        bin_var=prior.bin_var,
    )
    if kept:
        state.incumbent_config = config
        state.kept.append(config)
        state.since_keep = 0
    else:
        state.since_keep += 1


def effect_span(configs: Sequence[Config], scale: Scale, extra: Sequence[float] = ()) -> float:
    """How large an effect the data could show: 1.5 × the working-value range."""
    return values_span(
        [r.value for c in configs for r in c.rows if r.value is not None], scale, extra
    )


def values_span(values: Sequence[float], scale: Scale, extra: Sequence[float] = ()) -> float:
    """`effect_span` of the metric values of the configurations' rows (in any order)."""
    xs = scale.to_xs(values)
    xs += [float(v) for v in extra]
    return 1.5 * (max(xs) - min(xs)) if len(xs) > 1 else 0.0


def recent(configs: Sequence[Config], scale: Scale, window: int | None = None) -> list[Config]:
    """The tail of a long history a verdict is replayed on: the last ``window`` configurations,
    led by the incumbent they start from (the last kept one before them, or the best by value
    when no row says keep). Shorter histories are returned whole."""
    window = REPLAY_WINDOW if window is None else window
    if len(configs) <= window:
        return list(configs)
    head, tail = configs[: len(configs) - window], list(configs[len(configs) - window :])
    lead = next((c for c in reversed(head) if c.label and c.valued), None)
    if lead is None:
        valued = [c for c in head if c.valued]
        lead = min(valued, key=lambda c: c.mean_x(scale), default=None)
    return tail if lead is None else [lead, *tail]


def fit_prior(state: ChainState, sigma2: float, smooth: float, span: float = 0.0) -> EffectPrior:
    """A fresh prior fitted to the chain's deltas (blended with the default)."""
    prior = EffectPrior.default_prior(span=span)
    if state.deltas:
        d = [t[0] for t in state.deltas]
        s = [math.sqrt(sigma2 / t[1] + t[2]) for t in state.deltas]
        prior.fit(d, s, smooth_sd=smooth)
    return prior
