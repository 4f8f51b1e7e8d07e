"""Tolerant reader of autoresearch ``results.tsv`` files into a :class:`History` of experiments.

The parser never raises anything but :class:`~autolab_shared.core.errors.InputError` (missing or
unreadable file, empty file, no usable metric column, an unknown ``metric=`` or ``direction=``).
Everything else is repaired or skipped, and every skipped or repaired line gives a
:class:`~autolab_shared.core.diagnostics.ParseWarning`. Each physical line is a header line, the
first line of an experiment, a line inside an experiment's ``line..end_line`` range, or the
line of a warning.

Metric column: ``metric=`` if given, else the rules of
:func:`autolab_shared.parsing.metrics.choose_metric`
(``val_bpb``/``bpb``, then ``metric_value``, then a known validation metric such as
``val_loss``, then the first mostly-numeric column that is not commit/id/memory/status/
description/time/setting-like, and not a constant or whole-number setting such as ``imgsz``).
Direction: ``direction=`` (``given``), an annotated header cell (``score (max)``, ``loss↓``) or
a ``#`` comment (``# score: lower is better``) (``declared``), a ``metric_direction`` column
(``data``), the metric's name or the ``metric_name`` cells (``known``), else the trend of the
keep rows or ``min`` (``guessed``, with a warning). A later header without the metric column
is read from its own metric when that names the same quantity on the same scale.

A row is a crash (``value`` None) when its status says so or its metric cell is empty or not a
number; a metric of exactly 0 with memory exactly 0 is the crash convention too (value None,
status kept as written, with a warning).

Warning codes (``ParseWarning.code``):

* ``bom``, ``encoding``, ``nul`` — decoding repairs (file level, from :mod:`.textio`)
* ``crlf``, ``bare_cr`` — CRLF / bare CR line ends read as plain line ends (file level)
* ``no_header`` — no header row; the columns were assumed (file level)
* ``header_repair`` — an empty or repeated header name was renamed
* ``header_only`` — the file has a header and no data rows
* ``repeated_header`` — the header line appears again; skipped
* ``schema_change`` — a different header mid-file; the rows below use it
* ``metric_missing`` — a later header lacks the metric column; its rows have no value
* ``metric_renamed`` — a later header lacks the metric column but names the same quantity
  (``final_val_bpb``, or ``metric_value`` whose ``metric_name`` is the metric); read from it
* ``comment`` — a ``#`` comment line (kept for direction declarations); skipped as a row
* ``blank`` — blank line skipped
* ``banner`` — section/rule line (``---``, ``====``, ``Columns:``) skipped
* ``continuation`` — a line folded into the previous row (multi-line description or cell)
* ``not_a_row`` — a line that is no row and follows no row; skipped
* ``space_separated``, ``comma_separated`` — a row split by spaces/commas, re-split
* ``trailing_tabs`` — empty fields beyond the header's width dropped
* ``ragged`` — too many fields; a leading date/time stamp the header lacks kept as ``date``,
  else extras folded into the description or kept as ``fieldN``
* ``short_row`` — too few fields; the missing ones left empty
* ``half_written`` — a last line without line end and with too few fields; ignored
* ``duplicate_row`` — the same fields as an earlier row; both kept
* ``bad_value`` — a metric cell that is not a number (or is out of range); the row counts as a crash
* ``crash_inferred`` — a keep-like status without a metric value; counted as a crash
* ``zero_metric`` — metric and memory both 0 under a non-crash status; value ignored
* ``lenient_value`` — a decorated number read leniently (``~0.51``, ``151K``, ``12s``)
* ``percent`` — metric values written with ``%``; the sign was dropped (once per file)
* ``unknown_status`` — an unrecognised status word (once per word, at its first row)
* ``no_status`` — no status column; every status is ``unknown`` (file level)
* ``no_numeric_metric`` — the chosen metric column holds no numbers at all (file level)
* ``direction_guessed`` — the metric's direction is a guess (file level)
* ``direction_conflict`` — the direction by name disagrees with the keep rows' trend
* ``commit_reused`` — rows share a commit hash but describe different changes; they are
  separate experiments, not replicates (once per file)
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import compress, repeat
from operator import attrgetter, eq, itemgetter
from typing import TYPE_CHECKING

from autolab_shared.core.diagnostics import ParseWarning
from autolab_shared.core.eqrepr import EqRepr
from autolab_shared.core.errors import InputError
from autolab_shared.core.gcpause import paused_gc
from autolab_shared.core.vocabulary import Status, WarningCode
from autolab_shared.parsing.cellvalues import (
    BAD,
    LENIENT,
    PERCENT,
    PLAIN_NUMBER,
    parse_cell,
    why_bad,
)
from autolab_shared.parsing.columnrows import Layout, read_columns
from autolab_shared.parsing.experiment import Experiment as Experiment  # re-exported
from autolab_shared.parsing.metricchoice import (
    MetricChoice,
    choose_metric_column,
    resolve_direction,
)
from autolab_shared.parsing.metrics import MAX
from autolab_shared.parsing.plaincolumns import PlainColumns, plain_columns
from autolab_shared.parsing.replicates import reused_commits
from autolab_shared.parsing.rowtable import RowTable
from autolab_shared.parsing.status import (
    CRASH,
    DISCARD,
    KEEP,
    STATUSES,
    UNKNOWN,
    is_pending,
    normalise_status,
)
from autolab_shared.parsing.textio import decode, read_bytes
from autolab_shared.parsing.tsvlines import Record, Scan, scan

if TYPE_CHECKING:
    import pandas  # type: ignore[import-untyped]


@dataclass(eq=False, repr=False)
class History(EqRepr):
    """All experiments of one results file, the metric read and how to compare its values."""

    path: str
    metric: str
    direction: str
    direction_source: str
    columns: tuple[str, ...]
    experiments: tuple[Experiment, ...]
    warnings: tuple[ParseWarning, ...]
    line_count: int
    header_lines: tuple[int, ...]

    if not TYPE_CHECKING:  # mypy reads `experiments` as the field it is

        def __getattr__(self, name: str) -> object:
            """`experiments` of a history read by columns: made from its table on first use."""
            table = self.__dict__.get("_table")
            if name != "experiments" or table is None:
                raise AttributeError(name)
            rows = self.__dict__["experiments"] = table.rows()
            return rows

    def __getstate__(self) -> dict[str, object]:
        """Copied or pickled with its experiments made, without the table (whose row maker
        is a closure over the columns)."""
        state = {**self.__dict__, "experiments": self.experiments}
        state.pop("_table", None)
        return state

    @property
    def table(self) -> RowTable:
        """The rows by column (what a verdict reads of every row), each row made on demand."""
        table: RowTable | None = self.__dict__.get("_table")
        if table is None:
            table = self.__dict__["_table"] = RowTable.of_rows(self.experiments)
        return table

    def __len__(self) -> int:
        return len(self.table) if "_table" in self.__dict__ else len(self.experiments)

    def _with(self, status: Status) -> tuple[Experiment, ...]:
        return tuple(e for e in self.experiments if e.status == status)

    def keeps(self) -> tuple[Experiment, ...]:
        """Rows with status keep."""
        return self._with(KEEP)

    def discards(self) -> tuple[Experiment, ...]:
        """Rows with status discard."""
        return self._with(DISCARD)

    def crashes(self) -> tuple[Experiment, ...]:
        """Rows with status crash."""
        return self._with(CRASH)

    def counts(self) -> dict[str, int]:
        """Rows per status: keep, discard, crash and unknown (zeros included)."""
        found = Counter(e.status for e in self.experiments)
        return {status: found.get(status, 0) for status in STATUSES}

    def values(self) -> tuple[float, ...]:
        """Every metric value present (crash rows have none), in file order."""
        return tuple(e.value for e in self.experiments if e.value is not None)

    def is_better(self, a: float, b: float) -> bool:
        """True when value ``a`` is strictly better than ``b`` in this history's direction."""
        return a > b if self.direction == MAX else a < b

    def best(self) -> Experiment | None:
        """The best valued row among keeps (among all rows when no keep has a value)."""
        valued = [(e.value, e) for e in self.experiments if e.value is not None]
        pool = [pair for pair in valued if pair[1].status == KEEP] or valued
        best: tuple[float, Experiment] | None = None
        for pair in pool:
            if best is None or self.is_better(pair[0], best[0]):
                best = pair
        return None if best is None else best[1]


