"""Where the next experiment should go: category table, regime and suggestions.

The library entry point behind ``autosteer``: :func:`steer` takes parsed histories and
returns a :class:`SteerReport`; rendering is the CLI's job.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache, partial
from itertools import islice
from typing import NamedTuple

from autolab_shared.core.exitcodes import ExitCode
from autolab_shared.core.vocabulary import Regime
from autolab_shared.parsing.results import History
from autolab_shared.parsing.status import KEEP
from autolab_shared.stats.noise import NoiseFloor
from autolab_shared.steering.bandit import pick
from autolab_shared.steering.catalogfit import FITS, CatalogueFit, catalogue_fit
from autolab_shared.steering.classify import Classifier
from autolab_shared.steering.ideas import (
    DEFAULTS,
    Idea,
    Tried,
    index_ideas,
    load_ideas,
    tried_from,
    untried,
    values_equal,
)
from autolab_shared.steering.knobs import KnobChange, parse_knobs
from autolab_shared.steering.knobstate import KnobState, knob_state
from autolab_shared.steering.knobvalue import relative_step
from autolab_shared.steering.namedrows import (
    NEAR_MISS_IDEA,
    NamedRow,
    against_best,
    in_noise_keeps,
    near_miss_pair,
    short,
    within_floor,
)
from autolab_shared.steering.steerdata import (
    Knobs,
    RowFields,
    StepRow,
    Tokens,
    noise_of,
    read_descriptions,
    row_fields,
    with_classes,
)
from autolab_shared.steering.taxonomy import Taxonomy, load_taxonomy

RECENT = 10
STUCK_STREAK = 10
PLATEAU = 20
MIN_HISTORY = 10
EXPLOIT_RATE = 0.3  # auto exploits at this keep rate (last PLATEAU experiments) or more
EXPLORE_RATE = 0.1  # and explores below this one
PRIOR_TRIES = 4.0  # weight of the history's keep rate and gain in a category's posterior


@dataclass(frozen=True)
class CategoryRow:
    """One line of the category table: counts over the report window, and over the whole
    history (`*_all`), which alone decides what was tried."""

    name: str
    tried: int
    kept: int
    real: int
    crashed: int
    median_gain: float | None  # relative, of the window's keeps
    label: str  # EXPLOIT | NEUTRAL | AVOID | EXPLORE
    evidence: str
    score: float
    tried_all: int = 0
    kept_all: int = 0
    median_delta: float | None = None  # metric units, of the window's keeps
    median_gain_all: float | None = None  # relative, of every keep
    gain_per_try: float | None = None  # expected gain per try / the history's (the label's x)
    real_gain_per_try: float | None = None  # the same counting keeps beyond the noise floor
    median_delta_all: float | None = None  # metric units, of every keep


@dataclass(frozen=True)
class Suggestion:
    """One thing to try next, with its reason in one line."""

    category: str
    text: str
    why: str
    idea: str | None = None
    knob: str | None = None
    value: str | None = None
    rows: tuple[NamedRow, ...] = ()  # the history's rows it names (the near-misses to combine)
    after_reruns: bool = False  # for after the report's re-runs


@dataclass(frozen=True)
class SteerReport:
    """Everything autosteer says about a set of histories."""

    window: int
    rows: int
    categories: tuple[CategoryRow, ...]
    regime: Regime
    regime_reason: str
    mode: str  # the mode actually used
    mode_reason: str
    suggestions: tuple[Suggestion, ...]
    angles: tuple[str, ...]
    headline: str
    noise: NoiseFloor
    other_examples: tuple[str, ...] = field(default=())
    reruns: tuple[NamedRow, ...] = ()  # in-noise keeps to re-run first (inconclusive regime)
    catalogue: CatalogueFit = FITS  # whether train.py's ideas are offered, and why

    @property
    def exit_code(self) -> ExitCode:
        """0 progressing, 1 stuck, 2 inconclusive."""
        return self.regime.exit_code


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
    git_changes: Mapping[str, tuple[KnobChange, ...]] | None = None  # commit -> its diff's
    own_taxonomy: bool = False  # `taxonomy` is the user's (its angles are kept on any history)


def steer(histories: Sequence[History], options: SteerOptions | None = None) -> SteerReport:
    """Analyse the histories and suggest what to try next."""
    return steer_keeping(histories, options)[0]


def steer_keeping(
    histories: Sequence[History], options: SteerOptions | None = None
) -> tuple[SteerReport, object]:
    """`steer`'s report, and the working data behind it (rows, tokens, indexes): a program that
    exits right after may hold it to skip freeing it object by object (about 0.05 s on
    100,000 rows)."""
    opts = options or SteerOptions()
    taxonomy = opts.taxonomy or load_taxonomy()
    # built where descriptions are classified: in the forked child alone, on a long history
    classifier = cache(partial(Classifier, taxonomy))
    catalogue = opts.ideas if opts.ideas is not None else load_ideas()
    texts = [e.description for h in histories for e in h.experiments]
    early: list[_Early] = []  # worked out while a forked child classifies the descriptions

    def meanwhile(knobs: Knobs, tokens: Tokens) -> None:
        early.append(_early(histories, texts, knobs, tokens, opts.git_changes, catalogue))

    classes = read_descriptions(texts, classifier, meanwhile=meanwhile)[0]
    noise, fields, state, tried, fit = early[0]
    if opts.ideas is not None:  # a catalogue of the caller's: theirs to fit
        fit = CatalogueFit(True, "a catalogue of the caller's")
    if not fit.applies:  # train.py's ideas are no advice here: the near-miss pair only
        catalogue = tuple(i for i in catalogue if i.id == NEAR_MISS_IDEA)
    rows = with_classes(fields, classes)
    arms = list(dict.fromkeys(c.name for c in taxonomy.categories if c.arm and c.name != "other"))
    regime, reason, mode, why_mode = _regime(rows, opts.mode, noise)
    rng = random.Random(opts.seed)
    picks = pick(rows, arms, mode, max(opts.suggestions, 1), rng, opts.pending)
    window = rows[-opts.window :] if opts.window else rows
    table = _table(window, rows, arms, picks, noise)
    regime_words = (regime, reason)
    suggestions = _suggest(
        rows, picks, catalogue, regime_words, opts.suggestions, tried, state, noise
    )
    reruns = _reruns(rows, regime, noise.sigma)
    if reruns:
        suggestions = [replace(s, after_reruns=True) for s in suggestions]
    top = picks[0][0]
    angles = next((c.angles for c in taxonomy.categories if c.name == top), ())
    if not opts.own_taxonomy and not fit.applies:
        angles = ()  # the built-in angles are train.py's too (FP8 matmuls, value embeddings)
    others = _last_others(rows)
    report = SteerReport(
        window=opts.window,
        rows=len(rows),
        categories=table,
        regime=regime,
        regime_reason=reason,
        mode=mode,
        mode_reason=why_mode,
        suggestions=tuple(suggestions),
        angles=tuple(angles),
        headline=_headline(top, table),
        noise=noise,
        other_examples=others,
        reruns=reruns,
        catalogue=fit,
    )
    return report, (rows, early, classes, texts)


class _Early(NamedTuple):
    """What steer works out without the categories: the noise floor, the rows' other fields
    (`steerdata.row_fields`, with the --git changes), the knob state and what was tried."""

    noise: NoiseFloor
    fields: list[RowFields]
    state: KnobState
    tried: Tried
    fit: CatalogueFit


def _early(
    histories: Sequence[History],
    texts: Sequence[str],
    knobs: Sequence[tuple[KnobChange, ...]],
    tokens: Sequence[frozenset[str]],
    git: Mapping[str, tuple[KnobChange, ...]] | None,
    catalogue: Sequence[Idea],
) -> _Early:
    noise = noise_of(histories)
    fields = row_fields(histories, noise.sigma, knobs)
    if git:  # rows whose commit's diff changed knobs carry those changes first
        for row in fields:
            changes = git.get(row["commit"].removesuffix("-dirty"), ())  # keyed by the bare hash
            if changes:
                row["knobs"] = (*changes, *row["knobs"])
    changed = [(row["knobs"], row["status"]) for row in fields if row["knobs"]]
    state = knob_state((changes, status == KEEP) for changes, status in changed)
    # rows share the knob tuples of equal descriptions: each tuple once, in order of first use
    shared = {id(changes): changes for changes, _ in changed}.values()
    pairs = dict.fromkeys(
        (c.knob, v) for changes in shared for c in changes for v in (c.old, c.new)
    )
    tried = tried_from(texts, [(k, v) for k, v in pairs if v], dict.fromkeys(tokens))
    index_ideas(catalogue, tried)  # the words of the catalogue's ideas, looked up once here
    fit = catalogue_fit([h.metric for h in histories], knobs)
    return _Early(noise, fields, state, tried, fit)


def _last_others(rows: Sequence[StepRow]) -> tuple[str, ...]:
    """The descriptions of the last five rows in no category, in order."""
    found: list[str] = []
    for row in reversed(rows):
        if len(found) == 5:
            break
        if row.category == "other":
            found.append(row.description)
    return tuple(reversed(found))


def _reruns(rows: Sequence[StepRow], regime: Regime, sigma: float) -> tuple[NamedRow, ...]:
    """The keeps to re-run before steering: those of the last PLATEAU rows within the noise
    floor σ̂ when the regime is inconclusive for want of a keep beyond it (`_regime`)."""
    if regime != Regime.INCONCLUSIVE or len(rows) < MIN_HISTORY:
        return ()
    return in_noise_keeps(rows, PLATEAU, sigma)


def regime_of(
    rows: Sequence[StepRow], mode: str = "auto", noise: NoiseFloor | None = None
) -> tuple[Regime, str, str]:
    """(regime, reason, mode to use): ``auto`` becomes exploit, explore or stays balanced."""
    return _regime(rows, mode, noise)[:3]


def _noise_words(noise: NoiseFloor | None) -> str:
    if noise is None:
        return "the noise floor"
    return f"the noise floor ({noise.shown}, {_noise_source(noise)})"


def _noise_source(noise: NoiseFloor) -> str:
    """Where σ̂ came from, in words: replicates, the history's empirical null, both, or neither."""
    if noise.source in ("default", "given"):
        return (
            "assumed: no replicates and no usable history" if noise.source == "default" else "given"
        )
    parts = [f"{noise.groups} replicate group(s)"] if noise.groups else []
    if noise.null is not None and "history" in noise.source:
        parts.append(f"the empirical null of {noise.null.pairs} consecutive differences")
    return "from " + " and ".join(parts or ["the history"])


