"""Where the next experiment should go: category table, regime and suggestions.

The library entry point behind ``autosteer``: :func:`steer` takes parsed histories and
returns a :class:`SteerReport`; rendering is the CLI's job.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .bandit import GAMMA, arm_stats, pick
from .classify import Classifier
from .exitcodes import ExitCode
from .ideas import Idea, load_ideas, tried_from, untried, value_neighbours
from .noise import NoiseFloor
from .results import History
from .steerdata import StepRow, describe, noise_of, steering_rows
from .taxonomy import Taxonomy, load_taxonomy

RECENT = 10
STUCK_STREAK = 10
PLATEAU = 20
MIN_HISTORY = 10


@dataclass(frozen=True)
class CategoryRow:
    """One line of the category table (counts over the report window)."""

    name: str
    tried: int
    kept: int
    real: int
    crashed: int
    median_gain: float | None
    label: str  # EXPLOIT | NEUTRAL | AVOID | EXPLORE
    evidence: str
    score: float


@dataclass(frozen=True)
class Suggestion:
    """One thing to try next, with its reason in one line."""

    category: str
    text: str
    why: str
    idea: str | None = None
    knob: str | None = None
    value: str | None = None


@dataclass(frozen=True)
class SteerReport:
    """Everything autosteer says about a set of histories."""

    window: int
    rows: int
    categories: tuple[CategoryRow, ...]
    regime: str  # progressing | stuck | inconclusive
    regime_reason: str
    mode: str  # the mode actually used
    suggestions: tuple[Suggestion, ...]
    angles: tuple[str, ...]
    headline: str
    noise: NoiseFloor
    other_examples: tuple[str, ...] = field(default=())

    @property
    def exit_code(self) -> ExitCode:
        """0 progressing, 1 stuck, 2 inconclusive."""
        return {"progressing": ExitCode.KEEP, "stuck": ExitCode.DISCARD}.get(
            self.regime, ExitCode.RETEST
        )


@dataclass(frozen=True)
class SteerOptions:
    """Settings of one autosteer run."""

    mode: str = "auto"
    window: int = 50
    suggestions: int = 3
    seed: int | None = None
    pending: tuple[str, ...] = ()
    taxonomy: Taxonomy | None = None
    ideas: tuple[Idea, ...] | None = None


def steer(histories: Sequence[History], options: SteerOptions | None = None) -> SteerReport:
    """Analyse the histories and suggest what to try next."""
    opts = options or SteerOptions()
    taxonomy = opts.taxonomy or load_taxonomy()
    classifier = Classifier(taxonomy)
    noise = noise_of(histories)
    facts = describe([e.description for h in histories for e in h.experiments], classifier)
    rows = steering_rows(histories, classifier, noise, facts)
    arms = list(dict.fromkeys(c.name for c in taxonomy.categories if c.arm and c.name != "other"))
    regime, reason, mode = _regime(rows, opts.mode)
    rng = random.Random(opts.seed)
    picks = pick(rows, arms, mode, max(opts.suggestions, 1), rng, opts.pending)
    table = _table(rows[-opts.window :] if opts.window else rows, rows, arms, mode, picks)
    catalogue = opts.ideas if opts.ideas is not None else load_ideas()
    tokens = [f.tokens for f in facts]
    suggestions = _suggest(rows, picks, catalogue, regime, reason, opts.suggestions, tokens)
    top = picks[0][0]
    angles = next((c.angles for c in taxonomy.categories if c.name == top), ())
    others = tuple(r.description for r in rows if r.category == "other")[-5:]
    return SteerReport(
        window=opts.window, rows=len(rows), categories=table, regime=regime,
        regime_reason=reason, mode=mode, suggestions=tuple(suggestions), angles=tuple(angles),
        headline=_headline(top, table), noise=noise, other_examples=others,
    )  # fmt: skip


def regime_of(rows: Sequence[StepRow], mode: str = "auto") -> tuple[str, str, str]:
    """(regime, reason, mode to use): ``auto`` becomes exploit or explore by the regime."""
    return _regime(rows, mode)


def _regime(rows: Sequence[StepRow], mode: str) -> tuple[str, str, str]:
    """progressing / stuck / inconclusive, and the mode ``auto`` turns into (steer.md §6)."""
    recent = rows[-RECENT:]
    streak = next((i for i, r in enumerate(reversed(rows)) if r.kept), len(rows))
    real_recent = sum(r.success for r in rows[-PLATEAU:])
    crash_rate = sum(r.crashed for r in recent) / max(len(recent), 1)
    keep_rate = sum(r.kept for r in recent) / max(len(recent), 1)
    chosen = mode
    if len(rows) < MIN_HISTORY:
        return (
            "inconclusive",
            f"only {len(rows)} experiments: too little history",
            _auto(mode, "explore"),
        )
    if crash_rate > 0.5:
        return (
            "stuck",
            f"{crash_rate:.0%} of the last {len(recent)} crashed: fix or revert",
            _auto(mode, "exploit"),
        )
    if streak >= STUCK_STREAK:
        return (
            "stuck",
            f"{streak} experiments since the last keep: change direction",
            _auto(mode, "explore"),
        )
    if len(rows) >= PLATEAU and real_recent == 0:
        kept = sum(r.kept for r in rows[-PLATEAU:])
        if kept:
            return ("inconclusive", f"{kept} keep(s) in the last {PLATEAU}, all within the noise"
                    " floor: re-run them before steering", _auto(mode, "exploit"))  # fmt: skip
        return "stuck", f"plateau: no real gain in the last {PLATEAU}", _auto(mode, "explore")
    if keep_rate > 0.3:
        chosen = _auto(mode, "exploit")
    else:
        chosen = _auto(mode, "explore" if keep_rate == 0 else "auto")
    return "progressing", f"{keep_rate:.0%} kept in the last {len(recent)}", chosen


def _auto(mode: str, regime_mode: str) -> str:
    return regime_mode if mode == "auto" else mode


def _label(tried: int, kept: int, crashed: int, keep_mean: float) -> tuple[str, str]:
    """EXPLORE (too few tries), AVOID, EXPLOIT or NEUTRAL, with the evidence in words."""
    if tried < 3:
        return "EXPLORE", f"only {tried} tried"
    if crashed / tried > 0.5:
        return "AVOID", f"{crashed} of {tried} crashed"
    if keep_mean >= 0.35:
        return "EXPLOIT", f"discounted keep rate {keep_mean:.0%}"
    if tried >= 5 and keep_mean < 0.15:
        return "AVOID", f"discounted keep rate {keep_mean:.0%} over {tried} tries"
    return "NEUTRAL", f"discounted keep rate {keep_mean:.0%}"


def _table(
    window: Sequence[StepRow], rows: Sequence[StepRow], arms: Sequence[str], mode: str,
    picks: Sequence[tuple[str, float]],
) -> tuple[CategoryRow, ...]:  # fmt: skip
    stats = arm_stats(rows, arms, GAMMA.get(mode, 0.95))
    score = dict(picks)
    out = []
    for name in [*arms, "other"]:
        mine = [r for r in window if r.category == name]
        if not mine and name not in score:
            continue
        gains = [r.gain for r in mine if r.success]
        kept = sum(r.kept for r in mine)
        crashed = sum(r.crashed for r in mine)
        mean = stats[name].keep_mean() if name in stats else 0.0
        label, evidence = _label(len(mine), sum(r.success for r in mine), crashed, mean)
        out.append(CategoryRow(name, len(mine), kept, sum(r.success for r in mine), crashed,
                               statistics.median(gains) if gains else None, label, evidence,
                               score.get(name, 0.0)))  # fmt: skip
    return tuple(sorted(out, key=lambda c: (-c.tried, c.name)))


def _headline(top: str, table: Sequence[CategoryRow]) -> str:
    row = next((c for c in table if c.name == top), None)
    if row is None or row.tried == 0:
        return f"{top.replace('_', ' ')} (not tried yet)"
    if row.label == "EXPLOIT":
        return f"{top.replace('_', ' ')} variations (high success rate)"
    if row.label == "EXPLORE":
        return f"{top.replace('_', ' ')} (under-explored)"
    return f"{top.replace('_', ' ')} (best expected gain per experiment)"


def _suggest(
    rows: Sequence[StepRow], picks: Sequence[tuple[str, float]], catalogue: Sequence[Idea],
    regime: str, reason: str, k: int, tokens: Sequence[frozenset[str]] | None = None,
) -> list[Suggestion]:  # fmt: skip
    tried = tried_from([r.description for r in rows],
                       [(c.knob, c.new) for r in rows for c in r.knobs], tokens)  # fmt: skip
    out = _regime_suggestions(rows, regime, reason)
    used: set[str] = set()
    values: dict[str, list[str]] = {}  # knob -> every value written for it, in row order
    for row in rows:
        for change in row.knobs:
            values.setdefault(change.knob, []).append(change.new)
    for category, _ in picks:
        if len(out) >= k:
            break
        knob = _knob_suggestion(rows, category, values)
        fresh = [i for i in untried(catalogue, tried, category) if i.id not in used]
        if knob is not None and knob.text not in {s.text for s in out}:
            out.append(knob)
        elif fresh:
            idea = fresh[0]
            used.add(idea.id)
            out.append(Suggestion(category, idea.text, idea.why, idea.id, idea.knob, idea.value))
    return out[:k]


def _regime_suggestions(rows: Sequence[StepRow], regime: str, reason: str) -> list[Suggestion]:
    if regime != "stuck":
        return []
    near = [r for r in rows[-PLATEAU:] if r.near_miss]
    if len(near) >= 2:
        names = ", ".join(
            f"{r.commit or '#' + str(r.position)} ({r.description[:40]})" for r in near[-3:]
        )
        why = f"{reason}; {len(near)} near-misses within the noise floor"
        return [Suggestion("combination", f"combine the near-misses: {names}", why)]
    return [Suggestion("simplification", "remove or simplify one component (an ablation)",
                       f"{reason}; no near-misses to combine")]  # fmt: skip


def _knob_suggestion(
    rows: Sequence[StepRow], category: str, written: Mapping[str, list[str]]
) -> Suggestion | None:
    """Next values around a knob value that was really kept in this category (`written`:
    the values of each knob in row order)."""
    for row in reversed(rows):
        if row.category != category or not row.success or not row.knobs:
            continue
        change = row.knobs[0]
        values = written[change.knob]
        nxt = value_neighbours(change.knob, values, change.new)
        if nxt:
            others = sorted(set(values) - {change.new})
            shown = ", ".join(others[:4]) + (
                f" and {len(others) - 4} more" if len(others) > 4 else ""
            )
            note = f"; {shown} tried" if others else ""
            why = f"{change.knob} {change.new} was kept{note}; {' and '.join(nxt)} not tried"
            text = f"{change.knob} {change.new} -> {nxt[0]}"
            return Suggestion(category, text, why, None, change.knob, nxt[0])
    return None
