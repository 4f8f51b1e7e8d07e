"""The knob values of the current best configuration, every value a history tried per knob,
and the next values worth trying from the current one.

The incumbent's value of a knob is the new value of its last kept change; before any kept
change, the first value written as "old" (the baseline's), else train.py's default
(`ideas.DEFAULTS`). A value is *tried* when any row, kept or not, wrote it as old or new.
Every tried value other than the incumbent's lost to it, so a step that passes a tried value
goes against the evidence.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from .ideas import DEFAULTS, canonical_knob, value_neighbours, values_equal
from .knobs import KnobChange
from .knobvalue import parse_value


@dataclass(frozen=True)
class KnobState:
    """The incumbent configuration and what a whole history tried, knob by knob."""

    current: Mapping[str, str]  # knob -> value in force after the last kept change
    tried: Mapping[str, tuple[str, ...]]  # knob -> every value written, in history order
    last_kept: Mapping[str, KnobChange]  # knob -> its last kept change

    def value(self, knob: str) -> str | None:
        """The incumbent's value of `knob`: from the history, else train.py's default."""
        name = canonical_knob(knob)
        return self.current.get(name) or DEFAULTS.get(name)

    def in_force(self, knob: str, value: str) -> bool:
        """Whether the history set `knob` to `value` and it is still the incumbent's value."""
        now = self.current.get(canonical_knob(knob))
        return now is not None and values_equal(value, now)

    def is_tried(self, knob: str, value: str) -> bool:
        """Whether `value` (within the K/M/B tolerance) was written for `knob`, or is in force."""
        name = canonical_knob(knob)
        seen = [*self.tried.get(name, ()), *filter(None, [self.value(name)])]
        return any(values_equal(value, old) for old in seen)

    def against_evidence(self, knob: str, value: str) -> bool:
        """Whether going from the incumbent to `value` passes (or lands on) a tried value."""
        if self.is_tried(knob, value):
            return True
        now = self.value(knob)
        a, b = (None if now is None else parse_value(now)), parse_value(value)
        if a is None or b is None:
            return self.is_tried(knob, value)
        for old in self.tried.get(canonical_knob(knob), ()):
            x = parse_value(old)
            if x is None or values_equal(old, now or ""):
                continue
            if (a < x <= b) if b > a else (b <= x < a):
                return True
        return False

    def next_values(self, knob: str) -> list[str]:
        """One step up and one down from the incumbent's value, each only when no tried value
        lies on the way; the kept direction first."""
        now = self.value(knob)
        if now is None:
            return []
        steps = value_neighbours(knob, [], now)  # one step each way: nothing is excluded
        fresh = [v for v in steps if not self.against_evidence(knob, v)]
        change = self.last_kept.get(canonical_knob(knob))
        if change is not None and _went_down(change) and len(fresh) == 2:
            fresh.reverse()
        return fresh


def _went_down(change: KnobChange) -> bool:
    old, new = change.old_value, change.new_value
    return old is not None and new is not None and new < old


def knob_state(changes: Iterable[tuple[Sequence[KnobChange], bool]]) -> KnobState:
    """The state after a history's rows, given as (knob changes, kept) in order."""
    current: dict[str, str] = {}
    tried: dict[str, list[str]] = {}
    last: dict[str, KnobChange] = {}
    for row_changes, kept in changes:
        for change in row_changes:
            name = canonical_knob(change.knob)
            values = tried.setdefault(name, [])
            if change.old is not None:
                values.append(change.old)
                current.setdefault(name, change.old)
            values.append(change.new)
            if kept:
                current[name] = change.new
                last[name] = change
    return KnobState(current, {k: tuple(v) for k, v in tried.items()}, last)
