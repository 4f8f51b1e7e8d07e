"""Descriptions that list several settings: split into items, and the main change of a list.

``"N_BLOCKS=6 BS=8 + GRAD_CLIP=3.0"``, ``"depth 12, matrix LR 0.03"``, ``"LR 3e-3 and
warmdown 0.3"`` are lists. The classifier classifies each item on its own; this module says
what the items are, how many separate settings they make, and which category names the
list (docs/classifier.md gives the rules with examples).

Everything here runs in linear time on any text: splitting uses ``str`` methods and regular
expressions whose quantifiers are bounded or cannot overlap.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import pairwise
from typing import NamedTuple

MULTI_CHANGE = "multi_change"
BASELINE = "baseline"
COMBINATION = "combination"
MODEL_SCALE = "model_scale"
LEARNING_RATE = "learning_rate"
EFFICIENCY = "efficiency"
ARCHITECTURE = "architecture"
OTHER = "other"

# " + ", "+ ", " +" and " plus " always separate items; ", ", "; ", " & ", " and ", " / "
# only when every piece they make reads as a setting (has a number or "="), so that
# "attention and FFN pre-norm" or "sigmoid affinities, expert bias" stay one change.
_PLUS = re.compile(r" ?\+ | \+| plus ", re.IGNORECASE)
_COMMA = re.compile(r", |; ?| & | and | / ", re.IGNORECASE)
_MAY_LIST = re.compile(r"[+,;&=/]| and | plus ", re.IGNORECASE)
# A value, at most one word, then "no X" or an LR or WD value: "WD 0.02 no hflip", "2 L_layers
# LR 2e-3" (searched in lower-cased text, only when it holds " no ", " lr " or " wd ").
_VALUE_THEN_SETTING = re.compile(
    r"(?:^|\s)[\d.]\S{0,30}\s(?:\S{1,30}\s)?(?:no \w|lr [\d.]|wd [\d.])"
)
# Words that start a setting of their own inside a run of words once a value was named
# before them ("b16 WD 0.02 no hflip", "b45 2 L_layers LR 2e-3"): "no X", and the LR or
# weight decay followed by its value.
_NEW_SETTING = frozenset({"no", "lr", "wd"})
# One `KNOB=value` token: a name, "=", a value.
_ASSIGNMENT = re.compile(r"[A-Za-z][\w.\-]{0,40}=[^=\s]{1,40}")
# Names of a parameter of the thing named just before ("EMA decay=0.999", "torch.compile
# mode=max-autotune"): such a token stays with the words before it.
_PARAMETER_OF = frozenset(
    {"decay", "start", "mode", "size", "alpha", "beta", "gamma", "delta", "interval"}
    | {"weight", "scale", "std", "factor", "temperature", "p", "k"}
)
# A piece of a list that reports a result rather than a setting: "31.5M params", "~291 steps".
_RESULT = re.compile(r"~?\d[\d.,]{0,20}[kmbKMB]? (?:params|parameters|steps|tokens|tok/s)\b")
# A measured figure (throughput, latency, bandwidth): a change part without "+" that states
# one reports results ("NVFP4 100tok/s vs W4A16 39tok/s decode, prefill 37x" compares two
# runs, it lists no settings).
_MEASURED = re.compile(
    r"\d(?:[.,]\d{1,6})? ?(?:tok/s|tokens/s|ms|us|µs|[Tt][Ff][Ll][Oo][Pp][Ss]|[Gg][Bb]/s)(?![\w/])"
)
# A short aside in parentheses after a space: "min-SNR (gamma=5) + BS=16".
_ASIDE = re.compile(r"\s\([^()\n]{0,200}\)")
# Words that say an item changes something ("remove X", "higher LR", "depth 8->12").
_CHANGE_WORD = re.compile(
    r"->|→|\b(?:to|from|no|not|add\w*|remov\w*|disabl\w*|enabl\w*|drop\w*|increas\w*|"
    r"decreas\w*|reduc\w*|rais\w*|lower\w*|halv\w*|doubl\w*|more|fewer|less|bigger|"
    r"smaller|larger|wider|narrower|deeper|shallower|higher|longer|shorter|switch\w*|"
    r"replac\w*|use|using|try|tun\w*|swap\w*|instead|only|without)\b"
)
# A piece that starts by saying what it changes: "no prefetch", "remove the logit cap".
_STARTS_CHANGE = re.compile(
    r"(?:no|add|remove|disable|enable|drop|use|without|keep|replace|swap|switch|restore"
    r"|increase|decrease|reduce|raise|lower|re-?tune) \w",
    re.I,
)
# LR values and schedule settings are often re-tuned along with a change of the model, its
# batch or its data (STRUCTURAL): beside such a change they are not the main change.
RETUNES = ("lr_schedule", "learning_rate", "regularization")
STRUCTURAL = frozenset(
    {"model_scale", "architecture", "attention", "activation", "normalization", "positional"}
    | {"batch_size", "data", "efficiency"}
)
# Beside two or more throughput settings (GPU layers, threads, KV-cache type, context of an
# inference engine), a batch size is one more of them: "n_gpu=16, batch=128/64, q8_0 KV".
THROUGHPUT_SIDE = frozenset({"batch_size"})
# A row that lists RECORD_ITEMS or more settings side by side (commas, no "+", no change
# word) records the configuration it ran, as sweeps do: not several changes.
RECORD_ITEMS = 5
# An attention item that only sizes the heads ("N_HEADS=16", "head_dim 64") is part of a
# model-size change when the list changes the model's size too.
_HEAD_SIZE = re.compile(r"\b(?:n ?heads?|num heads|n kv heads?|head ?dim|d head|heads?)\b")
# Words that size the model as a whole: with a head size in the same change ("depth 12 width
# 768 head_dim 64") they make one model-size change.
_MODEL_SIZE = re.compile(
    r"\b(?:depth|n ?layers?|layers|width|d ?model|n ?embd|model dim|aspect(?: ratio)?|n ?blocks?)\b"
    r"|\b\d{1,3} ?[lx](?:\b|\d)"
)

# Items past the first MAX_ITEMS are not looked at (no real change lists more settings).
MAX_ITEMS = 16
MAX_WORDS = 64

Match = tuple[str, str, str]  # category, pattern, matched text (Classifier._first)


class Item(NamedTuple):
    """One item of a list; `joined` when only a space parts it from the item before."""

    text: str
    joined: bool = False


def change_items(part: str, description: str = "") -> list[Item]:
    """The items a change part lists, in order; one item when it lists one.

    `part` is the change part as written (``_`` kept, so ``N_BLOCKS=6`` is one token). An
    item named as the base ("... worse than x0_lambda alone" in `description`) is dropped.

    >>> [i.text for i in change_items("N_BLOCKS=6 BS=8 + GRAD_CLIP=3.0")]
    ['N_BLOCKS=6', 'BS=8', 'GRAD_CLIP=3.0']
    >>> [i.text for i in change_items("depth 12, matrix LR 0.03 and warmdown 0.4")]
    ['depth 12', 'matrix LR 0.03', 'warmdown 0.4']
    """
    if not may_list(part):  # the common case: one change, nothing to split
        return [Item(part)]
    if "+" not in part and _MEASURED.search(part):  # results, measured, parted by commas: no list
        return [Item(part)]  # of settings ("+" always parts changes)
    items: list[Item] = []
    for chunk in _PLUS.split(part, maxsplit=MAX_ITEMS)[:MAX_ITEMS]:
        pieces = _pieces(chunk)
        for piece in pieces:
            texts = _assignments_apart(piece)
            items += [Item(text, joined=n > 0) for n, text in enumerate(texts)]
    items = [item for item in items if any(ch.isalpha() for ch in item.text)][:MAX_ITEMS]
    base = base_word(description)
    if base and len(items) > 1:
        items = [item for item in items if not item.text.lower().startswith(base)] or items
    return items


def may_list(part: str) -> bool:
    """False when `part` has no separator, ``=`` or setting after a value at all, so cannot
    list several settings."""
    if _MAY_LIST.search(part) is not None:
        return True
    low = part.lower()
    if " no " not in low and " lr " not in low and " wd " not in low:
        return False
    return _VALUE_THEN_SETTING.search(low) is not None


def _pieces(chunk: str) -> list[str]:
    """`chunk` split at ", ", "; ", " & ", " and ", " / " when every piece is a setting, else
    whole; either way only up to the first piece that reports a result ("31.5M params")."""
    spans: list[tuple[int, int]] = []
    start = 0
    for n, m in enumerate(_COMMA.finditer(chunk)):
        if n >= 4 * MAX_ITEMS or len(spans) >= MAX_ITEMS:
            break
        if chunk.count("(", start, m.start()) > chunk.count(")", start, m.start()):
            continue  # inside parentheses: "ADAM_BETAS=(0.9, 0.95)" is one value
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(chunk)))
    for n in range(1, len(spans)):
        if _RESULT.match(chunk[spans[n][0] : spans[n][1]].strip()):
            spans = spans[:n]
            break
    texts = [chunk[a:b] for a, b in spans]
    if len(texts) > 1 and all(is_setting(t) or _STARTS_CHANGE.match(t) for t in texts):
        return texts
    return [chunk[: spans[-1][1]]]


def _assignments_apart(chunk: str) -> list[str]:
    """`KNOB=value` tokens as items of their own, the words between them as one item, split
    again where a word starts a setting after a value (`_starts_setting`)."""
    out: list[str] = []
    words: list[str] = []
    tokens = chunk.split(maxsplit=MAX_WORDS)[:MAX_WORDS]
    for n, token in enumerate(tokens):
        name = token.split("=", 1)[0].lower()
        if out and out[-1].count("(") > out[-1].count(")") and not words:
            out[-1] += " " + token  # the rest of "ADAM_BETAS=(0.9, 0.95)"
        elif _ASSIGNMENT.fullmatch(token) and not (words and name in _PARAMETER_OF):
            if words:
                out.append(" ".join(words))
                words = []
            out.append(token)
        else:
            if _starts_setting(words, token, tokens[n + 1] if n + 1 < len(tokens) else ""):
                out.append(" ".join(words))
                words = []
            words.append(token)
    if words:
        out.append(" ".join(words))
    return out


def _starts_setting(words: list[str], token: str, after: str) -> bool:
    """True when `token` (then `after`) starts a setting of its own after `words`: "no X" (not
    a result: "no gain"), or "LR"/"WD" and a value, when one of the two words before it is
    a value ("WD 0.02 no hflip", "2 L_layers LR 2e-3"; not "x0_lambda LR 2x")."""
    word = token.lower()
    if word not in _NEW_SETTING or not after:
        return False
    if word == "no" and after.lower() in _NO_RESULT:
        return False
    if word != "no" and not (after[0].isdigit() or after[0] == "."):
        return False
    if any(w[:1].isdigit() or w[:1] == "." for w in words[-2:]):
        return True
    # a value glued to its name ("L1+cos beta95 LR 1.7e-3"), not a leading run label ("b45")
    last = len(words) - 1
    return word != "no" and any(
        w[-1:].isdigit() and w[:1].isalpha() and not (n == 0 and _RUN_LABEL.fullmatch(w))
        for n, w in enumerate(words)
        if n >= last - 1
    )


# "no" before these words reports a result ("no gain", "no improvement"), not a removal.
_NO_RESULT = frozenset(
    {"improvement", "change", "gain", "effect", "benefit", "better", "further", "more"}
    | {"longer", "significant", "difference", "regression", "help", "real"}
)


def base_word(description: str) -> str:
    """The word before "alone" in "... than X alone" / "over X alone", lower-cased, or ""."""
    if "alone" not in description:  # the common case, checked cheaply
        return ""
    text = description.lower()
    at = text.find(" alone")
    if at <= 0:
        return ""
    words = text[:at].split()
    if len(words) < 2 or words[-2] not in ("than", "over", "vs", "to"):
        return ""
    return words[-1].split("=")[0].strip("(")


def without_asides(text: str) -> str:
    """`text` without short parenthesised asides (" (gamma=5)"): details of the item before
    them, not items of their own."""
    return _ASIDE.sub("", text)


def is_setting(item: str) -> bool:
    """True for an item that reads as a setting even when no rule names it: ``KNOB=value``
    or words with a number ("1-hour training", "400 restarts")."""
    return "=" in item or any(ch.isdigit() for ch in item)


def count_settings(items: Sequence[Item], found: Sequence[Match | None]) -> int:
    """How many separate settings the items are. Words and a ``KNOB=value`` side by side
    that name the same thing count once: "WD=0 no weight decay", "gradient clipping
    max_norm=1.0" (`found` is each item's rule match, or None)."""
    count = 0
    seeded = any(f is not None and f[0] == BASELINE for f in found)
    for i, item in enumerate(items):
        if found[i] is None and is_run_name(item.text):
            continue  # "marathon v3 ACCUM=10": the run's name, not a setting
        if i == 0 and seeded and found[i] is None and _RUN_LABEL.fullmatch(item.text):
            continue  # "b48 seed=19": a re-run's label, not a second setting
        if i == 0 and leads_with_model(items, found):
            continue  # "reg lgbm n_est=3000": the model the setting is of
        count += not (i > 0 and item.joined and _same_setting(items, found, i))
    return count


