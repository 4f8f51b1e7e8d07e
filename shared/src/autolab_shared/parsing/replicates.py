"""Replicates: rows that measured one configuration, pooled into a :class:`Config`.

Rows are replicates when they share a git hash *and* describe the same change: the same
description (case, spacing and trailing ``(...)``/``[...]`` notes aside), an empty one, or one
that says near its start that it repeats a run (re-run, seed, repeat, verify, validate,
reproduce, replicate, ``run 3``, a numbered ``baseline 2``), or that names
``rerun-of:<hash>``. Rows that share a hash but describe different changes are separate
experiments (agents that never commit, or that log the parent's hash): see
:func:`reused_commits`. Commits that are not hashes (``baseline``, ``-``) never pool.
numpy is imported only to build value arrays, so reading a history without replicates (as
autosteer often does) never loads it.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from itertools import accumulate, compress, repeat
from operator import attrgetter, lt
from typing import TYPE_CHECKING, NamedTuple, Protocol

from autolab_shared.core.scale import Scale
from autolab_shared.parsing.commits import COMMIT_HASH, is_commit_hash
from autolab_shared.parsing.status import DISCARD, KEEP

if TYPE_CHECKING:
    from autolab_shared.core.arrays import FloatArray
    from autolab_shared.parsing.experiment import Experiment

REPEAT_SPAN = 48  # a repeat is said near the start: "exp37 rerun: ...", "SWA run 4 (seed 2)"
_NOTE = re.compile(r"\s*[(\[][^()\[\]]*[)\]]\s*$")  # a trailing "(...)" or "[...]" note
_SPACE = re.compile(r"[\s_]+")
_COUNTED = re.compile(r"(baseline|base|control|stock)( ?#? ?(run )?\d{1,3})?")  # "baseline 2"
_COUNTED_WORDS = ("base", "control", "stock")  # how every match of it starts
_HEX = b"0123456789abcdefABCDEF"


@cache
def _rerun_of() -> re.Pattern[str]:
    """``rerun-of:<hash>`` (compiled on first use, like :func:`_repeat`)."""
    return re.compile(r"\bre-?run[-_ ]of[:= ]\s*([0-9a-fA-F]{7,40})\b", re.I)


@cache
def _repeat() -> re.Pattern[str]:
    """Words that say a run repeats another; compiled on first use (only rows that reuse a
    commit ask), which keeps the compile off a verdict's start-up."""
    return re.compile(
        r"\b(re-?run\w*|re-?ran|seeds?|repeat\w*|verif(?:y|ie[sd]|ying)|validat(?:e[sd]?|ing)"
        r"|reproduc\w*|replicat\w*|run ?#?\d{1,3})\b",
        re.I,
    )


class Row(Protocol):
    """What grouping reads of a row: its commit cell and its description."""

    @property
    def commit(self) -> str: ...
    @property
    def description(self) -> str: ...


def change_of(description: str) -> str:
    """The change a description names: lower case, spacing folded, trailing notes dropped."""
    text = description.strip().lower()
    while text.endswith((")", "]")) and (stripped := _NOTE.sub("", text)) != text:
        text = stripped  # (a note ends the text; what it leaves ends in no space)
    text = _SPACE.sub(" ", text).strip(" .;:,-")
    counted = _COUNTED.fullmatch(text) if text.startswith(_COUNTED_WORDS) else None
    return counted.group(1) if counted else text


def says_repeat(description: str) -> bool:
    """True when a description says, near its start, that it repeats a run (rerun, seed, ...).

    Later words are more often the change itself ("... verify roundtrip exact", "... validation").
    """
    return _repeat().search(description[:REPEAT_SPAN]) is not None


