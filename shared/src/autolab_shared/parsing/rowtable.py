"""A history's rows by column: what a verdict reads of every row, each row's object on demand.

A verdict reads four things of every row of a long history (value, status, commit and
description, the last two for the replicate keys) and whole :class:`Experiment` objects only
for the rows it names. A columnar parse (:mod:`.plaincolumns`) fills the columns and makes an
``Experiment`` only when one is asked for; a history read row by row gives its columns from
its experiments.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from operator import attrgetter

from autolab_shared.core.vocabulary import Status
from autolab_shared.parsing.experiment import Experiment
from autolab_shared.parsing.replicates import replicate_keys


class RowTable:
    """Columns of a history's rows (index = row) and the row objects, made on first use."""

    def __init__(
        self,
        values: list[float | None],
        statuses: list[Status],
        commits: list[str],
        descriptions: list[str],
        make: Callable[[int], Experiment],
        keys: list[str] | None = None,
        counts: Counter[str] | None = None,
    ) -> None:
        self.values, self.statuses = values, statuses
        self.commits, self.descriptions = commits, descriptions
        self._make, self._keys, self._counts = make, keys, counts
        self._made: dict[int, Experiment] = {}
        self._all: tuple[Experiment, ...] | None = None  # every row, once made

    @classmethod
    def of_rows(cls, rows: Sequence[Experiment]) -> RowTable:
        """The table of rows already made."""
        names = ("value", "status", "commit", "description")
        values, statuses, commits, descriptions = (list(map(attrgetter(n), rows)) for n in names)
        table = cls(values, statuses, commits, descriptions, rows.__getitem__)
        table._all = tuple(rows)  # the same tuple: `replicate_keys` remembers its keys
        return table

    def __len__(self) -> int:
        return len(self.values)

    @property
    def keys(self) -> list[str]:
        """The replicate key of every row (`replicate_keys`)."""
        if self._keys is None:
            self._keys = replicate_keys(self.rows())
        return self._keys

    def key_counts(self) -> Counter[str]:
        """Rows per replicate key, the keys in the order of their first row."""
        if self._counts is None:
            self._counts = Counter(self.keys)
        return self._counts

    def row(self, index: int) -> Experiment:
        """Row `index` (from 0; negative from the end) as an :class:`Experiment`."""
        if index < 0:
            index += len(self.values)
        made = self._made.get(index)
        if made is None:
            made = self._made[index] = self._make(index)
        return made

    def rows(self) -> tuple[Experiment, ...]:
        """Every row, in order."""
        if self._all is None:
            self._all = tuple(map(self.row, range(len(self.values))))
        return self._all
