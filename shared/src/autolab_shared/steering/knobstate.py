"""The knob values of the current best configuration, every value a history tried per knob,
and the next values worth trying from the current one.

The incumbent's value of a knob is the new value of its last kept change; before any kept
change, the first value written as "old" (the baseline's), else train.py's default
(`ideas.DEFAULTS`), which also counts as tried when the first change of a knob does not say
what it changed from. A value is *tried* when any row, kept or not, wrote it as old or new.
Every tried value other than the incumbent's lost to it, so a step that passes a tried value
goes against the evidence.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from autolab_shared.steering.ideas import DEFAULTS, canonical_knob, value_neighbours, values_equal
from autolab_shared.steering.knobs import KnobChange
from autolab_shared.steering.knobvalue import EXACT, TOLERANCE, parse_value, readings, relative_step


class _Seen:
    """The values written for one knob, indexed for look-ups in logarithmic time: numbers
    sorted by value (abbreviated ones apart, as they match within TOLERANCE), words as text."""

    __slots__ = ("approx", "exact", "words")

    def __init__(self, values: Iterable[str]) -> None:
        exact: set[float] = set()
        approx: set[float] = set()
        self.words: list[str] = []
        for value in dict.fromkeys(values):
            found = readings(value)
            if found is None:
                self.words.append(value)
            else:
                (approx if len(found) > 1 else exact).update(found)
        self.exact, self.approx = sorted(exact), sorted(approx)

    def has(self, value: str) -> bool:
        """Whether `value` equals a seen value (`values_equal`, K/M/B rule included)."""
        found = readings(value)
        if found is None:
            return any(values_equal(value, word) for word in self.words)
        tol = TOLERANCE if len(found) > 1 else EXACT
        return any(_near(self.exact, x, tol) or _near(self.approx, x, TOLERANCE) for x in found)

    def between(self, a: float, b: float) -> bool:
        """Whether a seen number lies in (a, b] (or [b, a)), not counting those within
        TOLERANCE of `a` (the current value, however it was written)."""
        lo, hi = min(a, b), max(a, b)
        for numbers in (self.exact, self.approx):
            for x in numbers[bisect_left(numbers, lo) : bisect_right(numbers, hi)]:
                if abs(x - a) > TOLERANCE * abs(a) and x != a:
                    return True
        return False


def _near(numbers: Sequence[float], x: float, tol: float) -> bool:
    span = tol * abs(x) + 1e-12
    i = bisect_left(numbers, x - span)
    return i < len(numbers) and numbers[i] <= x + span


@dataclass(frozen=True)
class KnobState:
    """The incumbent configuration and what a whole history tried, knob by knob."""

    current: Mapping[str, str]  # knob -> value in force after the last kept change
    tried: Mapping[str, tuple[str, ...]]  # knob -> every distinct value written, in order
    last_kept: Mapping[str, KnobChange]  # knob -> its last kept change
    _seen: dict[str, _Seen] = field(default_factory=dict, compare=False, repr=False)

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
        now = self.value(knob)
        return (now is not None and values_equal(value, now)) or self._index(knob).has(value)

    def against_evidence(self, knob: str, value: str) -> bool:
        """Whether going from the incumbent to `value` passes (or lands on) a tried value."""
        if self.is_tried(knob, value):
            return True
        now = self.value(knob)
        a, b = (None if now is None else parse_value(now)), parse_value(value)
        return a is not None and b is not None and self._index(knob).between(a, b)

    def _index(self, knob: str) -> _Seen:
        name = canonical_knob(knob)
        if name not in self._seen:
            self._seen[name] = _Seen(self.tried.get(name, ()))
        return self._seen[name]

    def next_values(self, knob: str) -> list[str]:
        """One step up and one down from the incumbent's value, each only when no tried value
        lies on the way and it does not head back toward the value a kept change left."""
        now = self.value(knob)
        if now is None:
            return []
        steps = value_neighbours(knob, [], now)  # one step each way: nothing is excluded
        fresh = [v for v in steps if not self.against_evidence(knob, v)]
        change = self.last_kept.get(canonical_knob(knob))
        kept = None if change is None else relative_step(change.old, change.new)
        if not kept:
            return fresh
        return [v for v in fresh if (relative_step(now, v) or 0.0) * kept > 0]


def knob_state(changes: Iterable[tuple[Sequence[KnobChange], bool]]) -> KnobState:
    """The state after a history's rows, given as (knob changes, kept) in order."""
    current: dict[str, str] = {}
    tried: dict[str, list[str]] = {}
    last: dict[str, KnobChange] = {}
    for row_changes, kept in changes:
        for change in row_changes:
            name = canonical_knob(change.knob)
            first = name not in tried
            values = tried.setdefault(name, [])
            old = change.old if change.old is not None or not first else DEFAULTS.get(name)
            if old is not None:  # a first change without "old" ran from train.py's default
                values.append(old)
                current.setdefault(name, old)
            values.append(change.new)
            if kept:
                current[name] = change.new
                last[name] = change
    distinct = {k: tuple(dict.fromkeys(v)) for k, v in tried.items()}
    return KnobState(current, distinct, last)