def _regime(
    rows: Sequence[StepRow], mode: str, noise: NoiseFloor | None = None
) -> tuple[Regime, str, str, str]:
    """progressing / stuck / inconclusive with its reason, and the mode to use with its reason
    (docs/steering.md §3): ``auto`` exploits only at a high keep rate, or to fix crashes."""
    recent = rows[-RECENT:]
    streak = next((i for i, r in enumerate(reversed(rows)) if r.kept), len(rows))
    last = rows[-PLATEAU:]
    crash_rate = sum(r.crashed for r in recent) / max(len(recent), 1)
    keep_rate = sum(r.kept for r in last) / max(len(last), 1)
    rate = f"{keep_rate:.0%} kept in the last {len(last)}"
    if len(rows) < MIN_HISTORY:
        regime = (Regime.INCONCLUSIVE, f"only {len(rows)} experiments: too little history")
        return (*regime, *_mode(mode, "explore", "too little history to exploit"))
    if crash_rate > 0.5:
        reason = f"{crash_rate:.0%} of the last {len(recent)} crashed: fix or revert"
        regime = (Regime.STUCK, reason)
        why = "most recent runs crash: stay next to the last working configuration"
        return (*regime, *_mode(mode, "exploit", why))
    if streak >= STUCK_STREAK:
        regime = (Regime.STUCK, f"{streak} experiments since the last keep: change direction")
        return (*regime, *_mode(mode, "explore", f"no keep in the last {streak}"))
    if len(rows) >= PLATEAU and not any(r.success for r in last):
        # a keep behind the best of its time by more than the floor is a regression, not a
        # gain a re-run could confirm
        floor = noise.sigma if noise is not None else 0.0
        within = sum(within_floor(r, floor) for r in last)
        if within:
            reason = f"{within} keep(s) in the last {PLATEAU}, all within {_noise_words(noise)}"
            return (Regime.INCONCLUSIVE, reason, *_balanced(mode, keep_rate, rate))
        reason = f"plateau: no gain beyond {_noise_words(noise)} in the last {PLATEAU}"
        regime = (Regime.STUCK, reason)
        return (*regime, *_mode(mode, "explore", "plateau"))
    return (Regime.PROGRESSING, rate, *_balanced(mode, keep_rate, rate))


