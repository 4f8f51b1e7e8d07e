"""A learned fallback for descriptions the taxonomy's rules leave in ``other``.

A multinomial naive Bayes model over word and word-pair features of the
first `MAX_CHARS` characters, trained on the hand-labelled fixtures by
``benchmarks/train_fallback.py`` and stored as feature counts in
``autolab_shared/data/fallback_nb.json`` (loaded once, on first use). It names a category only
when its posterior is at least the stored threshold (docs/classifier.md, "Learned fallback").
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from itertools import pairwise

MAX_CHARS = 300
MIN_WORDS = 2  # known words a guess needs: "0Q" is no evidence, whatever the priors say
SCHEMA = 1
_TOKEN = re.compile(r"[^\W\d_]+|\d+|[=+]")  # one class per token: linear time


def features(description: str) -> list[str]:
    """Word (``w:``) and word-pair (``b:``) features; digits read as ``0`` so that values of
    one setting look alike. (Character trigrams scored worse in cross-validation: they make
    the model confident on files it has not seen.)"""
    text = description[:MAX_CHARS].lower().replace("_", " ")
    words = [t if not t.isdigit() else "0" for t in _TOKEN.findall(text)]
    out = [f"w:{w}" for w in words]
    out += [f"b:{a} {b}" for a, b in pairwise(words)]
    return out


@dataclass(frozen=True)
class Model:
    """Log priors of each category, the feature counts and their smoothing (`alpha`,
    `log_norm` per category); `threshold` is the posterior a guess needs. A feature's log
    likelihoods are worked out the first time a description has it."""

    categories: tuple[str, ...]
    log_prior: tuple[float, ...]
    counts: Mapping[str, Mapping[str, object]]
    alpha: float
    log_norm: tuple[float, ...]
    threshold: float
    _rows: dict[str, tuple[float, ...]] = field(default_factory=dict, compare=False, repr=False)

    def _row(self, feature: str) -> tuple[float, ...] | None:
        row = self._rows.get(feature)
        if row is None:
            per = self.counts.get(feature)
            if per is None:  # a feature no category saw says nothing
                return None
            row = tuple(
                math.log(int(str(per.get(c, 0))) + self.alpha) - norm
                for c, norm in zip(self.categories, self.log_norm, strict=True)
            )
            self._rows[feature] = row
        return row

    def posterior(self, description: str) -> list[tuple[str, float]]:
        """Every category with its posterior probability, most likely first; [] when fewer
        than MIN_WORDS words of the description are known to the model."""
        scores = list(self.log_prior)
        known = 0
        for feature in features(description):
            row = self._row(feature)
            if row is not None:
                scores = [s + v for s, v in zip(scores, row, strict=True)]
                known += feature.startswith("w:") and feature[2:].isalpha()
        if known < MIN_WORDS:
            return []
        top = max(scores)
        weights = [math.exp(s - top) for s in scores]
        total = sum(weights)
        ranked = sorted(zip(self.categories, weights, strict=True), key=lambda cw: -cw[1])
        return [(c, w / total) for c, w in ranked]

    def guess(self, description: str) -> tuple[str, float] | None:
        """The most likely category and its posterior when that reaches the threshold."""
        ranked = self.posterior(description)
        if not ranked or ranked[0][1] < self.threshold:
            return None
        return ranked[0]


def train(
    rows: Iterable[tuple[str, str]], threshold: float, alpha: float = 1.0, min_count: int = 2
) -> dict[str, object]:
    """The stored form of a model trained on (description, category) rows: counts per
    category of every feature seen at least `min_count` times."""
    counts: dict[str, dict[str, int]] = {}
    docs: dict[str, int] = {}
    for description, category in rows:
        docs[category] = docs.get(category, 0) + 1
        for feature in features(description):
            per = counts.setdefault(feature, {})
            per[category] = per.get(category, 0) + 1
    kept = {f: c for f, c in counts.items() if sum(c.values()) >= min_count}
    return {
        "schema": SCHEMA,
        "alpha": alpha,
        "threshold": threshold,
        "docs": dict(sorted(docs.items())),
        "counts": dict(sorted(kept.items())),
    }


def from_stored(stored: Mapping[str, object]) -> Model:
    """The model of a stored form (see `train`)."""
    docs = _int_map(stored["docs"])
    counts = _mapping(stored["counts"])
    alpha = float(str(stored["alpha"]))
    categories = tuple(sorted(docs))
    totals = dict.fromkeys(categories, 0)
    for per in counts.values():
        for category, n in _mapping(per).items():
            totals[category] += int(str(n))
    n_docs = sum(docs.values())
    return Model(
        categories,
        tuple(math.log(docs[c] / n_docs) for c in categories),
        {f: _mapping(per) for f, per in counts.items()},
        alpha,
        tuple(math.log(totals[c] + alpha * len(counts)) for c in categories),
        float(str(stored["threshold"])),
    )


def _mapping(value: object) -> Mapping[str, object]:
    if not isinstance(value, dict):
        raise ValueError("fallback model: expected an object")
    return value


def _int_map(value: object) -> dict[str, int]:
    return {str(k): int(str(v)) for k, v in _mapping(value).items()}


@lru_cache(maxsize=1)
def builtin_model() -> Model:
    """The model shipped in ``autolab_shared/data/fallback_nb.json``."""
    text = resources.files("autolab_shared.data").joinpath("fallback_nb.json").read_text("utf-8")
    return from_stored(json.loads(text))


def fallback_guess(description: str, categories: Sequence[str]) -> tuple[str, float] | None:
    """The built-in model's confident guess for `description`, if it names one of
    `categories` (a user's taxonomy may not have the model's categories)."""
    found = builtin_model().guess(description)
    return found if found is not None and found[0] in categories else None