# One token of a few letters and a number that labels a run ("b48", "pq14", "exp37").
_RUN_LABEL = re.compile(r"[A-Za-z]{1,4}\d{1,5}")
# A model family named with its role in a pipeline ("reg lgbm", "lgbm clf").
_ROLE_FAMILY = re.compile(r"(?:reg|clf|cls) [a-z]{2,16}|[a-z]{2,16} (?:reg|clf|cls)", re.I)


def leads_with_model(items: Sequence[Item], found: Sequence[Match | None]) -> bool:
    """True for a list of two or more whose first item names the model the others set:
    "reg lgbm n_est=3000" (`names_model`), "xgboost scale_pos_weight=25"."""
    return len(items) > 1 and (
        names_model(items[0].text, found[0]) or family_with_parameter(items, found)
    )


def family_with_parameter(items: Sequence[Item], found: Sequence[Match | None]) -> bool:
    """True for a model family named in one word and one `KNOB=value` after it, parted by a
    space only ("xgboost scale_pos_weight=25"): a parameter of that model, one setting."""
    return (
        len(items) == 2
        and found[0] is not None
        and found[0][0] == ARCHITECTURE
        and items[0].text.isalnum()
        and items[1].joined
        and "=" in items[1].text
    )


def names_model(item: str, found: Match | None) -> bool:
    """True for an item that only names the model of a pipeline role ("reg lgbm"): the
    model the settings after it are of, not a setting."""
    return (
        found is not None and found[0] == ARCHITECTURE and _ROLE_FAMILY.fullmatch(item) is not None
    )


