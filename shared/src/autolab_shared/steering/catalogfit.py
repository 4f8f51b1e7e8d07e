"""Whether the idea catalogue, written for Karpathy's train.py, fits a history.

It fits when a history reports bits per byte (``val_bpb``, ``bpb``: a language model trained as
train.py trains one), or when at least `MIN_SHARE` of its rows set a setting only train.py has
(matrix LR, window pattern, warmdown ratio, value embeddings, ...). A tabular model's profit, a
kernel's TFLOPS or a diffusion model's FID fit neither: FP8 block linears or a 2**18 batch are no
advice there (docs/steering.md, "Ideas").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from autolab_shared.steering.ideas import COMPONENTS, DEFAULTS, canonical_knob
from autolab_shared.steering.knobs import KnobChange

MIN_SHARE = 0.2
# train.py's settings that other training scripts name the same way: no evidence of train.py
SHARED_NAMES = frozenset(
    (
        *("weight_decay", "depth", "seq_len", "warmup_ratio", "device_batch_size"),
        *("total_batch_size", "grad_clip", "adam_betas", *COMPONENTS),
    )
)
TRAIN_PY_ONLY = frozenset(DEFAULTS) - SHARED_NAMES  # train.py's names (`canonical_knob`)


@dataclass(frozen=True)
class CatalogueFit:
    """Whether the catalogue's ideas are offered, and the evidence, in words."""

    applies: bool
    reason: str


FITS = CatalogueFit(True, "")  # a report built without a history to judge by


def catalogue_fit(metrics: Sequence[str], knobs: Sequence[tuple[KnobChange, ...]]) -> CatalogueFit:
    """The fit of the catalogue to histories with these metric names and rows' knob changes."""
    bpb = next((m for m in metrics if "bpb" in m.lower()), None)
    if bpb is not None:
        return CatalogueFit(True, f"metric {bpb}: a language model trained as train.py does")
    own = sum(any(canonical_knob(c.knob) in TRAIN_PY_ONLY for c in changes) for changes in knobs)
    rows = f"{own} of {len(knobs)} rows set a setting only train.py has"
    if knobs and own >= MIN_SHARE * len(knobs):
        return CatalogueFit(True, rows)
    names = ", ".join(dict.fromkeys(metrics)) or "unnamed"
    return CatalogueFit(False, f"metric {names}, and {rows} (at least {MIN_SHARE:.0%} needed)")