def _balanced(mode: str, keep_rate: float, rate: str) -> tuple[str, str]:
    """Exploit at a keep rate of EXPLOIT_RATE or more, explore below EXPLORE_RATE, else sample
    the categories by their posteriors (``auto``)."""
    if keep_rate >= EXPLOIT_RATE:
        return _mode(mode, "exploit", f"{rate} (>= {EXPLOIT_RATE:.0%})")
    if keep_rate < EXPLORE_RATE:
        return _mode(mode, "explore", f"{rate} (< {EXPLORE_RATE:.0%}): widen the search")
    return _mode(
        mode,
        "auto",
        f"{rate}, between {EXPLORE_RATE:.0%} and {EXPLOIT_RATE:.0%}:"
        " categories drawn by their posterior expected gain",
    )


def _mode(asked: str, chosen: str, why: str) -> tuple[str, str]:
    if asked != "auto":
        return asked, "as asked"
    return chosen, f"auto: {why}"


class _Base(NamedTuple):
    """The history's yardsticks for a label: keep rate and median gain of improving keeps, the
    same for the keeps beyond the noise floor (real keeps), and the floor σ̂ itself."""

    rate: float
    gain: float | None
    real_rate: float
    real_gain: float | None
    noise: NoiseFloor


class _Label(NamedTuple):
    """A category's label, its evidence in words, and its expected gain per try against the
    history's, counting every keep and counting the keeps beyond the noise floor alone."""

    label: str
    evidence: str
    ratio: float | None = None
    real_ratio: float | None = None


