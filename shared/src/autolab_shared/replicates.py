"""Replicates: rows that measured one configuration, pooled into a :class:`Config`.

Rows whose commit is the same git hash (or that name ``rerun-of:<hash>`` in the description)
measured one configuration: they are pooled into one :class:`Config` at its first row.
numpy is imported only to build value arrays, so reading a history without replicates (as
autosteer often does) never loads it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .results import Experiment
from .scale import Scale
from .status import DISCARD, KEEP

if TYPE_CHECKING:
    from .arrays import FloatArray

_RERUN_OF = re.compile(r"\brerun[-_ ]of[:= ]\s*([0-9a-fA-F]{7,40})\b")


def replicate_key(exp: Experiment) -> str:
    """The configuration a row measured: its hash, a ``rerun-of:`` hash, or the row itself."""
    found = _RERUN_OF.search(exp.description) if "rerun" in exp.description else None
    if found:
        return found.group(1).lower()
    if exp.is_hash:
        return exp.commit.lower()
    return f"#row{exp.index}"


@dataclass(frozen=True)
class Config:
    """One configuration: every row that measured it, in file order."""

    key: str
    rows: tuple[Experiment, ...]

    @property
    def first(self) -> Experiment:
        return self.rows[0]

    @property
    def valued(self) -> tuple[Experiment, ...]:
        """Rows with a metric value (not crashes)."""
        return tuple(r for r in self.rows if r.value is not None)

    @property
    def memory_gb(self) -> float | None:
        """The largest peak memory recorded for it."""
        mems = [r.memory_gb for r in self.valued if r.memory_gb is not None]
        return max(mems) if mems else None

    @property
    def label(self) -> bool | None:
        """True if any row kept it, False if a row discarded it, None when no row says."""
        statuses = {r.status for r in self.valued}
        if KEEP in statuses:
            return True
        return False if DISCARD in statuses else None

    def x(self, scale: Scale) -> FloatArray:
        """Its values on the working scale."""
        import numpy as np  # here, not at the top: see the module docstring

        return np.array([scale.to_x(r.value) for r in self.valued if r.value is not None])


def group_configs(experiments: Sequence[Experiment], min_rows: int = 1) -> list[Config]:
    """Pool rows by replicate key, ordered by first appearance (those of `min_rows` or more)."""
    rows: dict[str, list[Experiment]] = {}
    for exp in experiments:
        rows.setdefault(replicate_key(exp), []).append(exp)
    return [Config(key, tuple(group)) for key, group in rows.items() if len(group) >= min_rows]


def replicate_groups(
    configs: Sequence[Config], scale: Scale, candidate: tuple[str, int, list[float]] | None = None
) -> list[list[float]]:
    """Working values of every configuration measured twice or more, ordered by its last row.

    ``candidate`` (key, position, values) replaces that configuration's values, or adds them
    at ``position`` when the key is new (runs not yet written as rows).
    """
    groups: list[tuple[int, list[float]]] = []
    for config in configs:
        if candidate is not None and config.key == candidate[0]:
            x = candidate[2]
        elif len(config.rows) < 2:
            continue  # one row measures one value at most: no replicate group
        else:
            x = list(config.x(scale))
        groups.append((config.rows[-1].index, x))
    if candidate is not None and candidate[0] not in {c.key for c in configs}:
        groups.append((candidate[1], candidate[2]))
    return [g for _, g in sorted(groups, key=lambda t: t[0]) if len(g) >= 2]
