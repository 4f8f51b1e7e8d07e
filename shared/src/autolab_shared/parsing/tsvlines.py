"""Physical lines of a results file → header rows and data records, warning on every repair.

Every physical line ends up as exactly one of: a header line, the first line of a record, a
line inside a record's ``line..end_line`` range (a continuation), or a line with a warning.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import NamedTuple, cast

from autolab_shared.core.diagnostics import ParseWarning
from autolab_shared.core.eqrepr import EqRepr
from autolab_shared.core.vocabulary import WarningCode
from autolab_shared.parsing.cellvalues import PLAIN_NUMBER, is_datetime, is_number
from autolab_shared.parsing.columns import (
    Schema,
    assumed_schema,
    is_known_name,
    looks_like_header,
    looks_like_new_header,
    make_schema,
    normalise_name,
    repair_names,
)
from autolab_shared.parsing.status import is_status_word

TAB = "tab"
CSV = "csv"
SPACE = "space"

_LINE_BREAK = re.compile(r"\r\n|\n|\r")
_RULE_CHARS = frozenset("-=#*~_|+ \t")
_RULE_START = re.compile(r"(?:-{3,}|={3,})")
COLUMNS_LINE = re.compile(r"columns?\s*:", re.IGNORECASE)
_PADDED = re.compile(r"\s\t|\t\s|\s$")  # a cell with space around it: strip the cells
# ASCII whitespace other than space, tab and line ends: where absent, `in` tests find padding.
_ODD_SPACES = "\x0b\x0c\x1c\x1d\x1e\x1f"
_MAX_JOIN = 40  # physical lines one multi-line cell may span
_SAMPLE = 50  # rows looked at to name the columns of a header-less file


class Record(NamedTuple):
    """One data row: its physical line range, one cell per header column, unnamed extras."""

    line: int
    end_line: int
    cells: tuple[str, ...]
    overflow: tuple[tuple[str, str], ...]
    schema: int  # index into Scan.schemas


@dataclass(eq=False, repr=False)
class Scan(EqRepr):
    """Everything read from the lines, before any metric is chosen."""

    schemas: tuple[Schema, ...]
    records: Sequence[Record]  # a tuple, or made on demand (`plaincolumns.ColumnRecords`)
    header_lines: tuple[int, ...]
    warnings: tuple[ParseWarning, ...]
    line_count: int
    mode: str
    comments: tuple[tuple[int, str], ...] = ()  # (line, text) of each ``#`` comment line
    # every record's second cell is a PLAIN_NUMBER (known when read fast; a hint, not data)
    plain_second: bool = field(default=False, compare=False)


@dataclass(eq=False, repr=False)  # never compared or printed
class _Row:
    __slots__ = ("cells", "end_line", "line", "overflow", "schema")  # slots=True builds it twice

    line: int
    end_line: int
    cells: list[str]
    schema: int
    overflow: Sequence[tuple[str, str]]


def split_lines(text: str) -> list[str]:
    """Physical lines, split at CRLF, LF or a bare CR; a final line end adds no empty line."""
    lines = text.split("\n") if "\r" not in text else _LINE_BREAK.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def csv_split(line: str) -> list[str]:
    """One line read as CSV (quotes honoured within the line only); never raises."""
    import csv  # here: a tab-separated file never asks, and the module costs 0.5 ms to load

    try:
        cells = next(csv.reader([line]), [])
    except csv.Error:
        cells = line.split(",")
    return cells or [line]


def is_banner(line: str) -> bool:
    """Section rows and rules: ``----``, ``=== x ===``, ``---<TAB>text``, ``Columns: ...``."""
    text = line.strip()
    if COLUMNS_LINE.match(text):
        return True
    if set(text) <= _RULE_CHARS and sum(text.count(ch) for ch in "-=#*~_") >= 3:
        return True
    return _RULE_START.match(text.split("\t", 1)[0].strip()) is not None


def detect_mode(line: str) -> str:
    """Tab-separated unless the first line has no tab but commas (CSV) or only spaces."""
    if "\t" in line:
        return TAB
    if "," in line and len(csv_split(line)) >= 2:
        return CSV
    return SPACE if len(line.split()) >= 2 else TAB


def _plausible(cells: Sequence[str], schema: Schema) -> bool:
    """A short line that still looks like data: a number somewhere, or a status word in place."""
    if any(is_number(cell) for cell in cells):
        return True
    return (
        schema.status is not None
        and schema.status < len(cells)
        and (is_status_word(cells[schema.status]))
    )


def _row_shaped(cells: Sequence[str], schema: Schema) -> bool:
    """A re-split line has the standard shape: numbers second and for memory, a status word."""
    if len(cells) != schema.width or len(cells) < 2 or not is_number(cells[1]):
        return False
    if schema.memory is not None and not is_number(cells[schema.memory]):
        return False
    if schema.status is not None:
        return is_status_word(cells[schema.status])
    return all(is_number(cell) for cell in cells[1:-1])


def scan(text: str, path: str, *, fast: bool = True) -> Scan:
    """Split decoded text into header(s) and records; the text must not be blank. `fast`
    reads runs of well-formed tab rows in a tight loop (same result; False for tests)."""
    return _Scanner(text, path, fast=fast).run()


class _Scanner:
    """One pass over the lines; each ``_step`` consumes one or more lines."""

    def __init__(self, text: str, path: str, *, fast: bool = True) -> None:
        self.path = path
        self.fast = fast
        self.lines = split_lines(text)
        self.ends_with_newline = text.endswith(("\n", "\r"))
        self.odd_spaces = any(ch in text for ch in _ODD_SPACES)
        self.mode = TAB
        self.schemas: list[Schema] = []
        self.rows: list[_Row | Record] = []  # plain rows are final at once: Records
        self.header_lines: list[int] = []
        self.warnings: list[ParseWarning] = []
        self.open_row: _Row | Record | None = None  # the last row, while lines may continue it
        self.known: frozenset[str] = frozenset()  # every column name met so far
        self.comments: list[tuple[int, str]] = []
        self.edited = False  # whether a row was added as an editable _Row
        self.loose = False  # whether a plain row has no plain number second
        self._note_line_ends(text)

    def run(self) -> Scan:
        i = 0
        while i < len(self.lines):
            if self.fast and self.schemas and self.mode == TAB:
                i = self._plain_rows(i)
                if i == len(self.lines):
                    break
            i = self._step(i)
        if self.edited:
            records = tuple(r if isinstance(r, Record) else _record(r) for r in self.rows)
        else:  # every row was added as its final Record
            records = cast("tuple[Record, ...]", tuple(self.rows))
        if len(set(map(itemgetter(2), records))) < len(records):  # else no two rows are alike
            self._flag_duplicates(records)
        return Scan(
            tuple(self.schemas),
            records,
            tuple(self.header_lines),
            tuple(self.warnings),
            len(self.lines),
            self.mode,
            tuple(self.comments),
            not self.edited and not self.loose,
        )

    def warn(self, line: int | None, code: WarningCode, reason: str) -> None:
        self.warnings.append(ParseWarning(self.path, line, code, reason))

    def _note_line_ends(self, text: str) -> None:
        crlf = text.count("\r\n")
        bare = text.count("\r") - crlf
        if crlf:
            self.warn(
                None, WarningCode.CRLF, f"{crlf} line(s) end in CRLF; read as plain line ends"
            )
        if bare:
            self.warn(
                None, WarningCode.BARE_CR, f"{bare} bare carriage return(s) read as line ends"
            )

    def split(self, line: str, width: int | None = None) -> list[str]:
        if self.mode == CSV:
            return csv_split(line)
        if self.mode == SPACE:
            return line.split(None, width - 1) if width else line.split()
        return line.split("\t")

    def _step(self, i: int) -> int:
        line, number = self.lines[i], i + 1
        if not line.strip():
            self.warn(number, WarningCode.BLANK, "blank line skipped")
            return i + 1
        if is_banner(line):
            self.warn(number, WarningCode.BANNER, f"banner or section line skipped: {_clip(line)}")
            return i + 1
        if line.lstrip().startswith("#") and not self._hash_row(line):
            return self._comment(i)
        if not self.schemas:
            return self._first_line(i)
        return self._data_line(i)

    def _hash_row(self, line: str) -> bool:
        """A data row whose first cell starts with ``#`` (``#12``), not a comment."""
        if not self.schemas:
            return False
        schema = self.schemas[-1]
        cells = self.split(line, schema.width)
        return len(cells) == schema.width and _plausible(cells, schema)

    def _comment(self, i: int) -> int:
        """A ``#`` line: a commented-out header before any header, else a comment kept."""
        number, body = i + 1, self.lines[i].lstrip().lstrip("#").strip()
        if not self.schemas:
            mode = detect_mode(body)
            cells = body.split("\t") if mode == TAB else csv_split(body) if mode == CSV else []
            if len(cells) >= 2 and sum(is_known_name(normalise_name(c)) for c in cells) >= 2:
                self.mode = mode
                self._add_header(number, cells)
                return i + 1
        self.comments.append((number, body))
        self.warn(number, WarningCode.COMMENT, f"comment line: {_clip(body)}")
        return i + 1

    # -- header -------------------------------------------------------------------------
    def _first_line(self, i: int) -> int:
        self.mode = detect_mode(self.lines[i])
        cells = self.split(self.lines[i])
        if looks_like_header(cells):
            self._add_header(i + 1, cells)
            if self.mode == SPACE:
                self.warn(
                    None, WarningCode.SPACE_SEPARATED, "fields are separated by spaces, not tabs"
                )
            return i + 1
        if self.mode == SPACE and len(cells) >= 5 and is_number(cells[1]):
            cells = self.lines[i].split(None, 4)
        schema = assumed_schema([_rstrip_empty(cells), *self._sample(i + 1)])
        self.schemas.append(schema)
        self.known = frozenset(schema.names)
        self.warn(
            None,
            WarningCode.NO_HEADER,
            f"no header row; columns taken as: {', '.join(schema.names)}",
        )
        return i

    def _add_header(self, number: int, cells: Sequence[str]) -> None:
        names, notes = repair_names(cells)
        self.schemas.append(make_schema(names, number))
        self.known = self.known.union(names)
        self.header_lines.append(number)
        for note in notes:
            self.warn(number, WarningCode.HEADER_REPAIR, note)

    def _sample(self, start: int) -> list[list[str]]:
        rows: list[list[str]] = []
        for line in self.lines[start : start + _SAMPLE]:
            if line.strip() and not is_banner(line):
                rows.append(self.split(line))
        return rows

    def _new_header(self, i: int, cells: Sequence[str]) -> int:
        number, current = i + 1, self.schemas[-1]
        names, _ = repair_names(cells)
        self.open_row = None
        if names == current.names:
            self.header_lines.append(number)
            self.warn(number, WarningCode.REPEATED_HEADER, "the header is repeated here; skipped")
            return i + 1
        self._add_header(number, cells)
        self.warn(
            number,
            WarningCode.SCHEMA_CHANGE,
            f"new header with {len(names)} columns (was {current.width}); "
            "the rows below are read with it",
        )
        return i + 1

    # -- data -------------------------------------------------------------------------
    def _plain_rows(self, i: int) -> int:
        """Add the well-formed tab rows from line `i` on, as `_step` would; return the first
        line that is not one (it needs `_step`). A row is surely one of the current schema when
        it has the header's width, starts with no space or banner character and has a plain
        number (second, usually), so it is neither a banner nor a header."""
        lines, schema = self.lines, self.schemas[-1]
        width, index, rows = schema.width, len(self.schemas) - 1, self.rows
        plain, padded, columns = PLAIN_NUMBER.fullmatch, _PADDED.search, COLUMNS_LINE.match
        quick = not self.odd_spaces  # padding is a space next to a tab on an ASCII line
        start, end, new = i, len(lines), tuple.__new__  # Record(...) without its Python __new__
        while i < end:
            line = lines[i]
            cells = line.split("\t")
            if len(cells) != width or not line:
                break
            first = line[0]
            if first in "-=#" or first.isspace() or (first in "cC" and columns(line)):
                break
            if not (width > 1 and plain(cells[1])):
                if not any(map(plain, cells)):
                    break
                self.loose = True
            i += 1
            if quick and line.isascii():
                if " \t" in line or "\t " in line or line[-1] == " ":
                    cells = [cell.strip() for cell in cells]
            elif padded(line):
                cells = [cell.strip() for cell in cells]
            rows.append(new(Record, (i, i, tuple(cells), (), index)))
        if i > start:
            self.open_row = rows[-1]
        return i

    def _data_line(self, i: int) -> int:
        schema, number, line = self.schemas[-1], i + 1, self.lines[i]
        cells = self.split(line, schema.width)
        if self.mode == TAB and len(cells) == 1 and schema.width > 1:
            cells = self._resplit(number, line, schema) or cells
        if looks_like_new_header(cells, self.known):
            return self._new_header(i, cells)
        if len(cells) == schema.width:
            self._add_row(number, number, cells)
        elif len(cells) > schema.width:
            self._add_long(number, cells, schema)
        else:
            return self._short(i, cells, schema)
        return i + 1

    def _resplit(self, number: int, line: str, schema: Schema) -> list[str] | None:
        cells = line.split(None, schema.width - 1)
        if _row_shaped(cells, schema):
            self.warn(
                number,
                WarningCode.SPACE_SEPARATED,
                "fields separated by spaces, not tabs; re-split",
            )
            return cells
        cells = csv_split(line) if "," in line else []
        if _row_shaped(cells, schema):
            self.warn(
                number,
                WarningCode.COMMA_SEPARATED,
                "fields separated by commas, not tabs; re-split",
            )
            return cells
        return None

    def _add_row(
        self, first: int, last: int, cells: Sequence[str], overflow: Sequence[tuple[str, str]] = ()
    ) -> None:
        cells = [cell.strip() for cell in cells]
        row = _Row(first, last, cells, len(self.schemas) - 1, list(overflow))
        self.rows.append(row)
        self.open_row = row
        self.edited = True

    def _add_long(self, number: int, cells: list[str], schema: Schema) -> None:
        width, total = schema.width, len(cells)
        cells = cells[:width] + _rstrip_empty(cells[width:])
        if len(cells) == width:
            self.warn(
                number,
                WarningCode.TRAILING_TABS,
                f"{total - width} empty field(s) after the {width} columns dropped",
            )
            self._add_row(number, number, cells)
            return
        cells, overflow, how = _repair_ragged(cells, schema)
        self.warn(number, WarningCode.RAGGED, f"{total} fields where the header has {width}; {how}")
        self._add_row(number, number, cells, overflow)

    def _short(self, i: int, cells: list[str], schema: Schema) -> int:
        number, width = i + 1, schema.width
        if i == len(self.lines) - 1 and not self.ends_with_newline:
            self.warn(
                number,
                WarningCode.HALF_WRITTEN,
                f"last line has {len(cells)} of {width} fields and no line end "
                "(probably still being written); ignored",
            )
            return i + 1
        joined = self._join(i, cells, schema) if self.mode == TAB and len(cells) >= 2 else None
        if joined is not None:
            return joined
        if len(cells) >= 2 and _plausible(cells, schema):
            self.warn(
                number,
                WarningCode.SHORT_ROW,
                f"{len(cells)} fields where the header has {width}; the missing ones left empty",
            )
            self._add_row(number, number, cells + [""] * (width - len(cells)))
            return i + 1
        if self.open_row is not None:
            self._continue(self._reopen(), number, self.lines[i])
            return i + 1
        self.warn(
            number,
            WarningCode.NOT_A_ROW,
            f"not a row ({len(cells)} field(s)), skipped: {_clip(self.lines[i])}",
        )
        return i + 1

    def _join(self, i: int, cells: list[str], schema: Schema) -> int | None:
        """Fold following lines into this short one while a cell spans several lines."""
        total, j = list(cells), i
        while j + 1 < len(self.lines) and j - i < _MAX_JOIN:
            nxt = self.lines[j + 1]
            parts = nxt.split("\t")
            if len(parts) >= schema.width or (nxt.strip() and is_banner(nxt)):
                return None
            total[-1] = f"{total[-1]}\n{parts[0]}"
            total.extend(parts[1:])
            j += 1
            if len(total) > schema.width:
                return None
            if len(total) == schema.width:
                break
        if len(total) != schema.width or not _plausible(total, schema):
            return None
        self._add_row(i + 1, j + 1, total)
        for k in range(i + 2, j + 2):
            self.warn(
                k, WarningCode.CONTINUATION, f"line continues a cell of the row at line {i + 1}"
            )
        return j + 1

    def _reopen(self) -> _Row:
        """The open (last) row, made editable again if it was read as a plain row."""
        row = self.rows[-1]
        if isinstance(row, Record):
            row = _Row(row.line, row.end_line, list(row.cells), row.schema, list(row.overflow))
            self.rows[-1] = self.open_row = row
            self.edited = True
        return row

    def _continue(self, row: _Row, number: int, line: str) -> None:
        schema = self.schemas[row.schema]
        target = schema.description if schema.description is not None else schema.width - 1
        text = line.strip()
        row.cells[target] = f"{row.cells[target]}\n{text}" if row.cells[target] else text
        row.end_line = number
        self.warn(
            number,
            WarningCode.CONTINUATION,
            f"folded into the {schema.names[target]} of the row at line {row.line}",
        )

    def _flag_duplicates(self, records: Sequence[Record]) -> None:
        seen: dict[tuple[object, ...], int] = {}
        for row in records:
            key = (row.schema, row.cells, row.overflow)
            first = seen.setdefault(key, row.line)
            if first != row.line:
                self.warn(
                    row.line,
                    WarningCode.DUPLICATE_ROW,
                    f"same fields as the row at line {first}; both kept",
                )