def _label(
    tried: int, kept: int, crashed: int, gains: Sequence[float], base: _Base, real: Sequence[float]
) -> _Label:
    """EXPLORE (too few tries), AVOID, EXPLOIT or NEUTRAL from the posterior keep rate times the
    shrunk gain of keeps, compared with the history's (`_per_try`); EXPLOIT also needs the keeps
    beyond the noise floor (`real`, their gains) to pass the same test against the history's
    real keeps, so keeps within the noise are no evidence to exploit."""
    rate = base.rate
    if tried < 3:
        return _Label("EXPLORE", f"only {tried} tried")
    if crashed / tried > 0.5 and kept / tried < rate:
        return _Label("AVOID", f"{crashed} of {tried} crashed, {kept} kept")
    post, ratio, words = _per_try(tried, kept, gains, rate, base.gain)
    words = f"{kept}/{tried} kept vs {rate:.0%} overall, posterior {post:.0%}" + words
    real_post, real_ratio, _ = _per_try(tried, len(real), real, base.real_rate, base.real_gain)
    found = partial(_Label, ratio=ratio, real_ratio=real_ratio)
    if tried >= 5 and kept / tried < rate and ratio < 0.6:
        return found("AVOID", words)
    if not (kept >= 2 and post > rate and ratio >= 1.3):
        return found("NEUTRAL", words + _beyond(kept, real, base.noise.shown, ""))
    if len(real) >= 2 and real_post > base.real_rate and real_ratio >= 1.3:
        alone = f", x{real_ratio:.1f} on those alone"
        return found("EXPLOIT", words + _beyond(kept, real, base.noise.shown, alone))
    return found("NEUTRAL", words + _beyond(kept, real, base.noise.shown, ": too few to exploit"))


