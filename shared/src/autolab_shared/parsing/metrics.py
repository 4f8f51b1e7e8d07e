"""Metric names: which way is better (``min``/``max``) and which column holds the metric.

Direction is looked up on the ``_``-separated tokens of a column name, so ``val_loss``,
``exact_final_val_bpb`` and ``format_pass_rate`` match while ``lossless`` or ``scores_json``
do not. A name matching both a lower-is-better and a higher-is-better pattern has no known
direction.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise

from autolab_shared.core.eqrepr import EqRepr

MIN = "min"
MAX = "max"

_Pattern = tuple[str, ...]

_MIN_PATTERNS: tuple[_Pattern, ...] = tuple(
    (word,)
    for word in (
        "loss",
        "bpb",
        "bpc",
        "nll",
        "rmse",
        "mse",
        "mae",
        "mape",
        "wer",
        "cer",
        "fid",
        "perplexity",
        "ppl",
        "latency",
        "error",
        "errors",
        "err",
        "time",
        "lpips",
        "kl",
        "cost",
        "drawdown",
    )
)
_RATE_PATTERNS: tuple[_Pattern, ...] = (
    ("tok", "s"), ("tok", "per", "s"), ("tok", "per", "sec"), ("tokens", "s"),
    ("tokens", "per", "s"), ("tokens", "per", "sec"), ("tokens", "per", "second"),
    ("samples", "per", "sec"), ("it", "s"), ("tps",), ("throughput",),
)  # fmt: skip
_MAX_PATTERNS: tuple[_Pattern, ...] = (
    _RATE_PATTERNS
    + tuple(
        (word,)
        for word in (
            "acc",
            "accuracy",
            "psnr",
            "ssim",
            "tflops",
            "mfu",
            "sharpe",
            "profit",
            "pnl",
            "r2",
            "score",
            "f1",
            "auc",
            "map",
            "map50",
            "map75",
            "bleu",
            "rouge",
            "rouge1",
            "rouge2",
            "rougel",
            "reward",
            "oob",
            "silhouette",
            "corr",
            "correlation",
            "speedup",
            "precision",
            "recall",
            "iou",
            "miou",
            "ndcg",
        )
    )
    + (
        ("pass", "rate"),
        ("win", "rate"),
        ("hit", "rate"),
        ("success", "rate"),
        ("exact", "match"),
        ("j", "index"),
    )
)

# Tokens of names that are never chosen as the metric automatically.
_NEVER_TOKENS = frozenset({"before", "baseline", "old", "new", "delta", "diff"})
_TIME_TOKENS = frozenset(
    {
        "time",
        "timestamp",
        "date",
        "datetime",
        "ts",
        "utc",
        "seconds",
        "second",
        "secs",
        "sec",
        "minutes",
        "mins",
        "hours",
        "duration",
        "runtime",
        "elapsed",
        "wall",
        "wallclock",
        "budget",
    }
)
_ID_AND_SETTING_TOKENS = frozenset(
    {
        "id",
        "idx",
        "index",
        "iter",
        "iteration",
        "iterations",
        "run",
        "exp",
        "experiment",
        "round",
        "gen",
        "generation",
        "rank",
        "session",
        "agent",
        "trial",
        "step",
        "steps",
        "epoch",
        "epochs",
        "seed",
        "lr",
        "alpha",
        "beta",
        "batch",
        "size",
        "params",
        "param",
        "n",
        "num",
        "count",
        "layer",
        "layers",
        "depth",
        "dim",
        "head",
        "heads",
        "embd",
        "k",
        "top",
        "trades",
        "bytes",
        "exit",
        "code",
        "lines",
        "threshold",
        "gpus",
        "gpu",
        "version",
        "dropout",
        "decay",
        "warmup",
        "commit",
        "sha",
        "hash",
        "ref",
        "memory",
        "mem",
        "vram",
        "ram",
        "status",
        "verdict",
        "decision",
        "description",
        "desc",
        "notes",
        "note",
        "hypothesis",
        "comment",
        "idea",
        "kind",
        "type",
        "tag",
        "label",
        "name",
        "model",
        "method",
        "config",
        "branch",
        "track",
        "trainer",
        "path",
        "phase",
        "language",
        "design",
        "target",
        "flags",
        "direction",
    }
)
_VALIDATION_TOKENS = frozenset({"val", "valid", "validation"})

_SPLIT = re.compile(r"[^0-9a-z]+")


def name_tokens(name: str) -> tuple[str, ...]:
    """Lower-case alphanumeric tokens of a column name: ``'Tok/s'`` → ``('tok', 's')``."""
    return tuple(token for token in _SPLIT.split(name.lower()) if token)


def _has(tokens: tuple[str, ...], pattern: _Pattern) -> bool:
    width = len(pattern)
    return any(tokens[i : i + width] == pattern for i in range(len(tokens) - width + 1))


def _matches(tokens: tuple[str, ...], patterns: tuple[_Pattern, ...]) -> bool:
    return any(_has(tokens, pattern) for pattern in patterns)


def direction_for(name: str) -> str | None:
    """``'min'`` or ``'max'`` for a known metric name, None when unknown or contradictory."""
    tokens = name_tokens(name)
    is_rate = _matches(tokens, _RATE_PATTERNS)
    lower = not is_rate and _matches(tokens, _MIN_PATTERNS)
    higher = _matches(tokens, _MAX_PATTERNS)
    if lower == higher:
        return None
    return MIN if lower else MAX


def normalise_direction(text: str) -> str | None:
    """``min``/``max`` from a flag or a direction cell (minimize, lower, higher, ...), else None."""
    key = text.strip().lower().replace("-", "_").replace(" ", "_")
    if key in {"min", "minimize", "minimise", "lower", "lower_is_better", "down", "less"}:
        return MIN
    if key in {"max", "maximize", "maximise", "higher", "higher_is_better", "up", "more"}:
        return MAX
    return None


def is_metric_candidate(name: str) -> bool:
    """False for names that hold ids, settings, times, memory or text rather than a result."""
    tokens = name_tokens(name)
    if not tokens or _NEVER_TOKENS.intersection(tokens):
        return False
    if _matches(tokens, _RATE_PATTERNS):
        return True
    if _TIME_TOKENS.intersection(tokens):
        return False
    if direction_for(name) is not None:
        return True
    return not _ID_AND_SETTING_TOKENS.intersection(tokens)


def is_validation_metric(name: str) -> bool:
    """A known metric measured on validation data: ``val_loss``, ``exact_final_val_bpb``."""
    tokens = name_tokens(name)
    return bool(_VALIDATION_TOKENS.intersection(tokens)) and direction_for(name) is not None


@dataclass(eq=False, repr=False)
class ColumnStats(EqRepr):
    """What the data rows hold in one column: numeric cells, non-empty cells, distinct numbers."""

    numeric: int
    filled: int
    distinct: int
    integral: bool = False  # every number is a whole number, written without a point

    def mostly_numeric(self) -> bool:
        """At least one number, and numbers in at least half the non-empty cells."""
        return self.numeric > 0 and 2 * self.numeric >= self.filled

    def setting_like(self) -> bool:
        """Constant or whole numbers only: a setting (``imgsz``, ``samples``), not a result."""
        return self.distinct <= 1 or self.integral


def choose_metric(
    names: Sequence[str],
    stats: Callable[[int], ColumnStats] | None,
    excluded: frozenset[int],
) -> int | None:
    """Index of the metric column, by the first rule that matches, or None.

    1. ``val_bpb``, then its alias ``bpb``; 2. ``metric_value`` (the metric is named in the data);
    3. the first known metric measured on validation data (``val_loss``, ``final_val_bpb``);
    4. the first mostly-numeric column that is a metric candidate (not commit/id/memory/status/
       description/time/setting by name) and is a result: a known metric name, or values that
       vary and are not all whole numbers (constant or integer columns are settings such as
       ``imgsz`` or ``samples``); failing that, the first mostly-numeric candidate (one whose
       values differ if any does);
    5. the first candidate column even without numbers (all its rows then have no value).
    ``stats`` is None for a header-only file: numeric tests are then skipped.
    """
    open_ = [i for i in range(len(names)) if i not in excluded]
    for wanted in ("val_bpb", "bpb", "metric_value"):
        if wanted in names and names.index(wanted) in open_:
            return names.index(wanted)
    candidates = [i for i in open_ if is_metric_candidate(names[i])]
    for i in candidates:
        if is_validation_metric(names[i]) and (stats is None or stats(i).numeric > 0):
            return i
    if stats is None:
        return candidates[0] if candidates else None
    numeric = [i for i in candidates if stats(i).mostly_numeric()]
    if not numeric:
        return candidates[0] if candidates else None
    result = (i for i in numeric if direction_for(names[i]) or not stats(i).setting_like())
    varying = (i for i in numeric if stats(i).distinct > 1)
    return next(result, next(varying, numeric[0]))


def trend_direction(keep_values: Sequence[float]) -> str | None:
    """The direction that successive keep values mostly move in (two thirds of ≥ 3 moves)."""
    moves = [b - a for a, b in pairwise(keep_values) if b != a]
    if len(moves) < 3:
        return None
    down = sum(1 for move in moves if move < 0)
    if 3 * down >= 2 * len(moves):
        return MIN
    if 3 * (len(moves) - down) >= 2 * len(moves):
        return MAX
    return None
