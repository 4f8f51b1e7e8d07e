"""A catalogue of concrete ideas for Karpathy's train.py, and what a history already tried.

Ranking used by `untried`: score = expected_gain / RISK_WEIGHT[risk] (low 1, medium 2,
high 4), highest first; the sort is stable, so equal scores keep catalogue order.
`expected_gain` is the estimated relative val_bpb improvement in % if the idea is kept.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources
from typing import Any, TypeVar

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

from autolab_shared.core.errors import InputError
from autolab_shared.parsing.textio import read_bytes
from autolab_shared.steering.knobs import normalise_knob
from autolab_shared.steering.knobvalue import TOLERANCE, parse_value, readings, same_number
from autolab_shared.steering.taxonomy import load_taxonomy

# Idea categories are the built-in taxonomy's arms, less the fallback `other` (one list, no twin).
CATEGORIES: tuple[str, ...] = tuple(
    c.name for c in load_taxonomy().categories if c.arm and c.name != "other"
)
RISKS = ("low", "medium", "high")
RISK_WEIGHT: Mapping[str, float] = {"low": 1.0, "medium": 2.0, "high": 4.0}
JACCARD_MIN = 0.8
BUILTIN_PATH = "autolab_shared/data/ideas.toml"
T = TypeVar("T")

# Defaults of master karpathy/autoresearch train.py. The first block is the hyperparameter
# section; the second holds constants inside the code, named here by what they control.
DEFAULTS: Mapping[str, str] = {
    "aspect_ratio": "64",
    "head_dim": "128",
    "window_pattern": "SSSL",
    "total_batch_size": "2**19",
    "embedding_lr": "0.6",
    "unembedding_lr": "0.004",
    "matrix_lr": "0.04",
    "scalar_lr": "0.5",
    "weight_decay": "0.2",
    "adam_betas": "(0.8, 0.95)",
    "warmup_ratio": "0.0",
    "warmdown_ratio": "0.5",
    "final_lr_frac": "0.0",
    "depth": "8",
    "device_batch_size": "128",
    # inside the code
    "seq_len": "2048",  # MAX_SEQ_LEN, imported from prepare.py
    "short_window": "1024",  # _compute_window_sizes: long_window // 2
    "n_kv_head": "4",  # = n_head = 512 // HEAD_DIM at DEPTH 8 (no GQA)
    "mlp_ratio": "4",  # MLP: c_fc n_embd -> 4 * n_embd
    "softcap": "15",  # GPT.forward
    "rope_base": "10000",  # _precompute_rotary_embeddings(base=10000)
    "muon_momentum": "0.95",  # get_muon_momentum: 0.85 -> 0.95
    "muon_momentum_start": "0.85",
    "muon_momentum_warmup": "300",  # steps
    "ns_steps": "5",  # Muon group; polar_express_coeffs has 5 entries
    "muon_beta2": "0.95",  # NorMuon variance reduction
    "grad_clip": "0",  # no clip_grad_norm_ in the training loop
    "ve_weight_decay": "0.0",  # value_embeds AdamW group
    "embedding_weight_decay": "0.0",  # wte AdamW group
    "lm_head_weight_decay": "0.0",  # lm_head AdamW group
    "x0_lambda_init": "0.1",  # init_weights: x0_lambdas.fill_(0.1)
    "resid_lambda_init": "1.0",
    "init_scale": "1.0",  # multiplier of s = 3**0.5 * n_embd**-0.5
    "ve_init_scale": "1.0",  # value_embeds uniform(-s, s)
    "lm_head_init_std": "0.001",
    "embedding_init_std": "1.0",
    "ve_gate_channels": "32",
}

# The parser (knobs.py, the one knob alias table) and train.py name two knobs differently.
_TRAIN_PY_NAMES: Mapping[str, str] = {
    "x0_lambda": "x0_lambda_init",
    "resid_lambda": "resid_lambda_init",
}

# A component knob is one element of a tuple-valued knob.
COMPONENTS: Mapping[str, tuple[str, int]] = {
    "adam_beta1": ("adam_betas", 0),
    "adam_beta2": ("adam_betas", 1),
}


@dataclass(frozen=True)
class Idea:
    """One catalogue entry: an experiment an agent can run as written."""

    id: str
    category: str
    text: str
    risk: str
    expected_gain: float
    why: str
    knob: str | None = None
    value: str | None = None

    @property
    def score(self) -> float:
        """Expected gain per unit of risk; the ranking key of `untried`."""
        return self.expected_gain / RISK_WEIGHT.get(self.risk, 1.0)


@dataclass(frozen=True)
class Tried:
    """What a history tried: description token sets and (knob, new value) pairs."""

    descriptions: tuple[frozenset[str], ...] = ()
    knob_values: tuple[tuple[str, str], ...] = ()

    def values(self, knob: str) -> tuple[str, ...]:
        """Every value tried for `knob` (aliases resolved), in history order."""
        name = canonical_knob(knob)
        return tuple(v for k, v in self.knob_values if k == name)

    @cached_property
    def _token_index(self) -> _TokenIndex:
        return _TokenIndex(self.descriptions)

    @cached_property
    def _knob_index(self) -> _KnobIndex:
        return _KnobIndex(self.knob_values)


@lru_cache(maxsize=4096)
def canonical_knob(name: str) -> str:
    """train.py's name for a knob, aliases resolved by :func:`normalise_knob`: "Matrix LR" ->
    "matrix_lr", "lm_head wd" -> "lm_head_weight_decay", "x0_lambda" -> "x0_lambda_init"."""
    knob = normalise_knob(name)
    return _TRAIN_PY_NAMES.get(knob, knob)


# ---------------------------------------------------------------------------- loading


def load_ideas(path: str | None = None) -> tuple[Idea, ...]:
    """The catalogue at `path`, or the built-in one; a bad file raises InputError."""
    if path is None:
        return _builtin()
    return parse_ideas(read_bytes(path), path)


@lru_cache(maxsize=1)
def _builtin() -> tuple[Idea, ...]:
    data = resources.files("autolab_shared.data").joinpath("ideas.toml").read_bytes()
    return parse_ideas(data, BUILTIN_PATH)


def parse_ideas(data: bytes, path: str) -> tuple[Idea, ...]:
    """Ideas from TOML bytes holding `[[idea]]` tables; `path` names the file in errors."""
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(path, f"not UTF-8: {exc.reason}") from exc
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        line = int(found.group(1)) if found else None
        raise InputError(path, f"not valid TOML: {exc}", line) from exc
    entries = doc.get("idea")
    if not isinstance(entries, list) or not entries:
        raise InputError(path, "no [[idea]] tables")
    ideas = tuple(_idea(entry, path, n) for n, entry in enumerate(entries, 1))
    seen: set[str] = set()
    for idea in ideas:
        if idea.id in seen:
            raise InputError(path, f"idea id {idea.id!r} is used twice")
        seen.add(idea.id)
    return ideas


_FIELDS = frozenset({"id", "category", "text", "knob", "value", "risk", "expected_gain", "why"})


def _idea(entry: object, path: str, n: int) -> Idea:
    if not isinstance(entry, dict):
        raise InputError(path, f"idea {n}: not a table")
    where = f"idea {n} ({entry.get('id', '?')})"
    unknown = sorted(set(entry) - _FIELDS)
    if unknown:
        raise InputError(path, f"{where}: unknown field(s) {', '.join(unknown)}")
    fields = {name: _text(entry, name, path, where) for name in ("id", "category", "text", "why")}
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", fields["id"]):
        raise InputError(path, f"{where}: id must be a lower-case slug")
    if fields["category"] not in CATEGORIES:
        raise InputError(path, f"{where}: unknown category {fields['category']!r}")
    risk = _text(entry, "risk", path, where)
    if risk not in RISKS:
        raise InputError(path, f"{where}: risk must be one of {', '.join(RISKS)}")
    gain = entry.get("expected_gain")
    if isinstance(gain, bool) or not isinstance(gain, (int, float)) or not 0 <= gain < math.inf:
        raise InputError(path, f"{where}: expected_gain must be a number >= 0")
    knob, value = entry.get("knob"), entry.get("value")
    if (knob is None) != (value is None):
        raise InputError(path, f"{where}: knob and value go together")
    if knob is not None:
        knob = canonical_knob(_text(entry, "knob", path, where))
        value = _value_text(value, path, where)
    return Idea(risk=risk, expected_gain=float(gain), knob=knob, value=value, **fields)


def _text(entry: Mapping[str, Any], name: str, path: str, where: str) -> str:
    value = entry.get(name)
    if not isinstance(value, str) or not value.strip():
        raise InputError(path, f"{where}: {name} must be a non-empty string")
    return value.strip()


def _value_text(value: object, path: str, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)) or value == "":
        raise InputError(path, f"{where}: value must be a string or a number")
    return str(value).strip()


# ---------------------------------------------------------------------------- values

_SPACES = re.compile(r"\s+")
_PATTERN = re.compile(r"[SLsl]+")


def _items(text: str) -> list[str] | None:
    s = text.strip()
    if s[:1] in "([" and s[-1:] in ")]":
        s = s[1:-1]
    elif "," not in s:
        return None
    return [part.strip() for part in s.split(",") if part.strip()]


def values_equal(a: str, b: str) -> bool:
    """Whether two written values are the same: numerically, per tuple item, or as text.

    Numbers follow `knobvalue`'s K/M/B rule: 524K, 2**19 and 0.5M are one value.
    """
    items_a, items_b = _items(a), _items(b)
    if items_a is not None or items_b is not None:
        items_a, items_b = items_a or [a], items_b or [b]
        return len(items_a) == len(items_b) and all(map(values_equal, items_a, items_b))
    same = same_number(a, b)
    return _plain(a) == _plain(b) if same is None else same


def _plain(text: str) -> str:
    return _SPACES.sub("", text.strip().strip("\"'")).casefold()


# ---------------------------------------------------------------------------- no-op check


def _shape(depth: int, aspect_ratio: int, head_dim: int) -> tuple[int, int, int]:
    """(layers, model_dim, heads) as train.py's build_model_config rounds them."""
    dim = -(-depth * aspect_ratio // head_dim) * head_dim
    return depth, dim, dim // head_dim


def _layer_windows(pattern: str, depth: int) -> str:
    """The per-layer S/L string train.py derives from WINDOW_PATTERN (last layer long)."""
    letters = _plain(pattern).upper()
    return "".join(letters[i % len(letters)] for i in range(depth - 1)) + "L"


def _as_int(text: str) -> int | None:
    found = parse_value(text)
    return int(found) if found is not None and found.is_integer() and found > 0 else None


def is_noop(idea: Idea) -> bool:
    """Whether a knob idea leaves master train.py unchanged (same value or same model shape)."""
    if idea.knob is None or idea.value is None or idea.knob not in DEFAULTS:
        return False
    if values_equal(idea.value, DEFAULTS[idea.knob]):
        return True
    if idea.knob == "window_pattern" and _PATTERN.fullmatch(_plain(idea.value)):
        depth, default = int(DEFAULTS["depth"]), DEFAULTS["window_pattern"]
        return _layer_windows(idea.value, depth) == _layer_windows(default, depth)
    if idea.knob in ("depth", "aspect_ratio", "head_dim"):
        shape = {k: int(DEFAULTS[k]) for k in ("depth", "aspect_ratio", "head_dim")}
        new = _as_int(idea.value)
        return new is not None and _shape(**shape) == _shape(**{**shape, idea.knob: new})
    return False


# ---------------------------------------------------------------------------- what was tried

# Words that carry no meaning here, including the filler of knob names (WARMDOWN_RATIO).
_STOP = frozenset(
    {"a", "an", "the", "to", "from", "of", "by", "and", "with", "in", "on", "for", "ratio", "frac"}
)
# Linear: a value starts only where a run of its characters does (a run is scanned once), and
# a remark's parentheses hold no others, so the look-ahead and the body each stop at the next one.
_OLD_VALUE = re.compile(r"[\"']?(?<![\w.*^%/])[\w.*^%/]+[\"']?\s*(?:->|→)\s*")
_TOKEN = re.compile(r"\d+(?:\.\d+)?(?:e[-+]?\d+)?|\.\d+|[a-z]+")
_AGENT = re.compile(r"^\s*(?:gpu|agent|exp)\d+\s*:\s*")
_TAIL = re.compile(r"\(hypothesis| — | – | - ")
_REMARK = re.compile(r"\((?=[^()a-z]*[a-z])[^()]*\)")


def _core(text: str) -> str:
    """The change part of a description: no agent prefix, comment tail or remark in brackets."""
    s = text.lower()
    agent = _AGENT.match(s)  # anchored at the start: at most one, there
    if agent is not None:
        s = s[agent.end() :]
    tail = _TAIL.search(s)
    if tail is not None:
        s = s[: tail.start()]
    return _REMARK.sub(" ", s) if "(" in s else s


def description_tokens(text: str) -> frozenset[str]:
    """Normalised tokens for near-duplicate detection ("0.050" and "0.05" are one token)."""
    # a token is a word of a-z or a number (\d matches every Unicode digit); a stop word's
    # form is "" and filtered out
    return frozenset(filter(None, map(_FORMS.__getitem__, _TOKEN.findall(_core(text)))))


class _TokenForms(dict[str, str]):
    """token -> its form in a token set (`_number_token` for a number, "" for a stop word),
    filled on first look-up; emptied when it grows past 2**16 entries."""

    def __missing__(self, token: str) -> str:
        if len(self) >= 1 << 16:
            self.clear()
        if token in _STOP:
            form = ""
        elif "a" <= token[0] <= "z" or _plain_integer(token):
            form = token
        else:
            form = _number_token(token)
        self[token] = form
        return form


_FORMS = _TokenForms()


def _plain_integer(token: str) -> bool:
    """An ASCII integer of 1 to 10 digits without a leading zero: its own `_number_token`."""
    return token.isascii() and token.isdigit() and token[0] != "0" and len(token) <= 10


@lru_cache(maxsize=1 << 14)
def _number_token(token: str) -> str:
    """A number token in one spelling: "0.050" and "0.05" are both "0.05"."""
    return format(float(token), ".10g")


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """|a ∩ b| / |a ∪ b|, 0 for two empty sets."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def tried_from(
    descriptions: Iterable[str],
    knob_changes: Iterable[tuple[str, str]],
    tokens: Iterable[frozenset[str]] | None = None,
) -> Tried:
    """Summarise a history: its descriptions and its parsed (knob, new value) changes
    (`tokens`: the descriptions' `description_tokens`, when already known)."""
    if tokens is None:
        tokens = map(description_tokens, descriptions)
    tokens = tuple(t for t in tokens if t)
    pairs = tuple(
        (canonical_knob(k), v.strip()) for k, v in knob_changes if k.strip() and v.strip()
    )
    return Tried(descriptions=tokens, knob_values=pairs)


def _expand(knob: str, value: str) -> list[tuple[str, str]]:
    """A change plus its single-component form: adam_betas (0.8, 0.9) -> adam_beta2 0.9."""
    changes = [(knob, value)]
    if knob in COMPONENTS:
        return changes
    parts, defaults = _items(value), _items(DEFAULTS.get(knob, ""))
    if parts is None or defaults is None or len(parts) != len(defaults):
        return changes
    differ = [
        i for i, (p, d) in enumerate(zip(parts, defaults, strict=True)) if not values_equal(p, d)
    ]
    if len(differ) == 1:
        names = [name for name, (of, i) in COMPONENTS.items() if of == knob and i == differ[0]]
        changes += [(name, parts[differ[0]]) for name in names]
    return changes


def is_tried(idea: Idea, tried: Tried) -> bool:
    """Same knob and value (numerically equal counts), or a description with token Jaccard
    >= 0.8 against the idea's text or headline (see `_forms`)."""
    if idea.knob is not None and idea.value is not None:
        mine = _expand(idea.knob, idea.value)
        if tried._knob_index.tried(mine):
            return True
    return any(tried._token_index.near(form) for form in _forms(idea.text))


class _KnobIndex:
    """A history's distinct (knob, value) changes and, per knob, the values they expand to
    (`_expand`) as (change number, place in its expansion, value), for `is_tried`."""

    __slots__ = ("by_knob", "changes", "failed")

    def __init__(self, knob_values: Iterable[tuple[str, str]]) -> None:
        self.changes = tuple(dict.fromkeys(knob_values))
        self.by_knob: dict[str, list[tuple[int, int, str]]] = {}
        self.failed: list[int] = []  # changes whose expansion raised
        for n, (knob, value) in enumerate(self.changes):
            try:
                theirs = _expand(knob, value)
            except Exception:  # raised again where a scan of every change would meet it
                self.failed.append(n)
                continue
            for place, (name, written) in enumerate(theirs):
                self.by_knob.setdefault(name, []).append((n, place, written))

    def tried(self, mine: Sequence[tuple[str, str]]) -> bool:
        """Whether a change expands to a value equal to one of `mine` for the same knob. The
        comparisons (and errors) come in the order of a scan that expands every change."""
        steps = [(n, -1, 0, "") for n in self.failed]
        steps += [
            (n, i, place, written)
            for i, (knob, _) in enumerate(mine)
            for n, place, written in self.by_knob.get(knob, ())
        ]
        steps.sort()  # (change, place in `mine`, place in the change's expansion): distinct
        for n, i, _, written in steps:
            if i < 0:
                _expand(*self.changes[n])  # raises, as the scan would here
            elif values_equal(mine[i][1], written):
                return True
        return False


class _TokenIndex:
    """Distinct description token sets and, per token asked about, the numbers of the sets
    holding it, for `is_tried`."""

    __slots__ = ("indexed", "postings", "sets")

    def __init__(self, descriptions: Iterable[frozenset[str]]) -> None:
        self.sets = tuple(dict.fromkeys(descriptions))
        self.postings: dict[str, list[int]] = {}
        self.indexed: set[str] = set()  # the tokens whose postings are complete

    def index(self, tokens: Iterable[str]) -> None:
        """Complete the postings of `tokens`: one pass over the sets for those not indexed
        yet (the postings of the words of a whole catalogue take one pass, not one per idea)."""
        new = set(tokens) - self.indexed
        if not new:
            return
        postings = self.postings
        for n, tokens_of_n in enumerate(self.sets):
            for token in tokens_of_n & new:
                postings.setdefault(token, []).append(n)
        self.indexed |= new

    def near(self, tokens: frozenset[str]) -> bool:
        """Whether some set has Jaccard >= JACCARD_MIN with `tokens`. Such a set shares at
        least `need` of the n tokens (|a ∩ b| >= JACCARD_MIN * |a ∪ b| >= JACCARD_MIN * n),
        so it holds one of any n - need + 1 of them: only the sets holding one of the rarest
        n - need + 1 are compared."""
        need = math.ceil(JACCARD_MIN * len(tokens) * (1 - 1e-9))  # a margin for rounding
        if need < 1:  # no tokens (Jaccard 0), or no minimum
            return JACCARD_MIN <= 0 and any(
                jaccard(tokens, other) >= JACCARD_MIN for other in self.sets
            )
        self.index(tokens)
        rarest = sorted(tokens, key=lambda token: len(self.postings.get(token, ())))
        found: set[int] = set()
        for token in rarest[: len(tokens) - need + 1]:
            found.update(self.postings.get(token, ()))
        return any(jaccard(tokens, self.sets[n]) >= JACCARD_MIN for n in found)


def _forms(text: str) -> set[frozenset[str]]:
    """Token sets of an idea's text and of its headline (before ": "), each with and
    without the "old ->" part."""
    texts = {text, text.split(": ", 1)[0]}
    return {description_tokens(t) for t in texts} | {
        description_tokens(_OLD_VALUE.sub(" ", t)) for t in texts
    }


def index_ideas(ideas: Iterable[Idea], tried: Tried) -> None:
    """Index the words of every idea in one pass over the history (`untried` does it; once
    done, later calls with the same ideas cost nothing)."""
    tried._token_index.index(t for idea in ideas for form in _forms(idea.text) for t in form)


def untried(ideas: Iterable[Idea], tried: Tried, category: str | None = None) -> list[Idea]:
    """Ideas not tried yet (optionally of one category), best expected_gain/risk first."""
    ideas = tuple(ideas)
    index_ideas(ideas, tried)
    keep = [i for i in ideas if category in (None, i.category) and not is_tried(i, tried)]
    return sorted(keep, key=lambda idea: -idea.score)


# ---------------------------------------------------------------------------- neighbours


@dataclass(frozen=True)
class _Step:
    """How a knob moves: by `delta` (added, or a factor when `factor`), within [lo, hi]."""

    delta: float
    lo: float
    hi: float
    factor: bool = False


_STEPS: Mapping[str, _Step] = {
    "matrix_lr": _Step(0.005, 0.001, 1.0),
    "embedding_lr": _Step(0.1, 0.05, 10.0),
    "unembedding_lr": _Step(0.001, 0.0005, 1.0),
    "scalar_lr": _Step(0.1, 0.05, 10.0),
    "weight_decay": _Step(0.05, 0.0, 2.0),
    "ve_weight_decay": _Step(0.001, 0.0, 1.0),
    "embedding_weight_decay": _Step(0.001, 0.0, 1.0),
    "lm_head_weight_decay": _Step(0.005, 0.001, 1.0),
    "warmdown_ratio": _Step(0.05, 0.05, 1.0),
    "warmup_ratio": _Step(0.01, 0.0, 0.5),
    "final_lr_frac": _Step(0.01, 0.0, 0.5),
    "depth": _Step(1, 1, 64),
    "aspect_ratio": _Step(8, 16, 256),
    "model_dim": _Step(128, 128, 8192),  # whole heads of 128 (train.py's HEAD_DIM)
    "head_dim": _Step(2, 32, 256, factor=True),
    "total_batch_size": _Step(2, 2**12, 2**23, factor=True),
    "device_batch_size": _Step(2, 1, 1024, factor=True),
    "short_window": _Step(2, 64, 2048, factor=True),
    "n_head": _Step(2, 1, 128, factor=True),  # heads divide the width: halve or double
    "n_kv_head": _Step(2, 1, 64, factor=True),
    "seq_len": _Step(2, 128, 8192, factor=True),
    "mlp_ratio": _Step(0.5, 1.0, 8.0),
    "softcap": _Step(1, 5, 100),
    "rope_base": _Step(2, 1000, 1e7, factor=True),
    "muon_momentum": _Step(0.01, 0.8, 0.99),
    "muon_momentum_start": _Step(0.05, 0.5, 0.95),
    "muon_momentum_warmup": _Step(50, 0, 2000),
    "ns_steps": _Step(1, 1, 5),  # polar_express_coeffs has 5 entries: 6 would be a no-op
    "muon_beta2": _Step(0.01, 0.8, 0.999),
    "adam_beta1": _Step(0.05, 0.5, 0.99),
    "adam_beta2": _Step(0.05, 0.8, 0.999),
    "grad_clip": _Step(2, 0.05, 10.0, factor=True),
    "x0_lambda_init": _Step(0.01, 0.0, 1.0),
    "resid_lambda_init": _Step(0.05, 0.5, 2.0),
    "init_scale": _Step(0.02, 0.1, 2.0),
    "ve_init_scale": _Step(0.1, 0.1, 2.0),
    "lm_head_init_std": _Step(2, 1e-5, 0.1, factor=True),
    "embedding_init_std": _Step(0.1, 0.1, 4.0),
    "ve_gate_channels": _Step(2, 4, 256, factor=True),
}
_POWERS_OF_TWO = frozenset({"total_batch_size"})
_MAX_WALK = 4


def value_neighbours(knob: str, tried_values: Iterable[str], kept_value: str) -> list[str]:
    """The nearest untried values above and below the kept one (above first), e.g.
    matrix_lr kept 0.04 with 0.045 tried -> ["0.05", "0.035"]. Include the baseline's value
    in `tried_values` when it ran with the default."""
    name = canonical_knob(knob)
    seen = list(dict.fromkeys([*(v for v in tried_values if v.strip()), kept_value]))
    if name == "window_pattern" and _PATTERN.fullmatch(_plain(kept_value)):
        moves = (_more_short, _less_short)
        return _walk(_plain(kept_value).upper(), moves, lambda s: s, seen)
    found = readings(kept_value)
    if found is None:
        return []
    start = found[0]
    step = _STEPS.get(name) or _guess_step(start, _is_fraction(name))
    if step is None:
        return []
    if name not in _STEPS and _INTEGER.fullmatch(kept_value.strip()) and _counted(name):
        step = _whole(step, start)  # "n_blocks 7": 6 or 8, never 7.7
    if name in _POWERS_OF_TWO and start > 0:
        start = _snap_pow2(start)
    up, down = _moves(step)
    if kept_value.strip().endswith("%"):  # "lr -30%": -27% and -33%, not -0.27
        return _walk(start, (up, down), lambda x: format(round(x * 100, 10), ".10g") + "%", seen)
    return _walk(start, (up, down), lambda x: _format(name, x), seen)


_INTEGER = re.compile(r"[-+]?\d{1,15}")
# Name parts of knobs that take any real value even when written whole ("ve_gate_scale 2").
_CONTINUOUS_WORDS = frozenset(
    """scale ratio frac fraction lr rate decay wd momentum beta temperature temp std eps alpha
    lambda lambdas coef coeff weight gain mult multiplier factor cap softcap clip norm dropout
    prob smoothing""".split()  # noqa: SIM905 (a word list reads better as words)
)


def _counted(name: str) -> bool:
    """Whether an unknown knob's name names a count or a size, not a real-valued setting."""
    return not any(part in _CONTINUOUS_WORDS for part in name.split("_"))


def _whole(step: _Step, start: float) -> _Step:
    """A guessed step for a knob written as a whole number: at least 1, by whole numbers, and
    not below 1 from a positive value (a count or a size of 0 is no setting)."""
    lo = max(step.lo, 1.0) if start >= 1 else step.lo
    return _Step(float(max(1, round(step.delta))), lo, step.hi, step.factor)


def _walk(
    start: T,
    moves: Sequence[Callable[[T], T | None]],
    show: Callable[[T], str],
    seen: Sequence[str],
) -> list[str]:
    out: list[str] = []
    for move in moves:
        value = start
        for _ in range(_MAX_WALK):
            moved = move(value)
            if moved is None:
                break
            value, text = moved, show(moved)
            if not any(values_equal(text, old) for old in seen):
                out.append(text)
                break
    return out


def _moves(step: _Step) -> tuple[Callable[[float], float | None], Callable[[float], float | None]]:
    def inside(x: float) -> float | None:
        return round(x, 12) if step.lo - 1e-12 <= x <= step.hi + 1e-12 else None

    if step.factor:
        return (lambda x: inside(x * step.delta)), (lambda x: inside(x / step.delta))
    return (lambda x: inside(x + step.delta)), (lambda x: inside(x - step.delta))


_FRACTION_WORDS = ("frac", "fraction", "prob", "probability", "dropout", "momentum", "beta")


def _is_fraction(name: str) -> bool:
    """Whether an unknown knob's name says it lives in [0, 1] ("max_memory_fraction")."""
    return any(part in _FRACTION_WORDS for part in name.split("_"))


def _guess_step(value: float, fraction: bool = False) -> _Step | None:
    """For knobs without a table entry: a tenth of the value, to one significant digit,
    within [0, 1] for a `fraction`."""
    if value == 0:
        return None
    tenth = abs(value) / 10
    delta = float(f"{tenth:.0e}")
    if fraction and 0 <= value <= 1:
        return _Step(delta, 0.0, 1.0)
    return _Step(delta, -math.inf if value < 0 else 0.0, math.inf)


def _snap_pow2(value: float) -> float:
    power = 2.0 ** round(math.log2(value))
    return power if abs(power - value) <= TOLERANCE * power else value


def _format(knob: str, value: float) -> str:
    if knob in _POWERS_OF_TWO and value >= 1024 and math.log2(value).is_integer():
        return f"2**{int(math.log2(value))}"
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return format(value, ".10g")


def _more_short(pattern: str) -> str | None:
    return "S" + pattern if len(pattern) < 12 else None


def _less_short(pattern: str) -> str | None:
    return pattern[1:] if pattern.startswith("S") and len(pattern) > 1 else None


# ---------------------------------------------------------------------------- near-misses


def near_miss_ideas(near_misses: Sequence[tuple[str, str]]) -> list[Idea]:
    """Ideas from (category, description) near-misses, best first: one combination of the
    best two, then a retry of each on top of the current best."""
    ideas: list[Idea] = []
    if len(near_misses) >= 2:
        (_, first), (_, second) = near_misses[0], near_misses[1]
        ideas.append(
            Idea(
                id="near-miss-combination",
                category="combination",
                text=f"Combine two near-misses in one run: {first} + {second}",
                risk="medium",
                expected_gain=0.2,
                why="each was discarded within noise of the best; together they may clear it",
            )
        )
    for n, (category, text) in enumerate(near_misses, 1):
        ideas.append(
            Idea(
                id=f"near-miss-retry-{n}",
                category=category if category in CATEGORIES else "combination",
                text=f"Retry on top of the current best: {text}",
                risk="low",
                expected_gain=0.1,
                why="discarded within noise of the best; later keeps may have changed the picture",
            )
        )
    return ideas