def read_results(
    path: str | os.PathLike[str], *, metric: str | None = None, direction: str | None = None
) -> History:
    """Read and parse a results file; a missing or unreadable file raises InputError."""
    name = os.fspath(path)
    return parse_results(read_bytes(name), name, metric=metric, direction=direction)


def parse_results(
    data: str | bytes,
    path: str = "<string>",
    *,
    metric: str | None = None,
    direction: str | None = None,
    fast: bool = True,
) -> History:
    """Parse the text or bytes of a results file (see the module docstring for the rules).
    `fast` reads plain lines and rows on the fast paths (same result; False for tests)."""
    with paused_gc():
        return _parse(data, path, metric, direction, fast)


def _parse(
    data: str | bytes, path: str, metric: str | None, direction: str | None, fast: bool
) -> History:
    text, warnings = _decode(data, path)
    if not text.strip():
        raise InputError(path, "empty file")
    plain = plain_columns(text, path) if fast else None
    if plain is not None:
        by_columns = _parse_columns(plain, warnings, path, metric, direction)
        if by_columns is not None:
            return by_columns
    found = scan(text, path, fast=fast)
    if not found.schemas:
        raise InputError(path, "no header and no data rows (only blank or banner lines)")
    choice = choose_metric_column(found, metric, path)
    rows = _RowReader(path, found, choice)
    experiments = rows.read_all(found.records, fast=fast)
    keeps = compress(experiments, map(eq, map(attrgetter("status"), experiments), repeat(KEEP)))
    keep_values = [e.value for e in keeps if e.value is not None]
    way, source, notes = resolve_direction(direction, choice, found, keep_values, path)
    notes += _reuse_warning(
        reused_commits(experiments),
        lambda sha: next(e.line for e in experiments if e.commit.lower() == sha),
        path,
    )
    all_warnings = [*warnings, *found.warnings, *rows.finish(), *choice.warnings, *notes]
    return History(
        path=path,
        metric=choice.name,
        direction=way,
        direction_source=source,
        columns=found.schemas[0].names,
        experiments=experiments,
        warnings=_in_order(all_warnings),
        line_count=found.line_count,
        header_lines=found.header_lines,
    )