def assigns_several(part: str) -> bool:
    """True when `part` sets two or more different names as ``KNOB=value`` tokens
    ("spec n_max=8 p_min=0.3")."""
    names: set[str] = set()
    for token in part.split(None, MAX_WORDS)[:MAX_WORDS]:
        if _ASSIGNMENT.fullmatch(token):
            names.add(token.split("=", 1)[0].lower())
    return len(names) >= 2


def plus_parted(part: str) -> bool:
    """True when `part` is two or more items parted by " + " or " plus ", each a setting, a
    snake_case name or of two words or more, none only a run name ("full BPTT + no spatial
    smooth", "log_mileage + car_age", not "Hebrew + Georgian date support")."""
    if _PLUS.search(part) is None:
        return False
    items = [i.text.strip() for i in change_items(part)]
    return len(items) >= 2 and all(
        (is_setting(i) or " " in i or "_" in i) and not is_run_name(i) for i in items
    )


# The best configuration named as the base of a change: "best feature set with smote".
_BEST_WITH = re.compile(
    r"(?:^|: )(?:re-?run )?(?:the )?(?:current )?(?:best|winning) [^,;:()]{1,40}? with ", re.I
)


def best_with(description: str) -> bool:
    """True when `description` (or its part after a label) starts with the best or winning
    configuration (or its re-run) and the change tried on it ("Manual experiment 3: best
    feature set with smote", "re-run best feature set with downsample"): a base and a
    change, two settings."""
    return " with " in description and _BEST_WITH.search(description) is not None