def _per_try(
    tried: int, kept: int, gains: Sequence[float], rate: float, gain: float | None
) -> tuple[float, float, str]:
    """(posterior keep rate shrunk toward `rate` with PRIOR_TRIES, the ratio of the expected
    gain per try to the history's, its words after the posterior)."""
    post = (kept + PRIOR_TRIES * rate) / (tried + PRIOR_TRIES)
    ratio = post / rate if rate > 0 else 1.0
    if gain is None or gain <= 0:
        return post, ratio, ""
    mine = (PRIOR_TRIES * gain + sum(gains)) / (PRIOR_TRIES + len(gains))
    ratio = max(ratio * mine / gain, 0.0)
    if mine > 0:
        return post, ratio, f", x{ratio:.1f} the average gain per try"
    return post, ratio, ", its keeps lose ground on average"


def _beyond(kept: int, real: Sequence[float], floor: str, then: str) -> str:
    """ "; 1 of the 4 beyond the noise floor (0.08%)" and `then`, or nothing without keeps."""
    if not kept:
        return ""
    return f"; {len(real)} of the {kept} beyond the noise floor ({floor}){then}"


def _keeps(rows: Sequence[StepRow]) -> list[StepRow]:
    return [r for r in rows if r.improved]


def _table(
    window: Sequence[StepRow],
    rows: Sequence[StepRow],
    arms: Sequence[str],
    picks: Sequence[tuple[str, float]],
    noise: NoiseFloor,
) -> tuple[CategoryRow, ...]:
    score = dict(picks)
    names = [*arms, "other"]
    tried_all, kept_all, gains_all, deltas_all = _history_counts(rows, set(names))
    base = _base(tried_all, kept_all, gains_all, noise)
    in_window = _by_category(window)
    out = []
    for name in names:
        mine, every = in_window.get(name, []), tried_all.get(name, 0)
        if not every and name not in score:
            continue
        keeps = _keeps(mine)
        gains = [r.gain for r in keeps]
        real = [r.gain for r in keeps if r.success]
        kept = sum(r.kept for r in mine)
        crashed = sum(r.crashed for r in mine)
        label, evidence, ratio, real_ratio = _label(len(mine), kept, crashed, gains, base, real)
        if label == "EXPLORE" and every > len(mine):
            evidence += f" in the window, {every} in all"
        out.append(
            CategoryRow(
                name,
                len(mine),
                kept,
                len(real),
                crashed,
                _median(gains),
                label,
                evidence,
                score.get(name, 0.0),
                every,
                kept_all.get(name, 0),
                _median([r.delta for r in keeps]),
                _median(gains_all.get(name, [])),
                ratio,
                real_ratio,
                _median(deltas_all.get(name, [])),
            )
        )
    return tuple(sorted(out, key=lambda c: (-c.tried, -c.tried_all, c.name)))


def _base(
    tried: Mapping[str, int],
    kept: Mapping[str, int],
    gains: Mapping[str, list[float]],
    noise: NoiseFloor,
) -> _Base:
    """The history's keep rate and median gain of improving keeps, and the same for its keeps
    beyond the noise floor σ̂ (gain > σ̂, `StepRow.success`)."""
    every = sum(tried.values())
    all_gains = [gain for mine in gains.values() for gain in mine]  # median: any order
    real = [gain for gain in all_gains if gain > noise.sigma]
    return _Base(
        sum(kept.values()) / max(every, 1),
        _median(all_gains),
        len(real) / max(every, 1),
        _median(real),
        noise,
    )


def _history_counts(
    rows: Sequence[StepRow], names: set[str]
) -> tuple[dict[str, int], dict[str, int], dict[str, list[float]], dict[str, list[float]]]:
    """For each category of `names` in the whole history, in one pass: its rows, its keeps,
    and the gains of its keeps measured against an earlier keep (`_keeps`), in order,
    relative and in metric units."""
    tried: dict[str, int] = {}
    kept: dict[str, int] = {}
    gains: dict[str, list[float]] = {}
    deltas: dict[str, list[float]] = {}
    for row in rows:
        name = row.category
        if name not in names:
            continue
        tried[name] = tried.get(name, 0) + 1
        if row.status == KEEP:  # row.kept, without the property call
            kept[name] = kept.get(name, 0) + 1
        if row.improved:
            gains.setdefault(name, []).append(row.gain)
            deltas.setdefault(name, []).append(row.delta)
    return tried, kept, gains, deltas