def _parse_columns(
    plain: PlainColumns,
    warnings: list[ParseWarning],
    path: str,
    metric: str | None,
    direction: str | None,
) -> History | None:
    """`_parse` of a plain file by its columns (`plaincolumns`, `columnrows`): the same
    history, its experiments made on first use; None when a row needs the row reader."""
    found = plain.scan
    choice = choose_metric_column(found, metric, path)
    read = read_columns(plain.columns, Layout.of(found.schemas[0], choice.index[0]), plain.second)
    if read is None:
        return None
    table, reused = read
    keeps = compress(table.values, map(eq, table.statuses, repeat(KEEP)))
    keep_values = [value for value in keeps if value is not None]
    way, source, notes = resolve_direction(direction, choice, found, keep_values, path)
    commits = table.commits
    notes += _reuse_warning(
        reused, lambda sha: next(i for i, c in enumerate(commits) if c.lower() == sha) + 2, path
    )
    history = History(
        path=path,
        metric=choice.name,
        direction=way,
        direction_source=source,
        columns=found.schemas[0].names,
        experiments=(),
        warnings=_in_order([*warnings, *choice.warnings, *notes]),
        line_count=found.line_count,
        header_lines=found.header_lines,
    )
    del history.experiments  # made from the table when first read (`History.__getattr__`)
    history.__dict__["_table"] = table
    return history


def _in_order(warnings: list[ParseWarning]) -> tuple[ParseWarning, ...]:
    """File-level warnings first, then by line."""
    return tuple(sorted(warnings, key=lambda w: (w.line is not None, w.line or 0)))


def _reuse_warning(
    reused: dict[str, int], first_line: Callable[[str], int], path: str
) -> list[ParseWarning]:
    """One ``commit_reused`` warning when rows share a hash but describe different changes
    (`reused`: `reused_commits` of the rows; `first_line`: a hash's first row's line)."""
    if not reused:
        return []
    sha, changes = next(iter(reused.items()))
    line = first_line(sha)
    more = f" (and {len(reused) - 1} more commit(s))" if len(reused) > 1 else ""
    reason = (
        f"commit {sha} is logged for {changes} different changes{more}; rows that share a "
        "commit but not a description are read as separate experiments, not replicates"
    )
    return [ParseWarning(path, line, WarningCode.COMMIT_REUSED, reason)]