_FLAG = re.compile(r"--[A-Za-z][\w-]{0,40}")
_CLAUSE_END = re.compile(r" \(|; | — | - ")


def flags_several(text: str) -> bool:
    """True when the first clause of `text` sets two or more different command-line flags
    to values ("--lookback-eras 20 --trailing-eras 20")."""
    end = _CLAUSE_END.search(text)
    words = text[: end.start() if end else len(text)].split(None, MAX_WORDS)[:MAX_WORDS]
    names = {
        word
        for word, value in pairwise(words)
        if _FLAG.fullmatch(word) and not value.startswith("-")
    }
    return len(names) >= 2


# Words that number a run rather than set something: "cycle 5", "run 3", "v4".
_RUN_WORDS = frozenset({"cycle", "run", "round", "phase", "attempt", "trial", "rep", "repeat"})


def is_run_name(item: str) -> bool:
    """True for an item that only names a run: words and a run number ("marathon v4 cycle
    1", "run 35"), no "=" and no other number."""
    words = item.lower().split(None, MAX_WORDS)[:MAX_WORDS]
    numbered = False
    for before, word in zip(["", *words], words, strict=False):
        if word.isalpha():
            continue
        if (word[:1] == "v" and word[1:].isdigit()) or (word.isdigit() and before in _RUN_WORDS):
            numbered = True
            continue
        return False
    return numbered