def _by_category(rows: Sequence[StepRow]) -> dict[str, list[StepRow]]:
    out: dict[str, list[StepRow]] = {}
    for row in rows:
        out.setdefault(row.category, []).append(row)
    return out


def _median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def _headline(top: str, table: Sequence[CategoryRow]) -> str:
    row = next((c for c in table if c.name == top), None)
    name = top.replace("_", " ")
    if row is None or row.tried_all == 0:
        return f"{name} (not tried yet)"
    if row.tried == 0:
        return f"{name} (not tried in the window; {row.tried_all} tried in all)"
    if row.label == "EXPLOIT":
        return f"{name} variations (keeps above the average)"
    if row.label == "EXPLORE":
        return f"{name} (under-explored)"
    return f"{name} (best expected gain per experiment)"


def _suggest(
    rows: Sequence[StepRow],
    picks: Sequence[tuple[str, float]],
    catalogue: Sequence[Idea],
    regime: tuple[str, str],
    k: int,
    tried: Tried,
    state: KnobState,
    noise: NoiseFloor,
) -> list[Suggestion]:
    out = _regime_suggestions(rows, *regime)
    kept = _kept_knobs(rows)
    used: set[str] = set()
    knobs_used: set[str] = set()
    concrete = cache(partial(_concrete, rows, state, noise))
    for category, _ in picks:
        if len(out) >= k:
            break
        knob = _knob_suggestion(kept, category, state, knobs_used)
        if knob is not None:
            knobs_used.add(knob.knob or "")
            out.append(knob)
            continue
        for idea in untried(catalogue, tried, category):
            if idea.id in used or not _fits(idea, state) or not concrete(idea):
                continue
            used.add(idea.id)
            out.append(concrete(idea) or _from_idea(idea, state))
            break
    if len(out) < k:  # the picked categories ran dry: the best remaining ideas of any
        rest = (i for i in untried(catalogue, tried) if i.id not in used and _fits(i, state))
        found = (made for made in map(concrete, rest) if made is not None)
        out += list(islice(found, max(k - len(out), 0)))
    return out[:k]


def _concrete(
    rows: Sequence[StepRow], state: KnobState, noise: NoiseFloor, idea: Idea
) -> Suggestion | None:
    """The suggestion an idea makes on this history: the catalogue's own, or for the near-miss
    combination the two near-misses it names (`namedrows.near_miss_pair`), None without them."""
    if idea.id != NEAR_MISS_IDEA:
        return _from_idea(idea, state)
    sigma = noise.sigma
    pair = near_miss_pair(rows, state, sigma)
    if pair is None:
        return None
    names = " + ".join(
        f'{r.commit} "{short(r.description)}" ({against_best(r, sigma, noise.log)})' for r in pair
    )
    why = (
        f"both discarded within the noise floor ({noise.shown}) of the best at their time, on"
        f" different knobs, neither kept since; {idea.why}"
    )
    return Suggestion(
        idea.category, f"Cherry-pick two near-misses into one run: {names}", why, idea.id, rows=pair
    )


def _fits(idea: Idea, state: KnobState) -> bool:
    """Whether an idea is new: its knob value is neither tried nor against the evidence, no
    more than half the changes its text names are in force already, and not all were tried."""
    knob, value = idea.knob, idea.value
    if knob and value and (state.is_tried(knob, value) or state.against_evidence(knob, value)):
        return False
    if knob and value and _reversed(knob, value, state):
        return False
    changes = parse_knobs(idea.text)
    if not changes:
        return True
    if 2 * sum(state.in_force(c.knob, c.new) for c in changes) >= len(changes):
        return False
    return not all(state.is_tried(c.knob, c.new) for c in changes)


def _reversed(knob: str, value: str, state: KnobState) -> bool:
    """Whether the history moved `knob` past the idea's value, so that reaching it from the
    incumbent goes the other way than the idea (train.py's default -> value) and its why no
    longer holds ("TOTAL_BATCH_SIZE 2**19 -> 2**18: twice the steps" from a 16K batch)."""
    now, default = state.current.get(knob), DEFAULTS.get(knob)
    if now is None or default is None:
        return False
    idea_way, our_way = relative_step(default, value), relative_step(now, value)
    return idea_way is not None and our_way is not None and idea_way * our_way < 0


