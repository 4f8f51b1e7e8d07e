"""Names one metric goes by: ``bpb`` in a run.log is the ``val_bpb`` of results.tsv.

Names compare case-insensitively with ``-``, ``.``, ``/`` and spaces read as ``_``. Two names
are the same metric when they are equal that way or sit in the same row of :data:`ALIASES`; a
name that ends with one of a row's validation names (``exact_final_val_bpb``) is in that row,
while a bare ``bpb`` suffix is not (``train_bpb`` is another metric).
``val_loss`` and ``val_bpb`` are different metrics (nats per token, bits per byte): no alias
links them. The table is documented in ``docs/runlog.md``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

ALIASES: tuple[tuple[str, ...], ...] = (
    ("val_bpb", "bpb", "valid_bpb", "validation_bpb", "eval_bpb", "val_bits_per_byte",
     "bits_per_byte"),
    ("val_loss", "valid_loss", "validation_loss", "eval_loss", "val_nll"),
    ("val_ppl", "val_perplexity", "valid_ppl", "validation_perplexity", "eval_ppl",
     "eval_perplexity"),
    ("val_acc", "val_accuracy", "valid_acc", "validation_accuracy", "eval_acc",
     "eval_accuracy"),
)  # fmt: skip

_SEPARATORS = re.compile(r"[\s\-./]+")


def canonical(name: str) -> str:
    """``Val/BPB`` -> ``val_bpb``."""
    return _SEPARATORS.sub("_", name.strip().lower())


def _row(name: str) -> tuple[str, ...]:
    """The alias row of ``name``: by equality, else by a validation alias it ends with."""
    wanted = canonical(name)
    for row in ALIASES:
        if wanted in row:
            return row
    for row in ALIASES:  # exact_final_val_bpb is val_bpb; train_bpb is not (no bare suffixes)
        if any("_" in alias and wanted.endswith("_" + alias) for alias in row):
            return row
    return (wanted,)


def find_alias(metric: str, names: Iterable[str]) -> str | None:
    """The name among ``names`` that is ``metric`` (exactly first, then by the table), or None."""
    names = list(names)
    if metric in names:
        return metric
    row = _row(metric)
    by_canonical = {canonical(name): name for name in reversed(names)}
    found = next((by_canonical[alias] for alias in row if alias in by_canonical), None)
    if found is not None or len(row) == 1:
        return found
    return next((name for name in names if _row(name) == row), None)