def _same_setting(items: Sequence[Item], found: Sequence[Match | None], i: int) -> bool:
    before, now = items[i - 1].text, items[i].text
    if ("=" in before) == ("=" in now):
        return False
    words = now if "=" in before else before
    if any(ch.isdigit() for ch in words):
        return False
    a, b = found[i - 1], found[i]
    return a is None or b is None or a[0] == b[0]


def is_record(part: str, items: Sequence[Item]) -> bool:
    """True for a change part that records a configuration rather than changing several
    settings: RECORD_ITEMS or more settings parted by commas, none with a change word
    ("n_gpu=16, batch=128/64, q8_0 KV, n_ctx=512, flash=1")."""
    if len(items) < RECORD_ITEMS or "+" in part or " plus " in part:
        return False
    return all(
        not i.joined and is_setting(i.text) and _CHANGE_WORD.search(i.text.lower()) is None
        for i in items
    )


def is_bare(item: str) -> bool:
    """True for an item that names a setting without a value or a change word ("SiLU",
    "SWA"); "matrix LR 0.06", "remove logit cap", "depth 8->12" are not bare."""
    return not is_setting(item) and _CHANGE_WORD.search(item) is None


def run_label(item: str) -> tuple[str, str]:
    """A leading run-label token followed by more words, and those words ("b16 hflip" ->
    ("b16", "hflip")), or ("", item). The caller checks that the label names nothing (a rule
    of its own would make "int6 quant" a setting, not a label)."""
    label, _, rest = item.partition(" ")
    return (label, rest) if rest and _RUN_LABEL.fullmatch(label) else ("", item)


