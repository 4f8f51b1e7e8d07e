"""The configurations one verdict reads, picked by replicate key without building the others.

A verdict reads three things of the configurations before its candidate: the range of their
values (the effect span), the replay window (`chain.recent`: the last ``REPLAY_WINDOW`` of
them, led by the incumbent they start from) and the replicate groups (every configuration
measured twice or more). On a long history most configurations are one row that only the span
reads, and the span is read from the rows: a :class:`Config` is made for the others only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import compress, repeat
from operator import eq, is_not, lt
from typing import cast

from autolab_shared.core.scale import Scale
from autolab_shared.parsing.experiment import Experiment
from autolab_shared.parsing.replicates import Config
from autolab_shared.parsing.rowtable import RowTable
from autolab_shared.parsing.status import KEEP
from autolab_shared.stats.chain import REPLAY_WINDOW
from autolab_shared.stats.chain import recent as chain_recent


@dataclass(frozen=True)
class VerdictConfigs:
    """What a verdict reads of the configurations, as `group_configs` would give it."""

    first: int  # index of the candidate's first row (the row count when it has none)
    rows: list[Experiment]  # the candidate's rows already in the file
    span_values: list[float]  # the values of every row of a configuration before the candidate
    window: list[Config]  # chain.recent of the configurations before the candidate
    measured: list[Config]  # the configurations of two rows or more, and the candidate's


def pick_configs(
    table: RowTable, key: str, scale: Scale, window: int = REPLAY_WINDOW
) -> VerdictConfigs:
    """What a verdict on replicate key `key` reads of the rows of `table`; only the rows of
    the configurations it reads are made."""
    keys, counts = table.keys, table.key_counts()  # keys in order of their first row
    multi = list(compress(counts.keys(), map(lt, repeat(1), counts.values())))
    before = list(counts)
    if key in counts:  # the configurations first logged before the candidate's first row
        first, before = keys.index(key), before[: before.index(key)]
    else:  # a run whose configuration has no row yet
        first = len(keys)
    cut = max(len(before) - window, 0)
    head, tail = before[:cut], before[cut:]
    lead = _lead(table, keys, head)
    leads = head if lead is None else [lead]  # no row says keep: the best by value leads
    built = _build(table, keys, {*tail, *multi, key, *leads})
    window_of = [built[k] for k in [*leads, *tail]]
    recent = chain_recent(window_of, scale, window)  # one rule for the window and its lead
    measured = [built[k] for k in dict.fromkeys([*multi, key]) if k in built]
    rows = list(built[key].rows) if key in built else []
    span = _span_values(table.values, keys, first, key)
    return VerdictConfigs(first, rows, span, recent, measured)


def valued(values: Sequence[float | None]) -> list[float]:
    """The values that are not None (the rows' that have one), in order."""
    return cast("list[float]", list(compress(values, map(is_not, values, repeat(None)))))


def _lead(table: RowTable, keys: Sequence[str], head: list[str]) -> str | None:
    """The last configuration of `head` with a valued keep row (one that `Config.label` says
    was kept), or None."""
    if not head:
        return None
    keeps = compress(zip(table.values, keys, strict=True), map(eq, table.statuses, repeat(KEEP)))
    kept = {k for value, k in keeps if value is not None}
    return next((k for k in reversed(head) if k in kept), None)


def _build(table: RowTable, keys: Sequence[str], wanted: set[str]) -> dict[str, Config]:
    """The configurations of the keys in `wanted`, each with its rows in file order."""
    rows: dict[str, list[Experiment]] = {}
    row = table.row
    for at in compress(range(len(keys)), map(wanted.__contains__, keys)):
        group, k = rows.get(keys[at]), keys[at]
        if group is None:
            rows[k] = [row(at)]
        else:
            group.append(row(at))
    return {k: Config(k, tuple(group)) for k, group in rows.items()}


def _span_values(
    values: Sequence[float | None], keys: Sequence[str], first: int, key: str
) -> list[float]:
    """The values of the rows of every configuration whose first row is before row `first`
    (in another order than `chain.effect_span` reads them: only their range counts)."""
    found = valued(values[:first])
    later = [(v, k) for v, k in zip(values[first:], keys[first:], strict=True) if k != key]
    if later:  # rows after the candidate's first: those of earlier configurations count
        earlier = set(keys[:first])
        found += [v for v, k in later if k in earlier and v is not None]
    return found
