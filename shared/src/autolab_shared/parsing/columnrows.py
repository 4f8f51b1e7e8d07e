"""Rows of a plain file read from its columns, as the row reader reads plain rows.

`read_columns` gives the columns a verdict reads of every row (value, status, commit and
description) and makes a row's :class:`Experiment` only when it is asked for. It reads a row
as ``results._RowReader`` reads a plain one (a known status word, a plain number); a file
with any other row (a status word it does not know, a metric cell that is not a plain number,
metric and memory both 0, two equal rows) gives None and is read row by row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from autolab_shared.core.eqrepr import EqRepr
from autolab_shared.parsing.cellvalues import parse_cell
from autolab_shared.parsing.columns import Schema
from autolab_shared.parsing.experiment import Experiment
from autolab_shared.parsing.plaincolumns import plain_floats
from autolab_shared.parsing.replicates import keys_of_columns
from autolab_shared.parsing.rowtable import RowTable
from autolab_shared.parsing.status import CRASH, UNKNOWN, normalise_status


@dataclass(eq=False, repr=False)
class Layout(EqRepr):
    """Where one header keeps each role, the other columns, and its memory unit."""

    commit: int | None
    status: int | None
    description: int | None
    memory: int | None
    metric: int | None
    extra: tuple[tuple[int, str], ...]
    memory_scale: float

    @classmethod
    def of(cls, schema: Schema, metric: int | None) -> Layout:
        used = {schema.commit, schema.memory, schema.status, schema.description, metric}
        extra = tuple((k, n) for k, n in enumerate(schema.names) if k not in used)
        return cls(
            schema.commit,
            schema.status,
            schema.description,
            schema.memory,
            metric,
            extra,
            schema.memory_scale(),
        )


def read_columns(
    columns: list[list[str]], layout: Layout, second: list[float] | None = None
) -> tuple[RowTable, dict[str, int]] | None:
    """The row table of a plain file's columns and its reused commits (`reused_commits`), or
    None when a row needs the row reader's full path. `second`: the numbers of the second
    column when every cell of it is plain (`plaincolumns.plain_floats`)."""
    if layout.metric is None or layout.status is None:
        return None
    raw = columns[layout.status]
    status_of = {word: normalise_status(word) for word in set(raw)}
    at = layout.metric
    numbers = second if at == 1 and second is not None else plain_floats(columns[at])
    if UNKNOWN in status_of.values() or numbers is None:
        return None  # an unknown word warns; a cell that is not plain may warn
    crashed = {word for word, status in status_of.items() if status == CRASH}
    pairs = zip(raw, numbers, strict=True)
    values = [None if word in crashed else number for word, number in pairs]
    memory = _memory(columns, layout)
    if 0.0 in values and any(v == 0.0 and memory(i) == 0.0 for i, v in enumerate(values)):
        return None  # metric and memory both 0: the row reader warns (zero_metric)
    n = len(raw)
    commits = columns[layout.commit] if layout.commit is not None else [""] * n
    descriptions = columns[layout.description] if layout.description is not None else [""] * n
    found = keys_of_columns(commits, descriptions)
    if _two_equal(columns, range(n) if found.paired is None else found.paired):
        return None  # duplicate rows: the scan warns
    statuses = list(map(status_of.__getitem__, raw))

    def make(i: int) -> Experiment:
        value, number = values[i], memory(i)
        if number == 0.0 and value is None:
            number = None  # the crash convention: no memory either
        extra = tuple([(name, columns[k][i]) for k, name in layout.extra]) if layout.extra else ()
        gb = None if number is None else number * layout.memory_scale
        line = i + 2
        return Experiment(
            i, line, line, commits[i], value, gb, statuses[i], raw[i], descriptions[i], extra
        )

    table = RowTable(values, statuses, commits, descriptions, make, found.keys, found.counts)
    return table, found.reused


def _two_equal(columns: list[list[str]], rows: Sequence[int]) -> bool:
    """Whether two of `rows` have the same cells (only rows that share a commit can)."""
    picked = [list(map(column.__getitem__, rows)) for column in columns]
    return len(set(zip(*picked, strict=True))) < len(rows)


def _memory(columns: list[list[str]], layout: Layout) -> Callable[[int], float | None]:
    """Row -> the number in its memory cell (None without one), each cell read once."""
    if layout.memory is None:
        return lambda i: None
    cells = columns[layout.memory]
    read = {cell: parse_cell(cell).value for cell in set(cells)}
    return lambda i: read[cells[i]]