def _from_idea(idea: Idea, state: KnobState) -> Suggestion:
    """A catalogue idea, restated from the incumbent's value when the history moved its knob."""
    text = idea.text
    if idea.knob is not None and idea.value is not None:
        now = state.current.get(idea.knob)
        if now is not None and not values_equal(now, DEFAULTS.get(idea.knob, "")):
            text = f"{idea.knob} {now} -> {idea.value} (catalogue: {idea.text})"
    return Suggestion(idea.category, text, idea.why, idea.id, idea.knob, idea.value)


def _regime_suggestions(rows: Sequence[StepRow], regime: str, reason: str) -> list[Suggestion]:
    if regime != Regime.STUCK:
        return []
    # re-runs and seed changes (category baseline) change nothing: there is nothing to combine;
    # runs of one configuration (same commit and description) are one change, the newest run
    distinct: dict[tuple[str, str], StepRow] = {}
    for r in rows[-PLATEAU:]:
        if r.near_miss and r.category != "baseline":
            distinct.pop((r.commit, r.description.strip().casefold()), None)
            distinct[(r.commit, r.description.strip().casefold())] = r
    near = list(distinct.values())
    if len(near) >= 2:
        names = ", ".join(
            f"{r.commit or '#' + str(r.position)} ({r.description[:40]})" for r in near[-3:]
        )
        why = f"{reason}; {len(near)} near-misses within the noise floor in the last {PLATEAU}"
        return [Suggestion("combination", f"combine the near-misses: {names}", why)]
    return [
        Suggestion(
            "simplification",
            "remove or simplify one component (an ablation)",
            f"{reason}; no near-misses to combine in the last {PLATEAU}",
        )
    ]


def _kept_knobs(rows: Sequence[StepRow]) -> dict[str, dict[str, KnobChange]]:
    """For each category, the knobs its kept rows changed, newest keep first, each with the
    change of its newest keep."""
    out: dict[str, dict[str, KnobChange]] = {}
    for row in reversed(rows):
        if row.knobs and row.status == KEEP:
            firsts = out.setdefault(row.category, {})
            for change in row.knobs:
                firsts.setdefault(change.knob, change)
    return out


def _knob_suggestion(
    kept: Mapping[str, Mapping[str, KnobChange]], category: str, state: KnobState, skip: set[str]
) -> Suggestion | None:
    """The next value of a knob kept in this category (newest keep first, `_kept_knobs`), one
    step from its value in the best configuration, where no tried value lies on the way."""
    for knob, change in kept.get(category, {}).items():
        if knob not in skip:  # each knob once: its state does not depend on the row
            now = state.value(change.knob) or change.new
            nxt = state.next_values(change.knob)
            if nxt:
                return Suggestion(
                    category,
                    f"{change.knob} {now} -> {nxt[0]}",
                    _knob_why(change.knob, now, nxt, state),
                    None,
                    change.knob,
                    nxt[0],
                )
    return None


def _knob_why(knob: str, now: str, nxt: Sequence[str], state: KnobState) -> str:
    others = [v for v in dict.fromkeys(state.tried.get(knob, ())) if not values_equal(v, now)]
    shown = ", ".join(others[:4]) + (f" and {len(others) - 4} more" if len(others) > 4 else "")
    kept = state.last_kept.get(knob)
    how = f" (kept {kept.old} -> {kept.new})" if kept is not None and kept.old else ""
    note = f"; also tried {shown}" if others else ""
    step = relative_step(now, nxt[0])
    way = "" if step is None else (" up" if step > 0 else " down")
    again = relative_step(kept.old, kept.new) if kept is not None else None
    same = again is not None and step is not None and (again > 0) == (step > 0)
    direction = ", the kept direction" if same else ""
    return (
        f"{knob} is {now} in the best configuration{how}{note}; {nxt[0]} is one step{way}"
        f"{direction}, with nothing tried on the way"
    )