def main_items(pairs: list[tuple[Match, str]]) -> list[tuple[Match, str]]:
    """The (match, text) items of a list that make its change: the baseline items when there
    are any ("baseline DEPTH=8 batch=32"); else those that are not bare (see :func:`is_bare`)
    (in "SiLU + matrix LR 0.06" the bare "SiLU" names the base the change was tried on)."""
    if any(f[0] == BASELINE for f, _ in pairs):
        return [(f, t) for f, t in pairs if f[0] == BASELINE]
    if any(_states_value(t) for _, t in pairs):  # "4 layers + embedding_lr=0.8": the size
        sized = [(f, t) for f, t in pairs if f[0] == MODEL_SCALE and _names_only(t)]
        pairs = [pair for pair in pairs if pair not in sized] or pairs  # is the base
    changed = [(f, t) for f, t in pairs if not is_bare(t)]
    if not changed and len(pairs) > 1:  # "time-based LR schedule + SWA": SWA is the base
        changed = [(f, t) for f, t in pairs if t.strip() not in _AVERAGING]
    return changed or pairs


# Weight averaging named alone beside other bare items is the base they were tried on.
_AVERAGING = frozenset({"swa", "ema"})


def _states_value(item: str) -> bool:
    return "=" in item or "->" in item or "→" in item


def _names_only(item: str) -> bool:
    """A size named without a change ("4 layers", "9L"): no "=", arrow or change word."""
    return not _states_value(item) and _CHANGE_WORD.search(item) is None


def sizes_model(item: str) -> bool:
    """True for a change (normalised text) that names the model's size besides any head size."""
    return _MODEL_SIZE.search(item) is not None


def is_head_size(item: str) -> bool:
    """True for an item that sets a head count or head size (normalised text)."""
    return _HEAD_SIZE.search(item) is not None


def main_category(categories: Sequence[str], texts: Sequence[str] = ()) -> str:
    """The category of a list whose main items have `categories` (and `texts`, normalised).

    Baseline wins (a re-run of a configuration); head sizes beside a model-size change are
    part of it; LR values and schedule settings beside a structural change are its retune
    (a model-size change with its LR retuned is ``model_scale``); a batch size beside two or
    more throughput settings is one of them (``efficiency``); one category left is the main
    change, several are ``combination``.
    """
    if BASELINE in categories:
        return BASELINE
    if MODEL_SCALE in categories and texts:
        categories = [
            MODEL_SCALE if c == "attention" and is_head_size(t) else c
            for c, t in zip(categories, texts, strict=True)
        ]
    named = [c for c in categories if c not in (OTHER, COMBINATION)]
    if COMBINATION in categories and len(set(named)) != 1:
        return COMBINATION
    if LEARNING_RATE in named and texts and _tree_sizes_only(categories, texts):
        named = [c for c in named if c != MODEL_SCALE]  # "lr=0.25 leaves=128": the LR
    if any(c in STRUCTURAL for c in named):
        named = [c for c in named if c not in RETUNES]
    if named.count(EFFICIENCY) >= 2 and set(named) <= THROUGHPUT_SIDE | {EFFICIENCY}:
        return EFFICIENCY
    kinds = list(dict.fromkeys(named))
    if len(kinds) == 1:
        return kinds[0]
    return COMBINATION if kinds else OTHER


# The size of a tree model ("n_est=500", "leaves=128", "l96"): named after its LR, the LR is
# the change ("lr=0.25 leaves=128"); named first, the size is ("n_estimators=2000 lr=0.01").
_TREE_SIZE = re.compile(r"\b(?:n ?est(?:imators)?|trees|num ?leaves|leaves|l\d{2,3})\b")