def _decode(data: str | bytes, path: str) -> tuple[str, list[ParseWarning]]:
    if isinstance(data, bytes):
        decoded = decode(data, path)
        return decoded.text, list(decoded.warnings)
    if data.startswith("\ufeff"):
        return data[1:], [ParseWarning(path, None, WarningCode.BOM, "byte-order mark removed")]
    return data, []


class _RowReader:
    """Turns records into experiments, collecting the per-row warnings."""

    def __init__(self, path: str, found: Scan, choice: MetricChoice) -> None:
        self.path = path
        self.found = found
        self.choice = choice
        self.warnings: list[ParseWarning] = []
        self.unknown: dict[str, list[int]] = {}
        self.percent_line: int | None = None
        self.layouts = [
            Layout.of(schema, choice.index[k]) for k, schema in enumerate(found.schemas)
        ]
        self.statuses: dict[str, Status] = {}  # raw status -> normalised (repeats a lot)
        self.memories: dict[str, float | None] = {}  # memory cell -> number

    def warn(self, line: int | None, code: WarningCode, reason: str) -> None:
        self.warnings.append(ParseWarning(self.path, line, code, reason))

    def read_all(self, records: Sequence[Record], *, fast: bool = True) -> tuple[Experiment, ...]:
        """Every record as an experiment, in order; `fast` reads the plain rows of a file with
        one header inline (see `_plain_rows`), as `read` would."""
        layout = self.layouts[0]
        if fast and len(self.layouts) == 1 and None not in (layout.metric, layout.status):
            return tuple(self._plain_rows(records, layout))
        return tuple(self.read(i, record) for i, record in enumerate(records))

    def _plain_rows(self, records: Sequence[Record], layout: Layout) -> list[Experiment]:
        """`read` inlined for rows with a status word met before and a plain number that is not
        0 under a memory of 0 (no warning, nothing to repair: a crash row's memory of 0 is no
        memory); the other rows go through `read`."""
        out: list[Experiment] = []
        statuses, memories, plain = self.statuses, self.memories, PLAIN_NUMBER.fullmatch
        at_metric, at_status, at_memory = layout.metric, layout.status, layout.memory
        at_commit, at_description, extras = layout.commit, layout.description, layout.extra
        scale = layout.memory_scale
        checked = self.found.plain_second and at_metric == 1  # plain, as the scan found
        for index, record in enumerate(records):
            line, end_line, cells, overflow, _ = record  # faster than four attribute reads
            raw_status, cell = cells[at_status], cells[at_metric]  # type: ignore[index]
            status = statuses.get(raw_status)
            memory_cell = cells[at_memory] if at_memory is not None else ""
            memory = memories[memory_cell] if memory_cell in memories else self._memory(memory_cell)
            if status is None or status == UNKNOWN or not (checked or plain(cell)):
                out.append(self.read(index, record))  # a new word or a repair: the full path
                continue
            value = None if status == CRASH else float(cell)
            if memory == 0.0 and value is None:
                memory = None  # the crash convention: no memory either
            elif memory == 0.0 and value == 0.0:
                out.append(self.read(index, record))  # zero_metric: the full path warns
                continue
            extra = overflow
            if extras:
                extra = (*[(n, cells[k]) for k, n in extras], *extra)
            out.append(
                Experiment(
                    index,
                    line,
                    end_line,
                    cells[at_commit] if at_commit is not None else "",
                    value,
                    None if memory is None else memory * scale,
                    status,
                    raw_status,
                    cells[at_description] if at_description is not None else "",
                    extra,
                )
            )
        return out

    def read(self, index: int, record: Record) -> Experiment:
        layout, cells = self.layouts[record.schema], record.cells
        raw_status = _at(cells, layout.status)
        status = self._status(record, layout.status, raw_status)
        value, status = self._value(record, layout.metric, status, raw_status)
        memory = self._memory(_at(cells, layout.memory))
        if value == 0.0 and memory == 0.0 and status != CRASH:
            self.warn(
                record.line,
                WarningCode.ZERO_METRIC,
                f"{self.choice.name} and memory are both 0 (the crash convention) under status "
                f"'{raw_status}'; the value is ignored",
            )
            value = None
        if memory is not None and (value is None and memory == 0.0):
            memory = None
        extra = record.overflow
        if layout.extra:
            extra = (*[(n, cells[k]) for k, n in layout.extra], *extra)
        return Experiment(  # positional: several times faster than by keyword
            index,
            record.line,
            record.end_line,
            _at(cells, layout.commit),
            value,
            None if memory is None else memory * layout.memory_scale,
            status,
            raw_status,
            _at(cells, layout.description),
            extra,
        )

    def _memory(self, cell: str) -> float | None:
        try:
            return self.memories[cell]
        except KeyError:
            found = self.memories[cell] = parse_cell(cell).value
            return found

    def _status(self, record: Record, column: int | None, raw_status: str) -> Status:
        if column is None:
            return UNKNOWN
        status = self.statuses.get(raw_status)
        if status is None:
            status = self.statuses[raw_status] = normalise_status(raw_status)
        if status == UNKNOWN and not is_pending(raw_status):
            self.unknown.setdefault(raw_status, []).append(record.line)
        return status

    def _value(
        self, record: Record, metric: int | None, status: Status, raw_status: str
    ) -> tuple[float | None, Status]:
        if metric is None:
            return None, status
        cell = record.cells[metric]
        parsed = parse_cell(cell)
        name = self.choice.name
        if parsed.value is None:
            if parsed.kind == BAD:
                why = why_bad(cell)
                self.warn(record.line, WarningCode.BAD_VALUE, f"{name} '{_clip(cell)}' {why}")
            if status == KEEP:
                self.warn(
                    record.line,
                    WarningCode.CRASH_INFERRED,
                    f"status '{raw_status}' but no {name} value; counted as a crash",
                )
            return None, CRASH
        if status == CRASH:
            return None, CRASH
        if parsed.kind == PERCENT and self.percent_line is None:
            self.percent_line = record.line
        elif parsed.kind == LENIENT:
            self.warn(
                record.line, WarningCode.LENIENT_VALUE, f"{name} '{cell}' read as {parsed.value:g}"
            )
        return parsed.value, status

    def finish(self) -> list[ParseWarning]:
        """The row warnings plus the once-per-file ones (status words, percent, header-only)."""
        for raw, lines in self.unknown.items():
            word = f"status '{raw}'" if raw else "an empty status cell"
            self.warn(
                lines[0],
                WarningCode.UNKNOWN_STATUS,
                f"{word} not recognised ({len(lines)} row(s)); read as unknown",
            )
        if self.percent_line is not None:
            self.warn(
                self.percent_line,
                WarningCode.PERCENT,
                f"{self.choice.name} values are written as percentages; the % sign was dropped",
            )
        self._file_notes()
        return self.warnings

    def _file_notes(self) -> None:
        found = self.found
        if not found.records:
            line = found.header_lines[0] if found.header_lines else None
            self.warn(line, WarningCode.HEADER_ONLY, "header only: the file has no data rows")
            return
        used = set(map(itemgetter(4), found.records))  # Record.schema
        if any(found.schemas[k].status is None for k in used):
            self.warn(
                None,
                WarningCode.NO_STATUS,
                "no status column (status, verdict, decision, outcome); statuses are unknown",
            )


def _at(cells: tuple[str, ...], index: int | None) -> str:
    return "" if index is None else cells[index]


def _clip(text: str, size: int = 40) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= size else text[: size - 1] + "…"


_FRAME_FIELDS = (
    "index", "line", "end_line", "commit", "value", "memory_gb", "status", "raw_status",
    "description", "is_hash",
)  # fmt: skip


def to_dataframe(history: History) -> pandas.DataFrame:
    """One row per experiment: the fixed fields, ``is_hash``, then every extra column.

    An extra column whose name clashes with a fixed field is named ``extra_<name>``.
    """
    import pandas

    columns = list(_FRAME_FIELDS)
    rows = []
    for e in history.experiments:
        row: dict[str, object] = {name: getattr(e, name) for name in _FRAME_FIELDS}
        for name, value in e.extra:
            column = f"extra_{name}" if name in _FRAME_FIELDS else name
            row.setdefault(column, value)
            if column not in columns:
                columns.append(column)
        rows.append(row)
    frame = pandas.DataFrame.from_records(rows, columns=columns)
    frame.attrs.update(metric=history.metric, direction=history.direction, path=history.path)
    return frame
