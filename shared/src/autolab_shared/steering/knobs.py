"""Knob changes written in experiment descriptions: ``matrix_lr 0.04 → 0.05`` and friends.

Forms read (case-insensitive): ``KNOB old → new`` (also ``->``, ``=>``), ``KNOB old to new``,
``KNOB from old to new``, ``KNOB: old→new``, ``KNOB=value``, ``raise KNOB to value``,
``KNOB value`` for known knobs (``warmdown 0.3``), and ``5% warmup``. Values are kept as
written (``2**17``, ``524K``, ``1e-3``, ``0.04``, ``SSSL``, ``(0.9, 0.95)``); `knobvalue`
reads their number. Knob names are normalised to Karpathy's train.py names
(:func:`normalise_knob`); unknown ones become snake_case. Only the change itself is read: the
text after `` — ``, `` - ``, `` | `` or ``(hypothesis`` is ignored, and parenthesised text only
when nothing before it names a knob; metric names (val_bpb, loss, steps, ...) are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from autolab_shared.parsing.changepart import strip_labels
from autolab_shared.steering.knobvalue import parse_value

_NUM = (
    r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?(?:\s?(?:\*\*|\^)\s?[-+]?\d+(?:\.\d+)?)?"
    r"(?:/\d+(?:\.\d+)?)?(?:[kmb](?![a-z]))?(?:x(?![a-z\d]))?%?"
)
_QUOTED = r"\"[^\"\n]{1,24}\"|'[^'\n]{1,24}'"
_TUPLE = rf"\(\s*{_NUM}\s*(?:,\s*{_NUM}\s*)+\)"
_WORD = r"[a-z][\w²]*(?:-[a-z][\w²]*)?"
_VALUE = rf"(?:{_TUPLE}|{_QUOTED}|{_NUM}(?![\w.])|{_WORD})"
_NUMERIC = rf"(?:{_TUPLE}|{_QUOTED}|{_NUM}(?:\s+percent\b)?(?![\w.]))"
_ARROW = r"\s*(?:→|->|=>|⟶|⇒)\s*"
_FLAGS = re.IGNORECASE

_ARROW_RE = re.compile(rf"(?<![\w.])(?P<old>{_VALUE}){_ARROW}(?P<new>{_VALUE})", _FLAGS)
_FROM_TO_RE = re.compile(
    rf"(?:\bfrom\s+)?(?<![\w.])(?P<old>{_NUMERIC})\s+to\s+(?P<new>{_NUMERIC})", _FLAGS
)
_EQ_RE = re.compile(rf"(?<=[\w\])])\s*=\s*(?P<new>{_VALUE})", _FLAGS)
_COLON_RE = re.compile(rf"(?<=[a-z\d])\s*:\s*(?P<new>{_NUMERIC})", _FLAGS)
_TO_RE = re.compile(rf"\bto\s+(?P<new>{_NUMERIC})", _FLAGS)
_PERCENT_RE = re.compile(
    r"(?<![\w.])(?P<new>\d+(?:\.\d+)?)(?:\s*%|\s+percent\b)\s+(?P<knob>[a-z][a-z ]{1,30})", _FLAGS
)
_BARE_RE = re.compile(rf"(?<![\w.^*/=:-])(?P<new>{_NUM})(?![\w./]|-\w)", _FLAGS)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_CUT_RE = re.compile(
    r"\(?\bhypothesis\b| — | – | - | \| |: val\b|; val\b|\. (?=[A-Z])|\b(?:result|evidence):",
    _FLAGS,
)
_LETTER_RE = re.compile(r"[a-z]", _FLAGS)  # with IGNORECASE also "ı", "ſ", "K" (Kelvin)
_ALNUM_RE = re.compile(r"[a-z0-9]+")
_DIGIT_RE = re.compile(r"\d")
_PERCENT_WORD_RE = re.compile(r"\s+percent$", _FLAGS)
_SPACES_RE = re.compile(r"\s+")
_PATTERN_RE = re.compile(r"[sl]{1,12}")
_MAX_WORDS = 4

# Words that end a knob phrase read backwards from its value: verbs, articles, adjectives.
_STOP = _words(
    """to from by and or with on at of in for the a an vs than then after before instead via
    per only all same new more less much very no each every both is was were be again further
    slightly even also raise raised raising lower lowered lowering increase increased increasing
    decrease decreased decreasing reduce reduced reducing set setting change changed changing
    halve halved halving double doubled doubling triple quarter add added adding use using try
    trying tune tuned retune re-tune fine-tune sweep higher smaller bigger larger sharper longer
    shorter tiny small large extend extended shorten lengthen delay keep fix fixed restore
    restoring switch bump drop widen wider shrink sharpen test testing introduce force"""
)
# Words skipped (not ending the phrase) when reading a knob phrase backwards.
_FILLER = _words("again further slightly only also even")
# Words in front of a knob that make it a different knob ("eval batch size").
_BLOCKING = _words("eval val validation test inference partial")

_KNOB_NAMES: Mapping[str, tuple[str, ...]] = {
    "matrix_lr": ("matrixlr", "matrix_learning_rate", "muon_lr", "muon_matrix_lr", "mlr", "matrix"),
    "embedding_lr": ("embed_lr", "emb_lr", "embedlr", "embedding_learning_rate", "embed"),
    "unembedding_lr": (
        "unembed_lr",
        "lm_head_lr",
        "head_lr",
        "output_lr",
        "unembedding_learning_rate",
        "unembed",
    ),
    "scalar_lr": ("scalars_lr", "scalar"),
    "lr": ("lrs", "learning_rate", "learning_rates"),
    "weight_decay": ("wd", "weightdecay"),
    "warmdown_ratio": ("warmdown", "cooldown", "cooldown_ratio", "lr_warmdown"),
    "warmup_ratio": ("warmup", "lr_warmup"),
    "final_lr_frac": (
        "final_lr",
        "final_lr_fraction",
        "lr_floor",
        "final_lr_floor",
        "warmdown_lr_floor",
        "min_lr_frac",
        "lr_min_frac",
    ),
    "total_batch_size": (
        "total_batch",
        "batch",
        "batch_size",
        "total",
        "total_bs",
        "tokens_per_step",
    ),
    "device_batch_size": (
        "device_batch",
        "device_bs",
        "micro_batch",
        "microbatch",
        "micro_batch_size",
    ),
    "depth": ("n_layer", "n_layers", "num_layers", "nlayers", "layers", "layer"),
    "aspect_ratio": ("aspect", "ar"),
    "model_dim": ("d_model", "n_embd", "dim", "width", "hidden_size"),
    "head_dim": ("headdim", "head_dimension"),
    "n_head": ("n_heads", "num_heads", "heads"),
    "n_kv_head": ("n_kv_heads", "num_kv_heads", "kv_heads", "kv"),
    "window_pattern": ("window",),
    "short_window": ("sliding_window", "window_size", "short_window_size"),
    "adam_betas": ("betas",),
    "adam_beta1": ("beta1",),
    "adam_beta2": ("beta2",),
    "adam_eps": ("eps", "epsilon", "adam_epsilon"),
    "muon_momentum": ("momentum", "final_momentum", "muon_final_momentum"),
    "muon_momentum_start": ("start_momentum", "muon_start_momentum", "momentum_start"),
    "muon_momentum_warmup": ("momentum_warmup", "momentum_ramp", "muon_warmup", "mom_warmsteps"),
    "ns_steps": (
        "muon_ns_steps",
        "ns_iterations",
        "muon_ns_iterations",
        "newton_schulz_steps",
        "backend_steps",
        "muon_backend_steps",
    ),
    "softcap": ("logit_cap", "logit_softcap", "soft_cap"),
    "z_loss": ("zloss",),
    "rope_base": ("rope_theta", "rope_base_frequency", "rotary_base", "rope"),
    "mlp_ratio": ("mlp", "mlp_mult", "mlp_hidden", "mlp_expansion", "mlp_multiplier"),
    "init_scale": (),
    "init_std": ("std",),
    "x0_lambda": ("x0_lambda_init", "x0_lambdas"),
    "resid_lambda": ("resid_lambda_init", "resid_lambdas"),
    "seq_len": (
        "sequence_length",
        "sequence_len",
        "max_seq_len",
        "train_seq_len",
        "seq",
        "seqlen",
        "context_length",
    ),
    "grad_clip": ("gradient_clipping", "grad_clipping", "max_norm", "grad_clip_norm", "clip"),
    "grad_accum": ("accum", "gradient_accumulation", "grad_accumulation"),
    "dropout": (),
    "label_smoothing": (),
    "ema_decay": ("ema",),
    "activation": (),
}
ALIASES: Mapping[str, str] = {
    alias: name for name, aliases in _KNOB_NAMES.items() for alias in (name, *aliases)
}

# Words in front of a knob that say which parameter group it belongs to ("" = no change).
_QUALIFIER_WORDS: Mapping[str, tuple[str, ...]] = {
    "embedding": ("embedding", "embeddings", "embed", "emb", "wte", "token_embedding"),
    "ve": ("ve", "value_embedding", "value_embeddings", "value_embeds"),
    "lm_head": ("lm_head", "unembedding", "unembed", "output"),
    "muon": ("muon", "normuon"),
    "adam": ("adam", "adamw"),
    "x0_lambda": ("x0_lambda", "x0", "x0_lambdas"),
    "resid_lambda": ("resid_lambda", "resid_lambdas"),
    "matrix": ("matrix",),
    "scalar": ("scalar", "scalars"),
    "": ("attention", "model", "transformer", "global", "residual"),
}
_QUALIFIERS: Mapping[str, str] = {
    word: group for group, words in _QUALIFIER_WORDS.items() for word in words
}
# The most words (as `_ALNUM_RE` splits them) in a qualifier and in a knob alias.
_QUALIFIER_WORDS_MAX = max(len(_ALNUM_RE.findall(word)) for word in _QUALIFIERS)
_ALIAS_WORDS = max(len(_ALNUM_RE.findall(alias)) for alias in ALIASES)

# (qualifier, knob) -> train.py name, where it is not simply "<qualifier>_<knob stem>".
_COMPOSED: Mapping[tuple[str, str], str] = {
    ("embedding", "lr"): "embedding_lr",
    ("lm_head", "lr"): "unembedding_lr",
    ("matrix", "lr"): "matrix_lr",
    ("muon", "lr"): "matrix_lr",
    ("scalar", "lr"): "scalar_lr",
    ("muon", "weight_decay"): "weight_decay",
    ("adam", "adam_beta1"): "adam_beta1",
    ("adam", "adam_beta2"): "adam_beta2",
    ("adam", "adam_eps"): "adam_eps",
    ("adam", "adam_betas"): "adam_betas",
    ("muon", "adam_beta1"): "muon_beta1",
    ("muon", "adam_beta2"): "muon_beta2",
    ("muon", "muon_momentum"): "muon_momentum",
}
_STEMS: Mapping[str, str] = {"adam_beta1": "beta1", "adam_beta2": "beta2", "adam_eps": "eps"}

# Names that are results, not knobs ("val_bpb 1.98 -> 1.96").
_METRICS = _words(
    """val_bpb bpb val_loss loss train_loss training_loss final_loss gap subgroup adversarial_gap
    steps step tokens mfu params vram peak_vram memory tok_sec tok_s throughput score val time
    wall total_seconds bytes bytes_total size regressed improved"""
)
_ACTIVATIONS = _words(
    "relu relu2 relu² squared_relu relusquared gelu silu swish swiglu geglu tanh mish"
)
KNOWN = frozenset(ALIASES.values())
# Known knobs whose values are words or tuples rather than numbers.
_TEXT_KNOBS = frozenset({"window_pattern", "activation", "adam_betas"})


@dataclass(frozen=True)
class KnobChange:
    """One knob change: normalised knob name, value before (None when not written) and after,
    as written, and the text they were read from."""

    knob: str
    old: str | None
    new: str
    raw: str

    @property
    def old_value(self) -> float | None:
        """`old` as a number, or None."""
        return None if self.old is None else parse_value(self.old)

    @property
    def new_value(self) -> float | None:
        """`new` as a number, or None."""
        return parse_value(self.new)


# ---------------------------------------------------------------------------- numbers

# ---------------------------------------------------------------------------- names


def normalise_knob(text: str) -> str:
    """train.py's name for a knob phrase: "Embedding LR" -> "embedding_lr", "halve batch" ->
    "total_batch_size", "lm_head WD" -> "lm_head_weight_decay", "RoPE base frequency" ->
    "rope_base"; an unknown phrase becomes snake_case ("VE gate channels" -> "ve_gate_channels")."""
    return _resolve(text)[0]


def is_known_knob(text: str) -> bool:
    """Whether a knob phrase resolves to a known train.py knob (possibly for a parameter group)."""
    return _resolve(text)[1]


@lru_cache(maxsize=1 << 12)
def _resolve(text: str, *, drop: bool = True) -> tuple[str, bool]:
    """(name, known): the longest known tail of the phrase, qualified by the words before it.
    With `drop`, leading words that are neither qualifiers nor knob words are dropped
    ("baseline RTX4070 DEVICE_BATCH_SIZE"), unless they make it another knob ("eval batch")."""
    tokens = text.lower().replace("²", "2").split()
    first = 0
    while first < len(tokens) and tokens[first] in _STOP:
        first += 1
    words = _ALNUM_RE.findall(" ".join(tokens[first:]))
    raw = "_".join(words)
    # no alias has more than _ALIAS_WORDS words: a longer tail is no alias
    for i in range(max(len(words) - _ALIAS_WORDS, 0), len(words)):
        base = ALIASES.get("_".join(words[i:]))
        if base is None:
            continue
        composed = _compose(words[:i], base)
        if composed is not None:
            return composed, True
        # a prefix longer than any qualifier composes as the whole one does (None)
        for j in range(max(i - _QUALIFIER_WORDS_MAX, 1), i + 1):
            composed = _compose(words[j:i], base)
            if composed is not None and drop and _droppable(words[:j]):
                return composed, True
        return raw, False
    return raw, False


def _droppable(words: list[str]) -> bool:
    return not any(w in ALIASES or w in _BLOCKING for w in words)


def _compose(prefix: list[str], base: str) -> str | None:
    """`base` as qualified by the words before it; None when those words are no qualifier."""
    if not prefix:
        return base
    qualifier = None
    for i in range(max(len(prefix) - _QUALIFIER_WORDS_MAX, 0), len(prefix)):
        qualifier = _QUALIFIERS.get("_".join(prefix[i:]))
        if qualifier is not None:
            break
    if qualifier is None:
        return None
    if qualifier == "" or base.startswith(qualifier + "_"):
        return base
    return _COMPOSED.get((qualifier, base)) or f"{qualifier}_{_STEMS.get(base, base)}"


def _phrase_before(text: str, end: int) -> tuple[str, int]:
    """The knob phrase that ends at `end` (trailing ':', '=', 'from' skipped) and its start.
    Reads back from `end` by index, only as far as the phrase goes: linear in what it reads,
    not in the text before it (a 50 KB description has thousands of values)."""
    e = _rstrip_end(text, end)
    last = text[e - 1] if e else ""
    if last and not (last.isalnum() or last in "_-²:="):
        return "", e  # no word ends here ("#12")
    if last in (":", "="):
        e = _rstrip_end(text, e - 1)
    if text[max(e - 4, 0) : e].lower() == "from" and (e == 4 or (e > 4 and text[e - 5] == " ")):
        e = _rstrip_end(text, e - 4)
    words: list[str] = []
    start = e
    while len(words) < _MAX_WORDS:
        begin = _word_start(text, e)
        if begin is None:
            break
        word = text[begin:e]
        lower = word.lower()
        if lower in _STOP:
            break
        if lower not in _FILLER:
            words.append(word)
            start = begin
        e = _rstrip_end(text, begin)
    words.reverse()
    return " ".join(words), start


def _rstrip_end(text: str, end: int) -> int:
    """Where `text[:end].rstrip()` ends."""
    while end > 0 and text[end - 1].isspace():
        end -= 1
    return end


def _word_start(text: str, end: int) -> int | None:
    """Start of the word (a letter, then letters, digits, '_', '-', '²') that ends at `end`:
    the first letter of the run of such characters before `end`; None when it has none."""
    begin = end
    while begin > 0 and _is_word_char(text[begin - 1]):
        begin -= 1
    for i in range(begin, end):
        if _LETTER_RE.match(text, i):
            return i
    return None


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char in "_-²"


# ---------------------------------------------------------------------------- parsing


@lru_cache(maxsize=1 << 16)
def parse_knobs(description: str, *, fast: bool = True) -> tuple[KnobChange, ...]:
    """Every knob change written in the change part of `description`, in text order (cached);
    `fast` reads the simplest shapes (`_simple`) directly, with the same result."""
    return knob_changes(description, fast=fast)


def knob_changes(description: str, *, fast: bool = True) -> tuple[KnobChange, ...]:
    """`parse_knobs` without its cache, for a caller that reads each distinct text once (on
    100,000 distinct descriptions the cache's evictions cost about a fifth more)."""
    region = strip_labels(description)
    if fast:
        simple = _simple(region)
        if simple is not None:
            return simple
    if _may_cut(region):
        cut = _CUT_RE.search(region)
        if cut is not None:
            region = region[: cut.start()]
    paren = region.find(" (")
    if paren < 0:
        return _parse(region, strict=False)
    return _parse(region[:paren], strict=False) or _parse(region, strict=True)


# "KNOB old -> new" and "KNOB old to new" with plain words and values, and perhaps " #12":
# ASCII, no digit starting a word, nothing that _CUT_RE, " (", "=", ":" or "%" need.
_SIMPLE_RE = re.compile(
    r"[A-Za-z_][A-Za-z0-9_]*(?: [A-Za-z_][A-Za-z0-9_]*){0,5}"
    r" (?:(?P<old>\d+(?:\.\d+)?[kK]?|[A-Za-z]+) -> (?P<new>\d+(?:\.\d+)?[kK]?|[A-Za-z]+)"
    r"|(?P<from>\d+(?:\.\d+)?[kK]?) to (?P<to>\d+(?:\.\d+)?[kK]?))(?: #\d+)?"
)


def _simple(region: str) -> tuple[KnobChange, ...] | None:
    """What `_parse` reads in a region of the simplest shape (`_SIMPLE_RE`), or None when the
    region has another shape. The " #12" after the values changes nothing (it ends no word, so
    names no knob): the reading is that of the text before it, cached."""
    m = _SIMPLE_RE.fullmatch(region)
    if m is None:
        return None
    lower = region.lower()
    if "hypothesis" in lower or "percent" in lower:
        return None
    return _simple_core(region[: m.end("new" if m["old"] is not None else "to")])


@lru_cache(maxsize=1 << 14)
def _simple_core(core: str) -> tuple[KnobChange, ...] | None:
    """`_simple` for a region of the simplest shape without " #12": the one change is that of
    the arrow (or "to") match, since every other form's match overlaps it or names no knob."""
    m = _SIMPLE_RE.fullmatch(core)
    if m is None:
        return None
    first, last = ("old", "new") if m["old"] is not None else ("from", "to")
    found = (_ARROW_RE if first == "old" else _FROM_TO_RE).search(core)
    if found is None or found.span() != (m.start(first), m.end(last)):
        return None
    change = _change(core, found, False, False)
    return None if change is None else (change,)


def _may_cut(text: str) -> bool:
    """False when `text` holds none of the strings _CUT_RE needs (checked on ASCII text only:
    under IGNORECASE "ı" matches "i" and "ſ" matches "s")."""
    if not text.isascii():
        return True
    lower = text.lower()
    return (
        " - " in lower
        or ". " in lower
        or " | " in lower
        or ": val" in lower
        or "; val" in lower
        or "hypothesis" in lower
        or "result:" in lower
        or "evidence:" in lower
    )  # " — " and " – " are not ASCII


# (regex, whether the knob must be known, whether the phrase must be one word)
_FORMS: tuple[tuple[re.Pattern[str], bool, bool], ...] = (
    (_ARROW_RE, False, False),
    (_FROM_TO_RE, False, False),
    (_EQ_RE, False, False),
    (_COLON_RE, True, True),
    (_TO_RE, True, False),
    (_BARE_RE, True, False),
)


def _forms_in(text: str) -> list[tuple[re.Pattern[str], bool, bool]]:
    """The forms that may match `text`, by cheap checks for what each one needs: an arrow,
    "to", "=", ":", "to", a digit ("to" has no other case-insensitive spelling)."""
    to = "to" in text.lower()
    arrow = (
        "->" in text
        or "=>" in text
        or (not text.isascii() and ("→" in text or "⟶" in text or "⇒" in text))
    )
    wanted = (arrow, to, "=" in text, ":" in text, to, _DIGIT_RE.search(text) is not None)
    return [form for form, want in zip(_FORMS, wanted, strict=True) if want]


def _parse(text: str, *, strict: bool) -> tuple[KnobChange, ...]:
    """Changes in `text`; `strict` (parenthesised asides) keeps known knobs only."""
    found: list[tuple[int, KnobChange]] = []
    taken: list[tuple[int, int]] = []  # spans of the changes read, sorted, disjoint
    for regex, needs_known, one_word in _forms_in(text):
        added: list[tuple[int, int]] = []
        free = _Free(taken)
        for m in regex.finditer(text):
            if not free(*m.span()):
                continue  # overlaps a change already read
            change = _change(text, m, needs_known or strict, one_word)
            if change is not None:
                found.append((m.start(), change))
                added.append(m.span())
        if added:  # one form's matches never overlap each other
            taken = sorted(taken + added)
    if "%" in text or "percent" in text.lower():
        found += _percent(text, taken)
    if len(found) < 2:
        return (found[0][1],) if found else ()
    seen: set[tuple[str, str | None, str]] = set()
    out = []
    for _, change in sorted(found, key=lambda item: item[0]):
        key = (change.knob, change.old, change.new)
        if key not in seen:
            seen.add(key)
            out.append(change)
    return tuple(out)


class _Free:
    """Whether a span overlaps none of sorted disjoint `spans`, asked for spans in increasing
    order of start (as `finditer` gives them): amortised constant time per question."""

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        self._spans = spans
        self._next = 0  # the first span that may end after the starts still to come

    def __call__(self, start: int, end: int) -> bool:
        spans, i = self._spans, self._next
        while i < len(spans) and spans[i][1] <= start:
            i += 1
        self._next = i
        return i == len(spans) or spans[i][0] >= end


def _change(text: str, m: re.Match[str], needs_known: bool, one_word: bool) -> KnobChange | None:
    phrase, start = _phrase_before(text, m.start())
    if phrase and text[max(start - 2, 0) : start] == "..":
        return None  # the end of a range or a mapping ("Ex=5..Po=1"), not a setting
    if one_word and " " in phrase:
        return None
    written = m["old"] if "old" in m.re.groupindex else None
    if not phrase and not written:
        return None  # no knob, and no old value to imply one
    old = _clean(written) if written else None
    new = _clean(m["new"])
    knob, known, start = _knob_of(phrase, start, last_word=m.re in (_EQ_RE, _COLON_RE))
    if not knob or (knob == "mlp_ratio" and _words_only(old, new)):
        knob, known = _implied_knob(old, new), True
    if knob == "window_pattern" and parse_value(new) is not None:
        knob = "short_window"
    if known and written is None:
        knob = _targeted(knob, text, m.end())
    if not knob or _is_metric(knob) or (needs_known and not known):
        return None
    if known and knob not in _TEXT_KNOBS and not _valued(new):
        return None  # "layer i -> depth-1-i": a numeric knob needs a number
    if old is not None and parse_value(old) is None and parse_value(new) is not None:
        return None  # "SSSL->2" style noise
    return KnobChange(knob, old, new, text[min(start, m.start()) : m.end()].strip())


def _knob_of(phrase: str, start: int, *, last_word: bool) -> tuple[str, bool, int]:
    """(name, known, start) of a knob phrase (see `_phrase_before`) starting at `start`; with
    `last_word` (KNOB=value), a known last word alone beats an unknown phrase ("baseline RTX4070
    DEVICE_BATCH_SIZE=32")."""
    if not phrase:
        return "", False, start
    name, known = _resolve(phrase)
    last = phrase.split()[-1]
    if last_word and not known and last != phrase:
        last_name, last_known = _resolve(last)
        if last_known:
            return last_name, True, start + phrase.rindex(last)
    return name, known, start


# Knobs that every parameter group has its own of (one group's knobs are never re-grouped).
_GROUPABLE = frozenset(
    {"weight_decay", "lr", "init_std", "init_scale", "dropout"}
    | {"adam_beta1", "adam_beta2", "adam_betas", "adam_eps"}
)
_TARGET_RE = re.compile(
    r"\s{1,8}(?:to|on|for)\s{1,8}(?:the\s{1,8})?(?P<target>[a-z][\w]{0,30})(?![\w=:])(?!\s{1,8}[=:])",
    _FLAGS,
)
# The parameter groups a value can be applied to ("to lm_head"), as _QUALIFIERS names them.
_TARGET_GROUPS = frozenset({"embedding", "ve", "lm_head", "scalar"})


def _targeted(knob: str, text: str, end: int) -> str:
    """`knob` qualified by the parameter group its value is applied to: "add WD 0.01 to
    lm_head" is lm_head_weight_decay, not the model's weight_decay; unchanged otherwise."""
    m = _TARGET_RE.match(text, end) if knob in _GROUPABLE else None
    if m is None:
        return knob
    if _QUALIFIERS.get(m["target"].lower()) not in _TARGET_GROUPS:
        return knob
    return _compose([m["target"].lower()], knob) or knob


def _percent(text: str, taken: list[tuple[int, int]]) -> list[tuple[int, KnobChange]]:
    """A known knob after a percentage: "5% warmup", "3 percent lr warmup"."""
    out = []
    free = _Free(taken)
    for m in _PERCENT_RE.finditer(text):
        if not free(*m.span()):
            continue
        words = m["knob"].split()
        for n in range(min(len(words), _MAX_WORDS), 0, -1):
            knob, known = _resolve(" ".join(words[:n]), drop=False)
            if known:
                raw = text[m.start() : m.start("knob")] + " ".join(words[:n])
                out.append((m.start(), KnobChange(knob, None, m["new"] + "%", raw.strip())))
                break
    return out


def _implied_knob(old: str | None, new: str) -> str:
    """A knob the values name themselves: activations, or S/L window patterns."""
    values = [v.lower() for v in (old, new) if v is not None]
    if old is not None and all(v in _ACTIVATIONS for v in values):
        return "activation"
    if old is not None and all(_PATTERN_RE.fullmatch(v) for v in values):
        return "window_pattern"
    return ""


def _valued(value: str) -> bool:
    """A number, or a tuple of numbers."""
    items = value[1:-1].split(",") if value.startswith("(") and value.endswith(")") else [value]
    return all(parse_value(item) is not None for item in items)


def _words_only(old: str | None, new: str) -> bool:
    return old is not None and parse_value(old) is None and parse_value(new) is None


def _is_metric(knob: str) -> bool:
    return knob in _METRICS or knob.endswith(("_bpb", "_loss_value")) or knob.startswith("val_")


def _clean(value: str) -> str:
    v = value.strip()
    # whitespace other than " " is not printable: text without both needs no substitution
    spaced = " " in v or not v.isprintable()
    if spaced:
        v = _PERCENT_WORD_RE.sub("%", v)
    if len(v) >= 2 and v[0] == v[-1] and v[0] in "\"'":
        v = v[1:-1].strip()
    return _SPACES_RE.sub(" ", v) if spaced else v
