"""The verdict each configuration got as the night went: the single call at its row (at its
last row when it was re-run, its runs pooled as the single call pools them).

One pass in row order. The empirical null (differences of the rows before it) and the effect
prior are taken again at every configuration for the first ``EVERY_ROW`` rows, then whenever
the rows have grown by ``GROWTH``; before ``EXACT_ROWS`` each such time the chain (the
incumbent) is replayed whole with them and the prior fitted as the single call does it, after
that the chain is carried and the prior fitted to its last ``REPLAY_WINDOW`` deltas, so that a
long history stays linear. Replicate groups and the policy's replicate floor are those of the
rows so far, as a single call sees them.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import replace

from autolab_shared.core.scale import Scale
from autolab_shared.parsing.replicates import Config, replicate_keys
from autolab_shared.parsing.results import History
from autolab_shared.stats.chain import REPLAY_WINDOW, ChainState, replay, step, values_span
from autolab_shared.stats.decision import Assessment, Candidate, Context, Policy, assess
from autolab_shared.stats.judge import baseline_assessment, simplifies
from autolab_shared.stats.noise import NoiseFloor, min_replicate_df, noise_with_null
from autolab_shared.stats.nullnoise import NullNoise, deltas_of_columns, empirical_null
from autolab_shared.stats.prior import EffectPrior

EVERY_ROW = 200  # rows up to which the null and the prior are taken again at every configuration
EXACT_ROWS = 1000  # rows before which each refit replays the chain, as the single call does
GROWTH = 1.05  # after that, again once the rows have grown by this factor


class _Fits:
    """The empirical null and the prior of the rows so far, taken again on a schedule."""

    def __init__(self, history: History, scale: Scale) -> None:
        exps = history.experiments
        self.rows: list[int] = []
        values = [e.value for e in exps]
        self.deltas = deltas_of_columns(
            values, [e.status for e in exps], replicate_keys(exps), scale, rows=self.rows
        )
        self.scale = scale
        self.lo, self.hi = _running_range(values, scale)
        self.null: NullNoise | None = None
        self.prior = EffectPrior.default_prior()
        self.taken = -1

    def due(self, row: int) -> bool:
        """Whether the fits are taken again before judging the configuration at `row`."""
        return self.taken < 0 or row < EVERY_ROW or row >= self.taken * GROWTH

    def take_null(self, row: int) -> None:
        """The empirical null of the differences before `row`."""
        self.null = empirical_null(self.deltas[: bisect_left(self.rows, row)])

    def span_prior(self, row: int, x: Sequence[float]) -> EffectPrior:
        """The default prior over the span of the rows before `row` and the candidate's."""
        ends = [v for v in (self.lo[row], self.hi[row]) if math.isfinite(v)]
        return EffectPrior.default_prior(span=values_span([], self.scale, [*ends, *x]))

    def take_prior(self, row: int, x: Sequence[float], state: ChainState, sigma2: float) -> None:
        """The prior fitted to the chain's last deltas, over the span of the rows so far."""
        self.prior = self.span_prior(row, x)
        recent = state.deltas[-REPLAY_WINDOW:]
        if recent:
            d = [t[0] for t in recent]
            s = [math.sqrt(sigma2 / t[1] + t[2]) for t in recent]
            self.prior.fit(d, s, smooth_sd=max(0.5 * math.sqrt(sigma2), 1e-9))
        self.taken = row


def _running_range(values: Sequence[float | None], scale: Scale) -> tuple[list[float], list[float]]:
    """The least and greatest working value of the rows before each row."""
    lo, hi, a, b = [], [], math.inf, -math.inf
    for v in values:
        lo.append(a)
        hi.append(b)
        if v is not None:
            x = scale.to_x(v)
            a, b = min(a, x), max(b, x)
    return lo, hi


class _Groups:
    """Replicate groups of the rows so far (configurations with two or more of them), in the
    order of their last row so far; grows as the pass moves on."""

    def __init__(self, configs: Sequence[Config], scale: Scale) -> None:
        runs = [
            (r.index, n, scale.to_x(r.value))
            for n, c in enumerate(configs)
            if len(c.rows) > 1
            for r in c.valued
            if r.value is not None
        ]
        self.events = sorted(runs)
        self.at = 0
        self.found: dict[int, list[float]] = {}

    def before(self, row: int) -> bool:
        """Take in the runs before `row`; whether any group changed."""
        start = self.at
        while self.at < len(self.events) and self.events[self.at][0] < row:
            _, n, x = self.events[self.at]
            self.found[n] = [*self.found.pop(n, []), x]  # re-inserted: its last row is latest
            self.at += 1
        return self.at > start

    def with_candidate(self, x: Sequence[float]) -> list[list[float]]:
        """The groups so far, then the candidate's own when it has two runs or more."""
        groups = [g for g in self.found.values() if len(g) >= 2]
        return [*groups, list(x)] if len(x) >= 2 else groups


def as_the_night_went(
    history: History,
    configs: Sequence[Config],
    scale: Scale,
    policy: Policy,
    *,
    window: int = 5,
    known: NoiseFloor | None = None,
) -> list[tuple[Assessment | None, NoiseFloor]]:
    """Each configuration's assessment from the rows before it (None for the baseline and
    crashes), and the noise floor it was judged with."""
    fits, state, groups = _Fits(history, scale), ChainState(), _Groups(configs, scale)
    out: list[tuple[Assessment | None, NoiseFloor]] = []
    floor, own = known, False  # own: the floor holds the last candidate's replicates
    for i, config in enumerate(configs):
        row, x = config.first.index, list(config.x(scale))
        due, moved = fits.due(row), groups.before(row)
        if due and known is None:
            fits.take_null(row)
        if known is None and (floor is None or due or moved or own or len(x) >= 2):
            floor = noise_with_null(
                groups.with_candidate(x), fits.null, window=window, log=scale.log
            )
        own = len(x) >= 2
        assert floor is not None
        sigma2 = floor.sigma**2
        if due and row < EXACT_ROWS:  # replayed as the single call does, where it is cheap
            before = configs[:i]
            fits.take_prior(row, x, replay(before, scale, fits.span_prior(row, x), sigma2), sigma2)
            state = replay(before, scale, fits.prior, sigma2)
        elif due:
            fits.take_prior(row, x, state, sigma2)
        judged = _assess(config, x, state, fits.prior, floor, policy, row) if x else None
        out.append((judged, floor))
        step(state, config, scale, fits.prior, sigma2)
    return out


def _assess(
    config: Config,
    x: list[float],
    state: ChainState,
    prior: EffectPrior,
    floor: NoiseFloor,
    policy: Policy,
    row: int,
) -> Assessment | None:
    if state.incumbent is None:
        return None
    inc_mem = state.incumbent_config.memory_gb if state.incumbent_config else None
    cand = Candidate(tuple(x), config.memory_gb, simplifies(config.first.description or ""))
    ctx = Context(prior, state.incumbent, floor, inc_mem, state.crash_rate, state.retest_rate)
    return assess(cand, ctx, _at_row(policy, row))


def _at_row(policy: Policy, row: int) -> Policy:
    """The policy of the single call at `row`: replicate df wanted for that many rows."""
    return replace(policy, min_df=max(policy.min_df, min_replicate_df(row + 1)))


def opening(baseline: Config, floor: NoiseFloor, policy: Policy) -> Assessment:
    """What the single call said at the baseline's row: RETEST to measure the noise while it
    has one run and no noise floor to trust, else KEEP."""
    return baseline_assessment(len(baseline.valued), floor, _at_row(policy, baseline.first.index))