def _tree_sizes_only(categories: Sequence[str], texts: Sequence[str]) -> bool:
    """True when every model-size item of a list sizes a tree model and comes after the
    list's first LR item (normalised texts)."""
    sizes = [
        (n, t) for n, (c, t) in enumerate(zip(categories, texts, strict=True)) if c == MODEL_SCALE
    ]
    first_lr = list(categories).index(LEARNING_RATE)
    return bool(sizes) and all(n > first_lr and _TREE_SIZE.search(t) for n, t in sizes)


def setting_key(item: str) -> tuple[str, str]:
    """What an item sets and how, normalised: ``("n blocks", "n blocks=6")`` for
    ``N_BLOCKS=6``; an item without ``=`` ("swa", "depth 12") is its own key."""
    text = item.lower().replace("_", " ").strip(" ,")
    return (text.split("=", 1)[0].strip(), text) if "=" in text else (text, text)


# Tag-only signals of a list that `change_items` does not split (docs/classifier.md): prose
# items parted by commas ("priority framework, no-lookup directive") and settings glued by
# "+" without spaces ("k=3+noprefetch+512KB").
PROSE_ITEM_WORDS = (2, 6)
_PROSE_RESULT = re.compile(
    r"\d|\b(?:worse|better|same|improv\w*|regress\w*|slower|faster)\b"
    # a consequence, not a second change: "Renamed profile.py, unblocks torch.compile"
    r"|^(?:unblocks|enables|allows|lets|makes|causes|gives|yields|saves|breaks|fixes|means)\b"
)


def lists_loosely(part: str) -> bool:
    """True when the change part `part` lists several changes in a way the item split leaves
    whole: short prose items parted by ", ", or settings glued by "+"."""
    return ("+" in part or ", " in part) and (_glued_settings(part) or _prose_items(part))


def _no_quote(word: str) -> str:
    return word.replace("'", "").replace("\u2019", "")


_COMPOUND = re.compile(r"[^\W\d_]{1,30}(?:-[^\W\d_]{1,30}){1,6}")  # "wire-before-refund"


def _prose_items(part: str) -> bool:
    """Two or more comma-parted pieces of 2 to 6 words (or one hyphenated compound) each, no
    parentheses, none a result."""
    if ", " not in part or "(" in part or "=" in part:
        return False
    pieces = part.split(", ", MAX_ITEMS)
    low, high = PROSE_ITEM_WORDS
    return all(
        (low <= len(p.split(None, high)) <= high or _COMPOUND.fullmatch(_no_quote(p)) is not None)
        and not _PROSE_RESULT.search(p.lower())
        for p in pieces
    )


_VALUED = re.compile(r"[A-Za-z_]{0,20}\d[\d.]{0,12}[A-Za-z]{0,3}")  # "smote04", "512KB", "sub0.7"


def _glued_settings(part: str) -> bool:
    """A token of "+"-joined parts, one of them a setting (`KNOB=value`, a name with a value),
    two with letters: "k=3+noprefetch", "batch16+fullgraph", not "alpha+l1_ratio", "1e+3". A
    first part that is a bare value is named by the word before it: "predictor 0.4+512KB"."""
    if "+" not in part:
        return False
    before = ""
    for token in part.split(None, MAX_WORDS)[:MAX_WORDS]:
        pieces = token.strip("()[],;").split("+", MAX_ITEMS)
        named, before = before.isalpha(), token
        if len(pieces) < 2 or not all(pieces) or "*" in token:  # "*": a formula
            continue
        setting = any("=" in p or _VALUED.fullmatch(p) for p in pieces)
        lettered = sum(any(ch.isalpha() for ch in p) for p in pieces)
        if named and not any(ch.isalpha() for ch in pieces[0]):
            lettered += 1  # "predictor 0.4": the first part's name is the word before
        if setting and lettered >= 2:
            return True
    return False
