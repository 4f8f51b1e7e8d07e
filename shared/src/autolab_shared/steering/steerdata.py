"""Experiments in steering terms: category, tags, knobs, and whether a keep was real.

A keep counts as a success only when it improved the best kept value of its agent by more
than the noise floor (`noise.history_noise`, the σ̂ autojudge uses), so lucky noise keeps do not
steer the search.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, NamedTuple, TypeVar

from autolab_shared.core.scale import scale_for
from autolab_shared.files.forkmap import MINIMUM, run_beside
from autolab_shared.parsing.replicates import group_configs, replicate_groups
from autolab_shared.parsing.results import History
from autolab_shared.parsing.status import CRASH, KEEP
from autolab_shared.stats.noise import NoiseFloor, history_noise
from autolab_shared.stats.nullnoise import consecutive_deltas
from autolab_shared.steering.classify import Classifier
from autolab_shared.steering.ideas import description_tokens
from autolab_shared.steering.knobs import KnobChange, knob_changes

NEAR_MISS_SIGMAS = 2.0
T = TypeVar("T")


@dataclass(frozen=True)
class StepRow:
    """One experiment as the bandit sees it."""

    position: int
    agent: str
    category: str
    tags: tuple[str, ...]
    status: str
    description: str
    gain: float  # relative improvement over the agent's best kept value so far (log scale)
    success: bool  # kept and gain beyond the noise floor
    near_miss: bool  # not kept, within NEAR_MISS_SIGMAS noise sd of the best
    knobs: tuple[KnobChange, ...]
    commit: str
    delta: float = 0.0  # a keep's improvement over the agent's best so far, metric units
    improved: bool = False  # a keep measured against an earlier keep (not the agent's first)
    miss_gain: float | None = None  # a row not kept: its gain over the best (relative, log scale)
    miss_delta: float | None = None  # the same in metric units (positive = better)

    @property
    def crashed(self) -> bool:
        return self.status == CRASH

    @property
    def kept(self) -> bool:
        return self.status == KEEP


def agent_name(history: History) -> str:
    """The file's name without its extension, used when rows carry no agent column."""
    name = history.path.replace("\\", "/").rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[0] if "." in name else name


def noise_of(histories: Sequence[History]) -> NoiseFloor:
    """σ̂ of every history: replicate groups pooled with the empirical null of the histories'
    consecutive deltas (relative, log scale; `noise.history_noise`, the estimate autojudge uses)."""
    groups: list[list[float]] = []
    deltas: list[float] = []
    log = True
    for history in histories:
        values = [e.value for e in history.experiments if e.value is not None]
        scale = scale_for(values, history.direction)
        log = log and scale.log
        # a configuration of one row is never a replicate group: do not build those
        groups += replicate_groups(group_configs(history.experiments, min_rows=2), scale)
        deltas += consecutive_deltas(history.experiments, scale)
    return history_noise(groups, deltas, window=0, log=log)


class Facts(NamedTuple):
    """What one description says, read once: category and tags, knob changes, tokens."""

    category: str
    tags: tuple[str, ...]
    knobs: tuple[KnobChange, ...]
    tokens: frozenset[str]  # ideas.description_tokens, for the tried-idea index


# The part of the classification a forked child does: the parent meanwhile reads every
# description's knob changes and tokens, runs the caller's `meanwhile` (autosteer's noise
# floor, rows without categories, knob state and tried ideas) and classifies the rest
# (classifying is about 11 µs a description, the parent's other work about 12 µs).
CHILD_SHARE = 1.0


Classified = tuple[str, tuple[str, ...]]  # category, tags
Knobs = list[tuple[KnobChange, ...]]  # each description's knob changes
Tokens = list[frozenset[str]]  # each description's `ideas.description_tokens`


def describe(
    descriptions: Sequence[str],
    classifier: Classifier | Callable[[], Classifier],
    minimum: int = MINIMUM,
    meanwhile: Callable[[Knobs, Tokens], object] | None = None,
) -> list[Facts]:
    """The facts of each description (`read_descriptions`, as one tuple per description)."""
    classes, knobs, tokens = read_descriptions(descriptions, classifier, minimum, meanwhile)
    rows = zip(classes, knobs, tokens, strict=True)
    return [_AS_FACTS((category, tags, k, t)) for (category, tags), k, t in rows]


def read_descriptions(
    descriptions: Sequence[str],
    classifier: Classifier | Callable[[], Classifier],
    minimum: int = MINIMUM,
    meanwhile: Callable[[Knobs, Tokens], object] | None = None,
) -> tuple[list[Classified], Knobs, Tokens]:
    """Each description's (category, tags), knob changes and tokens. From `minimum`
    descriptions on, a forked child classifies the first `CHILD_SHARE` of them
    (`forkmap.run_beside`) while the parent reads every description's knob changes and tokens,
    calls `meanwhile` with them (other work of the caller) and classifies the rest, with the
    same result. `classifier` may be a function that returns one (each call the same): it is
    called only where descriptions are classified."""
    cut = round(len(descriptions) * CHILD_SHARE) if len(descriptions) >= max(minimum, 2) else 0

    def parent() -> tuple[list[Classified], Knobs, Tokens]:
        # one reader at a time over all descriptions: interleaving them (each with its own
        # regexes and cache) cost about a fifth more CPU on 100,000 rows
        knobs = _each_once(knob_changes, descriptions)
        tokens = [description_tokens(text) for text in descriptions]
        if meanwhile is not None:
            meanwhile(knobs, tokens)
        return _classes(classifier, descriptions[cut:]), knobs, tokens

    if not cut:
        return parent()
    coded, (rest, knobs, tokens) = run_beside(
        partial(_coded, classifier, descriptions[:cut]),
        parent,
        lambda r: _decodes(r, cut),
    )
    return _decoded(coded) + rest, knobs, tokens


