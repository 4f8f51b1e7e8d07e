"""The scan of a plain file by columns: one tab header on line 1, then only rows that
:func:`~autolab_shared.parsing.tsvlines.scan` reads as they are (no repair, no warning).

Such a file (what an agent's loop writes) is split once into cells and kept as one list per
column: no :class:`~autolab_shared.parsing.tsvlines.Record` is made until one is asked for.
Every test below is one the scan makes line by line, made on the whole column instead; any
line that fails one sends the file to the scan (`plain_columns` returns None).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import compress, repeat
from operator import lt
from typing import NamedTuple, overload

from autolab_shared.parsing.cellvalues import PLAIN_NUMBER
from autolab_shared.parsing.tsvlines import COLUMNS_LINE, TAB, Record, Scan, scan

_PLAIN_CHARS = b"0123456789.-\n"
_SHORT = 15  # a plain number of at most this many characters has at most 15 digits before "."


class PlainColumns(NamedTuple):
    """The scan of a plain file (its records made on demand) and its cells by column."""

    scan: Scan
    columns: list[list[str]]  # columns[k][i]: cell k of row i (on line i + 2)
    second: list[float]  # the numbers of the second column (every one is plain)


class ColumnRecords(Sequence[Record]):
    """The records of a plain file, each made when asked for (as the scan makes it)."""

    def __init__(self, columns: list[list[str]]) -> None:
        self.columns = columns

    def __len__(self) -> int:
        return len(self.columns[0])

    @overload
    def __getitem__(self, index: int) -> Record: ...
    @overload
    def __getitem__(self, index: slice) -> list[Record]: ...
    def __getitem__(self, index: int | slice) -> Record | list[Record]:
        if isinstance(index, slice):
            return [self[i] for i in range(len(self))[index]]
        if index < 0:
            index += len(self)
        cells = tuple(column[index] for column in self.columns)  # IndexError past the end
        return tuple.__new__(Record, (index + 2, index + 2, cells, (), 0))

    def __iter__(self) -> Iterator[Record]:
        return map(self.__getitem__, range(len(self)))


def plain_columns(text: str, path: str) -> PlainColumns | None:
    """The columns of `text` when it is a plain file (see the module docstring), else None.
    Two equal rows are not looked for here (`columnrows.read_columns` does: only rows that
    share a commit can be)."""
    end = text.find("\n")
    if "\r" in text or end < 0:
        return None
    head = scan(text[:end] + "\n", path)
    if head.header_lines != (1,) or head.warnings or head.mode != TAB:
        return None
    width = head.schemas[0].width
    # every line end becomes the first character of the next line's first cell
    cells = text.replace("\n", "\t\n").split("\t")
    del cells[: text.count("\t", 0, end) + 1]  # the header's
    if text[-1] == "\n":
        cells.pop()  # the last line end's
    count = len(cells) // width
    if width < 2 or len(cells) != count * width or not count:
        return None
    first = "".join(cells[::width])
    if first.count("\n") != count or text.count("\n") != count + (text[-1] == "\n"):
        return None  # a line of another width (the scan repairs or skips it)
    columns = [cells[k::width] for k in range(1, width)]
    del cells  # (before the first cells are made again, without their line ends)
    columns.insert(0, first.split("\n"))
    del columns[0][0]  # (the "" before the first line end)
    second = plain_floats(columns[1]) if _plain_starts(first, columns[1]) else None
    if second is None:
        return None
    if any(list(map(str.strip, column)) != column for column in columns[:1] + columns[2:]):
        return None  # a padded cell (the scan strips it)
    found = Scan(head.schemas, ColumnRecords(columns), (1,), (), count + 1, TAB, (), True)
    return PlainColumns(found, columns, second)


def _plain_starts(first: str, second: list[str]) -> bool:
    """No line starts with a tab (an empty first cell), ``-``, ``=``, ``#`` or ``columns:``
    (a banner, a comment or no row; a space first is a padded cell, tested apart). `first`:
    the first cells, each after a line end."""
    if "\n\n" in first or first[-1] == "\n" or "\n-" in first or "\n=" in first:
        return False
    if "\n#" in first:
        return False
    if ("\nc" in first or "\nC" in first) and "\nco" in first.lower():
        cells = first.split("\n")[1:]  # a match ends in the second cell at most
        pairs = zip(cells, second, strict=True)
        return not any(COLUMNS_LINE.match(f"{a}\t{b}") for a, b in pairs if a[:1] in "cC")
    return True  # (a line the pattern matches starts with "co" in some case)


def plain_floats(cells: list[str]) -> list[float] | None:
    """``float`` of every cell when each is a ``PLAIN_NUMBER``, else None. Checked in bulk on
    ASCII: digits, ``.`` and ``-`` only, no cell starting with ``.`` or ``-.``, and ``float``
    reads it (which leaves ``-?digits(.digits?)?``); a cell longer than 15 characters (which
    may have too many digits), and every cell of a column with other characters, by the
    pattern itself."""
    joined = "\n".join(cells)
    if not joined.isascii():
        maybe: Iterable[str] = cells  # other digits than ASCII ones
    elif joined.encode("ascii").translate(None, _PLAIN_CHARS):
        return None  # a character that is not in any plain number
    elif "\n." in joined or "-." in joined or joined[:1] == ".":
        return None
    elif max(map(len, cells), default=0) > _SHORT:
        maybe = compress(cells, map(lt, repeat(_SHORT), map(len, cells)))
    else:
        maybe = ()
    if not all(map(PLAIN_NUMBER.fullmatch, maybe)):
        return None
    try:
        return list(map(float, cells))
    except ValueError:
        return None