def _record(row: _Row) -> Record:
    """The final record of a row (``tuple.__new__``: Record's own __new__ is Python code)."""
    return tuple.__new__(
        Record, (row.line, row.end_line, tuple(row.cells), tuple(row.overflow), row.schema)
    )


def _rstrip_empty(cells: Sequence[str]) -> list[str]:
    out = list(cells)
    while out and not out[-1].strip():
        out.pop()
    return out


def _repair_ragged(
    cells: list[str], schema: Schema
) -> tuple[list[str], list[tuple[str, str]], str]:
    """Too many fields: an insertion before the status, else extras folded or kept as extras."""
    width, status = schema.width, schema.status
    extra = len(cells) - width
    if all(is_datetime(cell) for cell in cells[:extra]) and _fits(cells[extra:], schema):
        stamps = [(f"date{k + 1}" if extra > 1 else "date", cells[k]) for k in range(extra)]
        return cells[extra:], stamps, "a leading date/time stamp the header lacks kept as 'date'"
    if (
        status is not None
        and not is_status_word(cells[status])
        and is_status_word(cells[status + extra])
    ):
        moved = [(f"field{status + 1 + k}", cells[status + k]) for k in range(extra)]
        names = ", ".join(name for name, _ in moved)
        return (
            cells[:status] + cells[status + extra :],
            moved,
            f"{names} before the status kept as extra",
        )
    if schema.description == width - 1:
        folded = [*cells[: width - 1], "\t".join(cells[width - 1 :])]
        return folded, [], "the extra fields folded into the description"
    moved = [(f"field{width + 1 + k}", value) for k, value in enumerate(cells[width:])]
    return cells[:width], moved, f"the extra fields kept as {', '.join(n for n, _ in moved)}"


def _fits(cells: Sequence[str], schema: Schema) -> bool:
    """Cells in the header's roles: a status word, a number or nothing for memory, a hash."""
    if schema.status is not None and not is_status_word(cells[schema.status]):
        return False
    memory = cells[schema.memory].strip() if schema.memory is not None else ""
    if memory and not is_number(memory):
        return False
    return schema.commit is None or not is_datetime(cells[schema.commit])


def _clip(line: str, size: int = 60) -> str:
    text = line.strip().replace("\t", " ")
    return text if len(text) <= size else text[: size - 1] + "…"