class _Keys:
    """Assigns replicate keys row by row: one key per (hash, change), in file order."""

    def __init__(self) -> None:
        self.first: dict[str, str] = {}  # hash -> raw description of its first row
        self.changes: dict[str, dict[str, str]] = {}  # hash -> change -> key (once reused)
        self.last: dict[str, str] = {}  # hash -> key of its latest row
        self.reused: dict[str, int] = {}  # hash -> distinct changes logged under it
        self.paired: list[int] | None = None  # rows with a hash another row has, and more
        self.counts: Counter[str] | None = None  # rows per key, when counted on the way

    def key(self, commit: str, description: str, row: int) -> str:
        found = _rerun_of().search(description) if "run" in description.lower() else None
        if found:
            target = found.group(1).lower()
            return self.last.get(target, target)
        if not is_commit_hash(commit):
            return f"#row{row}"
        sha = commit.lower()
        if sha not in self.first:
            self.first[sha] = description
            self.last[sha] = sha
            return sha
        if description == self.first[sha] and sha not in self.changes:
            self.last[sha] = sha
            return sha  # the common case: an identical description, nothing to normalise
        key = self._known(sha, description)
        self.last[sha] = key
        return key

    def all(self, rows: Sequence[Row]) -> list[str]:
        """`key` of every row in order (see `of_columns`)."""
        commits = list(map(attrgetter("commit"), rows))
        return self.of_columns(commits, list(map(attrgetter("description"), rows)))

    def of_columns(self, commits: list[str], descriptions: list[str]) -> list[str]:
        """`key` of every row, given as its commit and description columns. When every commit
        is a bare hex hash, a hash logged on no other row, in a description that does not say
        "run", is its own key (most rows of a long history): only the other rows are keyed one
        by one, and `first` and `last` then hold only their hashes (no later row can ask for
        the others)."""
        hashes = _lowered_hashes(commits)
        found = None if hashes is None else _not_alone(hashes, descriptions)
        if hashes is None or found is None:
            return self._one_by_one(commits, descriptions)
        others, counts = found
        self.paired = others  # (the rows keyed one by one: every other row's hash is its own)
        out = list(hashes)
        for row in others:
            out[row] = self.key(commits[row], descriptions[row], row)
        if all(out[row] == hashes[row] for row in others):
            self.counts = counts  # every key is its row's hash: the hashes' count is theirs
        return out

    def _one_by_one(self, commits: list[str], descriptions: list[str]) -> list[str]:
        """`of_columns` for any commits: a hash met for the first time, in a description that
        does not say "run", keyed inline."""
        out: list[str] = []
        first, last, hashlike = self.first, self.last, COMMIT_HASH.fullmatch
        for row, (commit, description) in enumerate(zip(commits, descriptions, strict=True)):
            if "run" not in description.lower() and hashlike(commit):
                sha = commit.lower()
                if sha not in first:
                    first[sha] = description
                    last[sha] = sha
                    out.append(sha)
                    continue
            out.append(self.key(commit, description, row))
        return out

    def _known(self, sha: str, description: str) -> str:
        changes = self.changes.get(sha)
        if changes is None:  # not setdefault: its default would be built on every call
            changes = self.changes[sha] = {change_of(self.first[sha]): sha}
        change = change_of(description)
        if change in changes:
            return changes[change]
        if not change or says_repeat(description):
            return self.last[sha]
        key = f"{sha}~{len(changes) + 1}"
        changes[change] = key
        self.reused[sha] = len(changes)
        return key


def _lowered_hashes(commits: list[str]) -> list[str] | None:
    """Every commit in lower case when each is 7–40 hex digits; else None (a label or
    ``-dirty``: rows are keyed one by one)."""
    joined = "".join(commits)
    if not joined.isascii() or joined.encode("ascii").translate(None, _HEX):
        return None  # a character that is not a hex digit
    if commits and (min(map(len, commits)) < 7 or max(map(len, commits)) > 40):
        return None
    return list(map(str.lower, commits)) if joined != joined.lower() else commits


def _not_alone(
    lowered: list[str], descriptions: list[str]
) -> tuple[list[int], Counter[str]] | None:
    """The rows whose hash (`lowered`) is logged on another row too or whose description says
    "run", in order, and the rows per hash (None when that cannot be told in bulk)."""
    counts = Counter(lowered)
    if len(counts) == len(lowered):
        shared: list[int] = []
    else:
        twice = set(compress(counts, map(lt, repeat(1), counts.values())))
        shared = list(compress(range(len(lowered)), map(twice.__contains__, lowered)))
    runs = _saying_run(descriptions)
    if runs is None:
        return None
    return (sorted({*shared, *runs}) if runs else shared), counts


def _saying_run(descriptions: list[str]) -> list[int] | None:
    """Rows whose lower-cased description contains "run" (None when lower-casing changes a
    description's length: then offsets in the joined text do not map back)."""
    joined = "\n".join(descriptions)
    low = joined.lower()
    if "run" not in low:
        return []
    if len(low) != len(joined):
        return None
    rows, at = [], low.find("run")  # ("run" never spans the "\n" between two)
    if low.count("\n") == len(descriptions) - 1:  # one line each: count the line ends before
        row, last = 0, 0
        while at >= 0:
            row += low.count("\n", last, at)
            rows.append(row)
            last, at = at, low.find("run", at + 1)
        return rows
    starts = list(accumulate(map((1).__add__, map(len, descriptions)), initial=0))
    while at >= 0:
        rows.append(bisect_right(starts, at) - 1)
        at = low.find("run", at + 1)
    return rows


_LAST: list[tuple[Sequence[Row], list[str]]] = []  # the last rows seen: keys are asked twice


def replicate_keys(rows: Sequence[Row]) -> list[str]:
    """The configuration each row measured (rows with equal keys are replicates)."""
    last = _LAST[0] if _LAST else None  # one read: other threads may replace it
    if last is not None and last[0] is rows:
        return last[1]
    found = _Keys().all(rows)
    if isinstance(rows, tuple):  # immutable: safe to remember
        _LAST[:] = [(rows, found)]
    return found


def candidate_key(rows: Sequence[Row], commit: str, description: str) -> str:
    """The key a new row (commit, description) would get after ``rows``."""
    keys = _Keys()
    for i, r in enumerate(rows):
        keys.key(r.commit, r.description, i)
    commit = commit.strip()
    return keys.key(commit, description, len(rows)) if is_commit_hash(commit) else "#candidate"


