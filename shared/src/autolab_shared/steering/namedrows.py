"""Rows of the history that advice names: the keeps within the noise floor to re-run before
steering, and the near-misses worth cherry-picking into one run (docs/steering.md §6)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from autolab_shared.parsing.status import DISCARD, KEEP
from autolab_shared.steering.ideas import canonical_knob
from autolab_shared.steering.knobstate import KnobState
from autolab_shared.steering.steerdata import StepRow

NEAR_MISS_IDEA = "combo-near-misses"  # the catalogue idea `near_miss_pair` makes concrete


@dataclass(frozen=True)
class NamedRow:
    """One experiment named in the advice, with how it measured against the best before it."""

    experiment: int  # 1-based, over all histories in order
    commit: str
    description: str
    category: str
    gain: float | None  # relative, over the agent's best at its time (> 0 better); None: no best
    delta: float | None  # the same in metric units
    times: int = 1  # rows of this commit and description it stands for (the newest named)


def named(row: StepRow) -> NamedRow:
    """A row as advice names it: a keep's gain, or a discard's distance from the best."""
    if row.status == KEEP:
        gain, delta = (row.gain, row.delta) if row.improved else (None, None)
    else:
        gain, delta = row.miss_gain, row.miss_delta
    return NamedRow(row.position + 1, row.commit, row.description, row.category, gain, delta)


def short(text: str, size: int = 72) -> str:
    """A description cut to `size` characters for a line of advice (JSON keeps it whole)."""
    return text if len(text) <= size else text[: size - 1].rstrip() + "…"


def against_best(row: NamedRow, sigma: float, log: bool = True) -> str:
    """How a named row measured against the best of its time, in the metric's unit, in % (on
    a log scale) and in noise floors ("0.00023 (0.023%) better than the best then, 0.3x the
    noise floor")."""
    if row.gain is None or row.delta is None:
        return "the first keep of its agent: nothing to compare with"
    way = "better than" if row.gain > 0 else "behind"
    floors = f", {abs(row.gain) / sigma:.2g}x the noise floor" if sigma > 0 else ""
    share = f" ({abs(row.gain) * 100:.2g}%)" if log else ""
    return f"{abs(row.delta):.2g}{share} {way} the best then{floors}"


def within_floor(row: StepRow, sigma: float) -> bool:
    """A keep no more than the noise floor σ̂ behind the best of its time (one further behind
    is a regression, not a gain a re-run could confirm)."""
    return row.status == KEEP and row.gain >= -sigma


def in_noise_keeps(rows: Sequence[StepRow], last: int, sigma: float = 0.0) -> tuple[NamedRow, ...]:
    """The keeps of the last `last` rows within the noise floor σ̂ of the best of their time
    when none is beyond it (the keeps an inconclusive regime asks to re-run), in order, each
    commit and description once; none when one is. A keep behind by more than σ̂ is a
    regression, not a gain a re-run could confirm."""
    recent = rows[-last:]
    if any(r.success for r in recent):
        return ()
    keeps: dict[tuple[str, str], list[StepRow]] = {}  # a commit kept again: one re-run
    for row in recent:
        if within_floor(row, sigma):
            keeps.setdefault((row.commit, row.description), []).append(row)
    return tuple(replace(named(same[-1]), times=len(same)) for same in keeps.values())


def near_miss_pair(
    rows: Sequence[StepRow], state: KnobState, sigma: float
) -> tuple[NamedRow, NamedRow] | None:
    """The two best discards within the noise floor σ̂ of the best at their time, neither kept
    since and touching different knobs (different categories when one names no knob)."""
    near = sorted(
        (r for r in rows if _near(r, sigma)), key=lambda r: (-(r.miss_gain or 0.0), -r.position)
    )
    if len(near) < 2:
        return None
    kept = {r.description.strip().casefold() for r in rows if r.status == KEEP}
    fresh = (r for r in near if not _kept_since(r, kept, state))  # checked best first, lazily
    first = next(fresh, None)
    second = next((r for r in fresh if first is not None and _apart(first, r)), None)
    return None if first is None or second is None else (named(first), named(second))


def _near(row: StepRow, sigma: float) -> bool:
    return (
        row.status == DISCARD
        and row.miss_gain is not None
        and abs(row.miss_gain) <= sigma
        and row.category != "baseline"  # re-runs and seed changes: nothing to cherry-pick
    )


def _kept_since(row: StepRow, kept: set[str], state: KnobState) -> bool:
    """Whether the change is in the best configuration already: the same description kept, or
    every knob value it wrote in force."""
    if row.description.strip().casefold() in kept:
        return True
    return bool(row.knobs) and all(state.in_force(c.knob, c.new) for c in row.knobs)


def _apart(a: StepRow, b: StepRow) -> bool:
    """Whether two rows touch different knobs (different categories when one names none)."""
    if a.description.strip().casefold() == b.description.strip().casefold():
        return False
    if a.knobs and b.knobs:
        return not {canonical_knob(c.knob) for c in a.knobs} & {
            canonical_knob(c.knob) for c in b.knobs
        }
    return a.category != b.category
