"""Classify an experiment description into a taxonomy category, with tags.

The first rule of the taxonomy whose patterns match wins. Rules run on the change part of the
description first (:func:`change_part`), then on the whole description; when neither matches
the category is ``other``. Text is lower-cased and ``_`` read as a space before matching, so
``MATRIX_LR`` and "matrix lr" look the same. Results are cached per description.

A change part that lists several settings (``A + B``, ``A, B and C``, ``X=1 Y=2``) is split
into items (:func:`change_items`) and each item classified on its own; the list is tagged
``multi_change`` and gets its main change or ``combination`` (see :mod:`.listing`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache

from autolab_shared.core.prefilter import (
    GroupFilter,
    group_trigger,
    pattern_key,
)
from autolab_shared.parsing.changepart import change_part, strip_labels
from autolab_shared.steering.fallback import fallback_guess
from autolab_shared.steering.listing import (
    MULTI_CHANGE,
    Item,
    Match,
    assigns_several,
    base_word,
    best_with,
    change_items,
    count_settings,
    flags_several,
    is_head_size,
    is_record,
    leads_with_model,
    lists_loosely,
    main_category,
    main_items,
    may_list,
    plus_parted,
    run_label,
    setting_key,
    sizes_model,
    without_asides,
)
from autolab_shared.steering.taxonomy import (
    OTHER,
    Taxonomy,
    compile_pattern,
    load_taxonomy,
    prepare_pattern,
)

CHANGE, FULL, NONE, LEARNED = "change", "full", "none", "learned"
ATTENTION, MODEL_SCALE, ARCHITECTURE = "attention", "model_scale", "architecture"
# H- and L-cycle counts of a recursive model matched as its architecture ("h1 l8"): two
# settings in one word pair.
_CYCLES = re.compile(r"h\d{1,2} ?l\d{1,2}")
# Only the first MAX_CHARS characters of a description are read: the change is stated at its
# start, and the bound keeps a hostile 50 KB description as cheap as a long real one.
MAX_CHARS = 4000

# A run number under an experiment number ("exp37 run14: ...") labels a repeat of that
# experiment: a baseline, whatever the settings restated after it.
_REPEAT_LABEL = re.compile(
    r"exp(?:eriment)?[ #_-]{0,2}\d{1,6}[a-z]?[ :._-]{1,3}(?:re-?)?run[ #_-]{0,2}\d{1,6}\b",
    re.IGNORECASE,
)
BASELINE = "baseline"
# A label or a combination word and what it introduces: "raw sweep: ...", "combo — ...".
_AFTER_LABEL = re.compile(r": | — | – | - ")
# A verdict that is all of a change part ("castor/client.py: FAIL - The analysis ..."): a
# review's note, whose prose after the verdict names no change of the run; so is a sampler
# study's "calibrated" ("calibrated at alpha=2.0": the alpha it was calibrated at, no change).
_VERDICTS = frozenset({"fail", "pass", "calibrated", "calibrated even"})
COMBINATION = "combination"
DATA = "data"
# A feature column of a tabular model added or removed, named in upper snake case ("remove
# HAS_BASEMENT"): a data change, when no rule names the change part.
_FEATURE_COLUMN = re.compile(
    r"(?:remove|drop|add|without|no) [A-Z][A-Z0-9]{0,30}(?:_[A-Z0-9]{1,30}){1,6}(?![\w-])"
)
# The base a change was tried on, named as a best configuration in an aside before " + "
# ("D_MODEL=512 N_BLOCKS=7 (osaka best) + WEIGHT_DECAY=0"): what follows it is the change.
_BEST_BASE = re.compile(r" \((?:[\w.-]{1,20} ){0,2}best\) \+ ", re.IGNORECASE)
# A run number after an aside ("overlapping clips (train only) run 2"): a repeat of the change.
_RUN_TAIL = re.compile(r"\b(?:re-?)?run \d{1,5}$", re.IGNORECASE)


def _parts(text: str) -> tuple[str, str]:
    """The change part of `text`, and the same read without asides in parentheses."""
    part = change_part(text)
    return part, change_part(without_asides(text)) if " (" in text else part


def normalise(text: str) -> str:
    """What patterns see: lower case, ``_`` as a space."""
    return text.lower().replace("_", " ")


@dataclass(frozen=True, slots=True)
class Classification:
    """The category of one description, its tags, and why.

    `matched` is the text the winning pattern matched and `pattern` that pattern; `on` says
    where: ``change`` (the change part), ``full`` (the whole description), ``learned`` (the
    fallback model named it; `matched` is its posterior) or ``none`` (other).
    """

    category: str
    tags: tuple[str, ...]
    matched: str
    on: str
    pattern: str = ""


@dataclass(frozen=True)
class _Group:
    """Patterns of one rule searched as one alternation; `each` names the one that matched."""

    any_of: re.Pattern[str]
    each: tuple[tuple[str, re.Pattern[str]], ...]
    keys: tuple[str | None, ...] = ()  # each member's `prefilter.pattern_key`
    # the members that can match where a text has this first character (`prefilter` keys)
    by_first: Mapping[str, tuple[tuple[str, re.Pattern[str]], ...]] = field(default_factory=dict)


class Classifier:
    """Callable description -> :class:`Classification` for one taxonomy (built-in if None).

    Each rule's patterns are searched as one or a few alternations (see `_compile_rule`), and
    results are cached per description (`cache_size` entries, least recently used dropped).
    """

    def __init__(
        self,
        taxonomy: Taxonomy | None = None,
        cache_size: int = 1 << 18,
        fallback: bool = True,
        prefilter: bool = True,
    ) -> None:
        self.taxonomy = taxonomy if taxonomy is not None else load_taxonomy()
        # the learned fallback names rows no rule matches, with categories of the taxonomy only
        self.fallback = fallback
        self._repeats = BASELINE in self.taxonomy.names  # "exp37 run14: ..." is a repeat
        self._columns = DATA in self.taxonomy.names  # "remove HAS_BASEMENT" is a data change
        self._checks = tuple(
            (rule.category, group)
            for rule in self.taxonomy.rules
            for group in _compile_rule(rule.patterns)
        )
        self._tags = tuple(
            (name, group)
            for name, patterns in self.taxonomy.tags.items()
            for group in _compile_rule(patterns)
        )
        self._searches = tuple((category, g.any_of.search, g) for category, g in self._checks)
        # one filter for the rule groups, then the tag groups (bits from len(self._checks) on)
        groups = [g for _, g in (*self._checks, *self._tags)]
        triggers = [group_trigger([c for _, c in g.each], g.keys, g.any_of.flags) for g in groups]
        self._filter = GroupFilter(triggers if prefilter else [None] * len(triggers))
        self._last: tuple[str, int] = ("", self._filter.candidates(""))
        self._cached = lru_cache(maxsize=cache_size)(self._tagged)
        self._item = lru_cache(maxsize=1 << 16)(self._first)  # items recur across rows

    def __call__(self, description: str) -> Classification:
        return self._cached(description)

    def category(self, description: str) -> str:
        """Just the category name."""
        return self._cached(description).category

    def read_history(
        self, descriptions: Sequence[str], kept: Sequence[bool]
    ) -> list[Classification]:
        """Each description in history order, classified as a call does, except that the
        items of a list already in force (set the same way by an earlier kept row) are its
        base, not its change: after "SWA" was kept, "SWA + LR2=4e-4" is a learning-rate
        change, and after "N_BLOCKS=6 BS=8" was, "N_BLOCKS=6 BS=8 WD=0" is regularization."""
        in_force: dict[str, str] = {}
        out = []
        for description, keep in zip(descriptions, kept, strict=True):
            items = change_items(_parts(description[:MAX_CHARS])[1], description)
            out.append(self._against(self(description), items, in_force))
            if keep:
                in_force.update(setting_key(item.text) for item in items)
        return out

    def _against(
        self, found: Classification, items: list[Item], in_force: dict[str, str]
    ) -> Classification:
        """`found` re-read without the items already in force (unchanged when none or all are)."""
        if len(items) < 2:
            return found
        new = [i for i in items if in_force.get(setting_key(i.text)[0]) != setting_key(i.text)[1]]
        if not new or len(new) == len(items):
            return found
        if len(new) > 1:
            return self._classify_list(new, found.tags) or found
        first = self._item(normalise(new[0].text))
        if first is None:
            return found
        return Classification(first[0], found.tags, first[2], CHANGE, first[1])

    def _tagged(self, description: str) -> Classification:
        """The classification; a combination is always a multi_change."""
        found = self._classify(description[:MAX_CHARS])
        repeat = None
        if self._repeats and description[:1] in ("e", "E"):
            repeat = _REPEAT_LABEL.match(description)
        if repeat is not None and found.category != BASELINE:
            return replace(found, category=BASELINE, matched=repeat.group(0), pattern="")
        if found.on == NONE and self.fallback:  # no rule matched
            found = self._learned(found, description)
        if found.category == COMBINATION and MULTI_CHANGE not in found.tags:
            return replace(found, tags=(*found.tags, MULTI_CHANGE))
        if found.category == ARCHITECTURE and _CYCLES.fullmatch(found.matched):
            return replace(found, tags=(*found.tags, MULTI_CHANGE))  # "h1_l8": two counts
        return found

    def _learned(self, found: Classification, description: str) -> Classification:
        """An `other` named by the learned fallback when it is confident (`.fallback`)."""
        guess = fallback_guess(description, self.taxonomy.names)
        if guess is None or guess[0] == OTHER:
            return found
        return replace(found, category=guess[0], matched=f"p={guess[1]:.2f}", on=LEARNED)

    def _classify(self, description: str) -> Classification:
        raw, bare = _parts(description)
        tags = self._tag(normalise(bare))
        if MULTI_CHANGE not in tags and lists_loosely(raw):  # a list the item split leaves whole
            tags = (*tags, MULTI_CHANGE)
        elif MULTI_CHANGE not in tags and "--" in description and flags_several(description):
            tags = (*tags, MULTI_CHANGE)  # "--lookback-eras 20 --trailing-eras 20"
        elif MULTI_CHANGE not in tags and best_with(description):
            tags = (*tags, MULTI_CHANGE)  # "best feature set with smote": a base and a change
        if ") + " in description and " best) + " in description.lower():
            based = self._on_best(description, tags)
            if based is not None:
                return based
        found = self._classify_part(description, tags, (raw, bare))
        if (
            found is not None
            and found.category != BASELINE
            and bare != raw
            and bare.startswith(raw)
            and _RUN_TAIL.search(bare) is not None
        ):
            found = replace(found, category=BASELINE, pattern="")  # "X (detail) run 2"
        if found is None or (found.category == COMBINATION and MULTI_CHANGE not in found.tags):
            found = self._after_label(description, raw, tags, found)
        elif self._labels_a_list(description, raw, found):  # "int4-compression: A=1 B=2"
            found = replace(found, tags=(*found.tags, MULTI_CHANGE))
        if found is not None:
            return found
        if MULTI_CHANGE not in tags and (assigns_several(raw) or plus_parted(raw)):
            tags = (*tags, MULTI_CHANGE)  # a list of settings no rule names
        column = _FEATURE_COLUMN.fullmatch(raw) if self._columns and raw[:1] in "radwn" else None
        if column is not None:
            return Classification(DATA, tags, column.group(0), CHANGE)
        full = normalise(description)
        first = (
            self._first(full) if full != normalise(raw) and not _verdict(raw, description) else None
        )
        if first is None:
            return Classification(OTHER, tags, "", NONE)
        category, pattern, matched = first
        return Classification(category, tags, matched, FULL, pattern)

    def _on_best(self, description: str, tags: tuple[str, ...]) -> Classification | None:
        """The change tried on a best configuration named first ("D_MODEL=512 N_BLOCKS=7
        (osaka best) + WEIGHT_DECAY=0": regularization), tagged as a base and a change; None
        when the aside is not right after the change part's first words."""
        text = strip_labels(description)
        m = _BEST_BASE.search(text)
        if m is None or change_part(text[: m.start()]) != text[: m.start()].strip():
            return None
        multi = tags if MULTI_CHANGE in tags else (*tags, MULTI_CHANGE)
        found = self._classify_part(text[m.end() :], multi)
        if found is None:
            return None
        return found if MULTI_CHANGE in found.tags else replace(found, tags=multi)

    @staticmethod
    def _labels_a_list(description: str, raw: str, found: Classification) -> bool:
        """True when the whole text before ": " is a label that names a change (not a
        baseline, which describes its configuration) and two or more different `KNOB=value`
        settings follow it: the list is the change, the label its kind."""
        if MULTI_CHANGE in found.tags or found.category == BASELINE or ": " not in description:
            return False
        m = _AFTER_LABEL.search(strip_labels(description))
        if m is None or m.group(0) != ": " or m.string[: m.start()].strip() != raw:
            return False
        return assigns_several(change_part(m.string[m.end() :]))

    def _after_label(
        self, description: str, raw: str, tags: tuple[str, ...], found: Classification | None
    ) -> Classification | None:
        """The change stated after a label that names none ("raw sweep: latent_dim=24") or
        the list after a combination word ("combo — warmdown 0.6 + matrix LR 0.05")."""
        m = _AFTER_LABEL.search(strip_labels(description))
        if m is None or change_part(m.string[: m.start()]) != raw:
            return found
        after = self._classify_part(m.string[m.end() :], tags)
        if found is None:  # after a dash only a list: a single name there is a result
            listed = after is not None and MULTI_CHANGE in after.tags
            return after if m.group(0) == ": " or listed else None
        if after is not None and MULTI_CHANGE in after.tags:
            return replace(found, tags=(*found.tags, MULTI_CHANGE))
        return found

    def _classify_part(
        self, text: str, tags: tuple[str, ...], parts: tuple[str, str] | None = None
    ) -> Classification | None:
        """The category of the change part of `text`, as one change or as a list; `parts`
        are `text`'s change part with and without asides when already known."""
        whole, part = parts if parts is not None else _parts(text)
        if may_list(part):
            items = change_items(part, text)
            if len(items) > 1:
                listed = self._classify_list(items, tags, is_record(part, items))
                if listed is not None:
                    return listed
            if base_word(text) and len(items) < len(change_items(part)):  # "X + Y (... than
                whole = " ".join(item.text for item in items)  # X alone)": Y, tried on X
                tags = tags if MULTI_CHANGE in tags else (*tags, MULTI_CHANGE)
        text = normalise(whole)
        found = self._first(text)
        if found is None:
            return None
        category, pattern, matched = found
        if category == ATTENTION and is_head_size(text) and sizes_model(text):
            category = MODEL_SCALE  # "depth 12 width 768 head_dim 64": one size change
        return Classification(category, tags, matched, CHANGE, pattern)

    def _classify_list(
        self, items: list[Item], tags: tuple[str, ...], record: bool = False
    ) -> Classification | None:
        """A list of settings: the main change's category, or ``combination``; None when it
        is no list (fewer than two settings, or no item matches a rule). A `record` of a
        configuration (see `is_record`) is named the same way but not tagged."""
        items = [Item(self._unlabelled(i.text), i.joined) for i in items]
        texts = [normalise(item.text) for item in items]
        found = [self._item(text) for text in texts]
        if all(f is None for f in found):
            return None
        if count_settings(items, found) < 2:
            return self._of_named_model(items, found, tags)
        describes = record or texts[0].startswith("baseline")  # "baseline DEPTH=8 batch=32"
        if MULTI_CHANGE not in tags and not describes:
            tags = (*tags, MULTI_CHANGE)
        pairs = main_items([(f, t) for f, t in zip(found, texts, strict=True) if f is not None])
        category = main_category([f[0] for f, _ in pairs], [t for _, t in pairs])
        if texts[-1].endswith(" combined") and category != BASELINE:
            category = COMBINATION  # "warmstart both + cosine combined": every item is new
        main = next((f for f, _ in pairs if f[0] == category), None)
        if main is None:  # several kinds: what each item matched
            return Classification(category, tags, " + ".join(f[2] for f, _ in pairs), CHANGE)
        return Classification(category, tags, main[2], CHANGE, main[1])

    @staticmethod
    def _of_named_model(
        items: list[Item], found: list[Match | None], tags: tuple[str, ...]
    ) -> Classification | None:
        """One setting of the model a list names first ("reg lgbm n_est=3000": model_scale,
        not a list); None for any other list of fewer than two settings."""
        if not leads_with_model(items, found):
            return None
        first = next((f for f in found[1:] if f is not None), None)
        return None if first is None else Classification(first[0], tags, first[2], CHANGE, first[1])

    def _unlabelled(self, item: str) -> str:
        """`item` without a leading run label that names nothing before one word ("b16 hflip"
        -> "hflip": b16 is no value of hflip; "int6 quant" stays, int6 is a setting)."""
        label, rest = run_label(item)
        if label and rest.isalpha() and self._item(normalise(label)) is None:
            return rest
        return item

    def _first(self, text: str) -> tuple[str, str, str] | None:
        """The first rule that matches, the pattern that matched and the text it matched
        (rule groups that cannot match `text` are skipped: `prefilter`)."""
        searches = self._searches
        bits = self._candidates(text) & ((1 << len(searches)) - 1)
        while bits:
            low = bits & -bits
            category, search, group = searches[low.bit_length() - 1]
            m = search(text)
            if m is not None:
                return category, *_which(group, text, m)
            bits ^= low
        return None

    def _tag(self, text: str) -> tuple[str, ...]:
        found: list[str] = []
        bits = self._candidates(text) >> len(self._searches)
        for name, group in self._tags:
            if bits & 1 and name not in found and group.any_of.search(text) is not None:
                found.append(name)
            bits >>= 1
        return tuple(found)

    def _candidates(self, text: str) -> int:
        """The groups that may match `text` (`prefilter`), remembered for the last text."""
        last, bits = self._last
        if text != last:
            bits = self._filter.candidates(text)
            self._last = (text, bits)
        return bits


def _verdict(raw: str, description: str) -> bool:
    """True when the change part, or the part after a label (``path.py: FAIL - ...``), is
    only a verdict: the rest of the text is a reviewer's prose, not the change."""
    if raw.lower() in _VERDICTS:
        return True
    m = _AFTER_LABEL.search(strip_labels(description))
    return (
        m is not None
        and m.group(0) == ": "
        and change_part(m.string[m.end() :]).lower() in _VERDICTS
    )


def _which(group: _Group, text: str, m: re.Match[str]) -> tuple[str, str]:
    """The pattern of `group` that matched where its alternation did, and the text matched."""
    start = m.start()
    for pattern, compiled in group.by_first.get(text[start : start + 1], group.each):
        found = compiled.match(text, m.start())
        if found is not None:
            return pattern, found.group(0)
    return "", m.group(0)  # not reached: some pattern matches where the alternation did


# "\bword..." is searched as "w(?<=\bw)ord...": the same matches, but an alternation whose
# branches all start with a literal character lets the regex engine skip ahead quickly.
_BOUNDARY_LITERAL = re.compile(r"\\b([a-z0-9 ])(?![?*+{])")
_LITERAL = re.compile(r"[a-z0-9 ](?![?*+{])")


def _kind(pattern: str) -> str:
    if _BOUNDARY_LITERAL.match(pattern) or _LITERAL.match(pattern):
        return "literal"
    return "\\b" if pattern.startswith("\\b") else "^" if pattern.startswith("^") else ""


def _searched(pattern: str) -> str:
    m = _BOUNDARY_LITERAL.match(pattern)
    if m is None:
        return pattern
    return f"{m.group(1)}(?<=\\b{m.group(1)}){pattern[m.end() :]}"


def _compile_rule(patterns: tuple[str, ...]) -> tuple[_Group, ...]:
    """The patterns in groups by how they start (a literal after \\b or alone, another \\b,
    ^, anything else): Python's regex engine scans a uniform alternation of literal-led
    branches several times faster than a mixed one."""
    kinds: dict[str, list[str]] = {"literal": [], "\\b": [], "^": [], "": []}
    for pattern in patterns:
        compile_pattern(pattern)  # names the bad pattern, if any
        kinds[_kind(prepare_pattern(pattern))].append(pattern)
    groups = []
    for members in kinds.values():
        if members:
            prepared = [prepare_pattern(p) for p in members]
            any_of = re.compile("|".join(f"(?:{_searched(p)})" for p in prepared))
            each = tuple((p, re.compile(q)) for p, q in zip(members, prepared, strict=True))
            keys = tuple(pattern_key(compiled) for _, compiled in each)
            groups.append(_Group(any_of, each, keys, _by_first(each, keys)))
    return tuple(groups)


def _by_first(
    each: tuple[tuple[str, re.Pattern[str]], ...], keys: tuple[str | None, ...]
) -> dict[str, tuple[tuple[str, re.Pattern[str]], ...]]:
    """For each first character of a key, the members (in order) that can match where a
    text has it: those with that key's first character and those without a key."""
    return {
        first: tuple(m for m, key in zip(each, keys, strict=True) if key is None or key[0] == first)
        for first in {key[0] for key in keys if key is not None}
    }


@lru_cache(maxsize=1)
def default_classifier() -> Classifier:
    """A shared classifier for the built-in taxonomy."""
    return Classifier()


def classify(description: str) -> Classification:
    """Classify with the built-in taxonomy."""
    return default_classifier()(description)