# Facts(*fields) without the Python __new__ of a NamedTuple
_AS_FACTS: Callable[[tuple[object, ...]], Facts] = partial(tuple.__new__, Facts)


def _classes(
    classifier: Classifier | Callable[[], Classifier], descriptions: Sequence[str]
) -> list[Classified]:
    if not descriptions:
        return []
    if not isinstance(classifier, Classifier):
        classifier = classifier()
    return [(found.category, found.tags) for found in map(classifier, descriptions)]


def _each_once(read: Callable[[str], T], texts: Sequence[str]) -> list[T]:
    """``[read(text) for text in texts]`` with `read` called once per distinct text (the
    same result object for equal texts, as from a cache, without a cache's upkeep)."""
    distinct = dict.fromkeys(texts)
    if len(distinct) == len(texts):
        return list(map(read, texts))
    found = {text: read(text) for text in distinct}
    return list(map(found.__getitem__, texts))


def _coded(
    classifier: Classifier | Callable[[], Classifier], descriptions: Sequence[str]
) -> tuple[list[Classified], array[int]]:
    """`_classes` as its distinct values and one number per description (100,000 rows pickle
    in about a millisecond instead of 30)."""
    distinct: dict[Classified, int] = {}
    codes = array(
        "I", [distinct.setdefault(c, len(distinct)) for c in _classes(classifier, descriptions)]
    )
    return list(distinct), codes


def _decodes(sent: object, size: int) -> bool:
    """Whether a child sent back `_coded`'s result for `size` descriptions."""
    if not (isinstance(sent, tuple) and len(sent) == 2):
        return False
    values, codes = sent
    return (
        isinstance(values, list)
        and isinstance(codes, array)
        and len(codes) == size
        and (not codes or max(codes) < len(values))
    )


def _decoded(coded: tuple[list[Classified], array[int]]) -> list[Classified]:
    values, codes = coded
    return list(map(values.__getitem__, codes))


def steering_rows(
    histories: Sequence[History],
    classifier: Classifier,
    noise: NoiseFloor,
    facts: Sequence[Facts] | None = None,
) -> list[StepRow]:
    """Every experiment of every history, in order, with its category and success (`facts`:
    those of every description in that order, when already read with `describe`)."""
    if facts is None:
        texts = [e.description for history in histories for e in history.experiments]
        facts = describe(texts, classifier)
    fields = row_fields(histories, noise.sigma, [f.knobs for f in facts])
    return with_classes(fields, [(f.category, f.tags) for f in facts])


RowFields = dict[str, Any]  # a StepRow's fields by name, in order


def row_fields(
    histories: Sequence[History], sigma: float, knobs: Sequence[tuple[KnobChange, ...]]
) -> list[RowFields]:
    """The fields of every experiment's `StepRow` but its category and tags (left empty for
    `with_classes`), given each description's knob changes: what `steering_rows` builds,
    without the classification."""
    rows: list[RowFields] = []
    for history in histories:
        mine = knobs[len(rows) : len(rows) + len(history.experiments)]
        rows.extend(_fields_of(history, mine, sigma, len(rows)))
    return rows


def with_classes(fields: Sequence[RowFields], classes: Iterable[Classified]) -> list[StepRow]:
    """The rows of `row_fields`, each with its (category, tags); the dicts become the rows'."""
    out = []
    new, put = object.__new__, object.__setattr__
    for named, (category, tags) in zip(fields, classes, strict=True):
        named["category"] = category
        named["tags"] = tags
        row = new(StepRow)  # StepRow(...) without the frozen __init__ (about 2x faster)
        put(row, "__dict__", named)
        out.append(row)
    return out


def _fields_of(
    history: History, knobs: Sequence[tuple[KnobChange, ...]], sigma: float, offset: int
) -> list[RowFields]:
    values = [e.value for e in history.experiments if e.value is not None]
    scale = scale_for(values, history.direction)
    sign, log = scale.sign, scale.log  # scale.to_x, inlined
    default_agent = agent_name(history)
    best: dict[str, float] = {}
    best_y: dict[str, float] = {}
    out = []
    for i, (exp, changes) in enumerate(zip(history.experiments, knobs, strict=True)):
        agent = (exp.get("agent") if exp.extra else None) or default_agent  # get() scans
        y = exp.value
        x = None if y is None else sign * (math.log(y) if log else y)
        ref = best.get(agent)
        gain = 0.0 if x is None or ref is None else ref - x
        kept = exp.status == KEEP and x is not None
        success = kept and ref is not None and gain > sigma
        missed = not kept and x is not None and ref is not None  # a value, measured on a best
        near = missed and abs(gain) <= NEAR_MISS_SIGMAS * sigma
        delta = sign * (best_y[agent] - y) if ref is not None and y is not None else 0.0
        if kept and (ref is None or x < ref):  # type: ignore[operator]
            best[agent] = x  # type: ignore[assignment]
            best_y[agent] = y  # type: ignore[assignment]
        out.append(
            {
                "position": offset + i,
                "agent": agent,
                "category": "",
                "tags": (),
                "status": exp.status,
                "description": exp.description,
                "gain": gain if kept else 0.0,
                "success": success,
                "near_miss": near,
                "knobs": changes,
                "commit": exp.commit,
                "delta": delta if kept else 0.0,
                "improved": kept and ref is not None,
                "miss_gain": gain if missed else None,
                "miss_delta": delta if missed else None,
            }
        )
    return out