def latest_description(rows: Sequence[Row], commit: str) -> str | None:
    """The description of the latest row logged under hash ``commit``, or None."""
    sha = commit.strip().lower()
    if not is_commit_hash(sha):
        return None
    return next((r.description for r in reversed(rows) if r.commit.lower() == sha), None)


def reused_commits(rows: Sequence[Row]) -> dict[str, int]:
    """Hashes under which rows describe more than one change: hash -> number of changes."""
    keys = _Keys()
    found = keys.all(rows)
    if isinstance(rows, tuple):
        _LAST[:] = [(rows, found)]
    return keys.reused


class ColumnKeys(NamedTuple):
    """`keys_of_columns`: the keys, reused commits, rows that may share a commit, key counts."""

    keys: list[str]
    reused: dict[str, int]
    paired: list[int] | None  # every row whose commit cell another row has too, and more
    counts: Counter[str] | None  # Counter(keys), when it came for free


def keys_of_columns(commits: list[str], descriptions: list[str]) -> ColumnKeys:
    """`replicate_keys` and `reused_commits` of rows given as their two columns, with what
    was learnt on the way (None where it was not)."""
    keys = _Keys()
    found = keys.of_columns(commits, descriptions)
    return ColumnKeys(found, keys.reused, keys.paired, keys.counts)


@dataclass(frozen=True, init=False)
class Config:
    """One configuration: every row that measured it, in file order."""

    key: str
    rows: tuple[Experiment, ...]

    def __init__(self, key: str, rows: tuple[Experiment, ...]) -> None:
        """The dataclass's own __init__ (none is generated), without a frozen setattr per
        field: a long history has 10^5 configurations, and the cached values below go into
        the same instance dict."""
        fields = self.__dict__
        fields["key"], fields["rows"] = key, rows

    @property
    def first(self) -> Experiment:
        return self.rows[0]

    @property
    def valued(self) -> tuple[Experiment, ...]:
        """Rows with a metric value (not crashes)."""
        found: tuple[Experiment, ...] | None = self.__dict__.get("_valued")
        if found is None:
            found = self.__dict__["_valued"] = tuple(r for r in self.rows if r.value is not None)
        return found

    @property
    def memory_gb(self) -> float | None:
        """The largest peak memory recorded for it."""
        mems = [r.memory_gb for r in self.valued if r.memory_gb is not None]
        return max(mems) if mems else None

    @property
    def label(self) -> bool | None:
        """True if any row kept it, False if a row discarded it, None when no row says."""
        if "_label" not in self.__dict__:
            label = None
            for r in self.rows:  # a keep decides; a discard unless a keep follows
                if r.value is not None and r.status in (KEEP, DISCARD):
                    label = r.status == KEEP
                    if label:
                        break
            self.__dict__["_label"] = label
        found: bool | None = self.__dict__["_label"]
        return found

    def x(self, scale: Scale) -> FloatArray:
        """Its values on the working scale (computed once per scale; do not modify)."""
        return self._on(scale)[1]

    def mean_x(self, scale: Scale) -> float:
        """The mean of its working values (NaN for a crash)."""
        mean: float = self._on(scale)[2]
        return mean

    def _on(self, scale: Scale) -> tuple[Scale, FloatArray, float]:
        """(scale, values, mean) on the working scale, kept for the last scale asked."""
        cached: tuple[Scale, FloatArray, float] | None = self.__dict__.get("_x")
        if cached is None or (cached[0] is not scale and cached[0] != scale):
            import numpy as np  # here, not at the top: see the module docstring

            xs = [scale.to_x(r.value) for r in self.valued if r.value is not None]
            arr = np.array(xs)
            arr.flags.writeable = False  # shared by every caller
            cached = (scale, arr, sum(xs) / len(xs) if xs else math.nan)
            self.__dict__["_x"] = cached
        return cached


def group_configs(experiments: Sequence[Experiment], min_rows: int = 1) -> list[Config]:
    """Pool rows by replicate key, ordered by first appearance (those of `min_rows` or more)."""
    rows: dict[str, list[Experiment]] = {}
    for exp, key in zip(experiments, replicate_keys(experiments), strict=True):
        group = rows.get(key)
        if group is None:
            rows[key] = [exp]
        else:
            group.append(exp)
    return [Config(key, tuple(group)) for key, group in rows.items() if len(group) >= min_rows]


def replicate_groups(
    configs: Sequence[Config], scale: Scale, candidate: tuple[str, int, list[float]] | None = None
) -> list[list[float]]:
    """Working values of every configuration measured twice or more, ordered by its last row.

    ``candidate`` (key, position, values) replaces that configuration's values, or adds them
    at ``position`` when the key is new (runs not yet written as rows).
    """
    groups: list[tuple[int, list[float]]] = []
    new_key = candidate is not None
    for config in configs:
        if candidate is not None and config.key == candidate[0]:
            x, new_key = candidate[2], False
        elif len(config.rows) < 2:
            continue  # one row measures one value at most: no replicate group
        else:
            x = list(config.x(scale))
        groups.append((config.rows[-1].index, x))
    if candidate is not None and new_key:
        groups.append((candidate[1], candidate[2]))
    return [g for _, g in sorted(groups, key=lambda t: t[0]) if len(g) >= 2]
