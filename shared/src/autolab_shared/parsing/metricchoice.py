"""Which column of a scanned results file is the metric, and which way is better."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from autolab_shared.core.diagnostics import ParseWarning
from autolab_shared.core.eqrepr import EqRepr
from autolab_shared.core.errors import InputError
from autolab_shared.core.vocabulary import WarningCode
from autolab_shared.parsing.cellvalues import parse_cell
from autolab_shared.parsing.columns import (
    DIRECTION_NAMES,
    METRIC_NAME_NAMES,
    Schema,
    normalise_name,
)
from autolab_shared.parsing.declared import comment_direction, split_declared
from autolab_shared.parsing.metrics import (
    MIN,
    ColumnStats,
    choose_metric,
    direction_for,
    name_tokens,
    normalise_direction,
    trend_direction,
)
from autolab_shared.parsing.tsvlines import Record, Scan

_BPB_ALIASES = ("val_bpb", "bpb")
_QUALIFIERS = frozenset(
    {
        "val",
        "valid",
        "validation",
        "test",
        "train",
        "eval",
        "final",
        "exact",
        "mean",
        "avg",
        "best",
        "last",
        "metric",
        "value",
        "primary",
    }
)


@dataclass(eq=False, repr=False)
class MetricChoice(EqRepr):
    """The metric column's name and its index in each header (None where a header lacks it)."""

    name: str
    schema: int  # the header the metric was chosen in
    index: tuple[int | None, ...]
    warnings: tuple[ParseWarning, ...]


def choose_metric_column(found: Scan, wanted: str | None, path: str) -> MetricChoice:
    """Choose the metric column (or find ``wanted``, else InputError) in every header."""
    if wanted is not None:
        name, home = _find_given(found, wanted, path)
    else:
        name, home = _choose(found, path)
    located = [_locate(schema, name) for schema in found.schemas]
    notes: list[ParseWarning] = []
    for k, schema in enumerate(found.schemas):
        if located[k] is not None or not records_of(found, k):
            continue
        column = _follow(found, k, home, located[home], name) if wanted is None else None
        located[k] = column
        if column is not None:
            reason = (
                f"the metric column '{name}' is not in this header; its rows are read from "
                f"'{schema.names[column]}', this header's metric on the same scale"
            )
            notes.append(ParseWarning(path, schema.line, WarningCode.METRIC_RENAMED, reason))
        else:
            reason = f"the metric column '{name}' is not in this header; its rows have no value"
            notes.append(ParseWarning(path, schema.line, WarningCode.METRIC_MISSING, reason))
    index = tuple(located)
    notes.extend(_no_numbers(found, home, index[home], name, path))
    return MetricChoice(name, home, index, tuple(notes))


def _follow(found: Scan, k: int, home: int, at: int | None, name: str) -> int | None:
    """A later header's own metric, when it lacks the chosen one: the column its rows would
    have given, if it is not the opposite direction and its values are on the same scale."""
    schema, records = found.schemas[k], records_of(found, k)
    index = _pick(schema, records)
    if index is None or at is None:
        return None
    if not _same_quantity(schema, records, index, name):
        return None
    mine = _median(records, index)
    before = _median(records_of(found, home), at)
    if mine is None or before is None or mine * before <= 0:
        return None
    return index if 1 / 3 <= mine / before <= 3 else None


def _same_quantity(schema: Schema, records: Sequence[Record], index: int, name: str) -> bool:
    """The column names the same quantity: a shared word (``val_bpb``/``final_bpb``), or
    ``metric_value`` whose ``metric_name`` cells give the name."""
    column = schema.names[index]
    if column == "metric_value":
        named = _most_common(records, schema, METRIC_NAME_NAMES, lambda cell: cell or None)
        return named is not None and normalise_name(named) == name
    shared = set(name_tokens(column)) & set(name_tokens(name)) - _QUALIFIERS
    return bool(shared) and direction_for(column) == direction_for(name)


def _median(records: Sequence[Record], index: int) -> float | None:
    values = sorted(v for r in records if (v := parse_cell(r.cells[index]).value) is not None)
    return values[len(values) // 2] if values else None


def _locate(schema: Schema, name: str) -> int | None:
    if name in schema.names:
        return schema.names.index(name)
    if name in _BPB_ALIASES:
        return next((schema.names.index(a) for a in _BPB_ALIASES if a in schema.names), None)
    return None


def _all_columns(found: Scan) -> list[str]:
    return list(dict.fromkeys(name for schema in found.schemas for name in schema.names))


def _find_given(found: Scan, wanted: str, path: str) -> tuple[str, int]:
    key = split_declared(normalise_name(wanted))[0]
    for k, schema in enumerate(found.schemas):
        index = _locate(schema, key)
        if index is not None:
            return schema.names[index], k
    columns = ", ".join(_all_columns(found))
    raise InputError(path, f"metric column '{wanted}' not found; columns are: {columns}")


def _choose(found: Scan, path: str) -> tuple[str, int]:
    home = next((k for k in range(len(found.schemas)) if records_of(found, k)), 0)
    schema = found.schemas[home]
    index = _pick(schema, records_of(found, home))
    if index is None:
        columns = ", ".join(_all_columns(found))
        raise InputError(path, f"no usable metric column; columns are: {columns}")
    return schema.names[index], home


def _pick(schema: Schema, records: Sequence[Record]) -> int | None:
    """The metric column of one header, by the rules of ``choose_metric`` on its rows."""
    cache: dict[int, ColumnStats] = {}

    def stats(i: int) -> ColumnStats:
        if i not in cache:
            cache[i] = _column_stats(records, i)
        return cache[i]

    extra = {
        schema.names.index(n) for n in DIRECTION_NAMES + METRIC_NAME_NAMES if n in schema.names
    }
    return choose_metric(
        schema.names, stats if records else None, schema.roles() | frozenset(extra)
    )


def records_of(found: Scan, schema: int) -> Sequence[Record]:
    """The records read under one header."""
    if len(found.schemas) == 1:  # all of them (asked several times of 10^5 records)
        return found.records if schema == 0 else ()
    return [record for record in found.records if record.schema == schema]


def _column_stats(records: Sequence[Record], index: int) -> ColumnStats:
    cells = [record.cells[index] for record in records]
    values = [parse_cell(cell).value for cell in cells]
    numbers = [v for v in values if v is not None]
    # whole numbers written without a point: "1.0000" is a measured value that came out whole
    whole = all(v.is_integer() for v in numbers) and not any("." in c for c in cells)
    return ColumnStats(len(numbers), sum(1 for c in cells if c), len(set(numbers)), whole)


def _no_numbers(
    found: Scan, home: int, index: int | None, name: str, path: str
) -> list[ParseWarning]:
    records = records_of(found, home)
    if index is None or not records:
        return []
    if any(parse_cell(record.cells[index]).value is not None for record in records):
        return []
    reason = f"the metric column '{name}' holds no numbers; every row counts as a crash"
    return [ParseWarning(path, None, WarningCode.NO_NUMERIC_METRIC, reason)]


def resolve_direction(
    given: str | None,
    choice: MetricChoice,
    found: Scan,
    keep_values: Sequence[float],
    path: str,
) -> tuple[str, str, list[ParseWarning]]:
    """The direction and its source: given (flag), declared (header cell or comment), data (a
    direction column), known (name), guessed."""
    if given is not None:
        way = normalise_direction(given)
        if way is None:
            raise InputError(path, f"direction must be 'min' or 'max', not '{given}'")
        return way, "given", []
    records = records_of(found, choice.schema)
    schema = found.schemas[choice.schema]
    declared = _declared(found, choice)
    if declared is not None:
        return declared, "declared", []
    named = _most_common(records, schema, METRIC_NAME_NAMES, lambda cell: cell or None)
    if choice.name == "metric_value" or named is None:
        from_data = _most_common(records, schema, DIRECTION_NAMES, normalise_direction)
        if from_data is not None:
            return from_data, "data", []
    lookup = named if choice.name == "metric_value" and named else choice.name
    known = direction_for(lookup)
    trend = trend_direction(keep_values)
    if known is not None:
        if trend is None or trend == known:
            return known, "known", []
        reason = (
            f"'{lookup}' is taken as {_word(known)} by its name, but the keep rows mostly get "
            f"{'lower' if trend == MIN else 'higher'}; give the direction if that is wrong"
        )
        return known, "known", [ParseWarning(path, None, WarningCode.DIRECTION_CONFLICT, reason)]
    guess = trend or MIN
    why = "from the keep rows' trend" if trend else "by default"
    reason = f"direction of '{choice.name}' unknown; guessed {_word(guess)} {why}"
    return guess, "guessed", [ParseWarning(path, None, WarningCode.DIRECTION_GUESSED, reason)]


def _declared(found: Scan, choice: MetricChoice) -> str | None:
    """The direction the metric's header cell or a ``#`` comment declares, if any."""
    schema = found.schemas[choice.schema]
    at = choice.index[choice.schema]
    if at is not None and at < len(schema.directions) and schema.directions[at]:
        return schema.directions[at]
    said = comment_direction(found.comments, choice.name, schema.names)
    return said[0] if said else None


def _word(direction: str) -> str:
    return "'min' (lower is better)" if direction == MIN else "'max' (higher is better)"


def _most_common(
    records: Sequence[Record],
    schema: Schema,
    names: Sequence[str],
    read: Callable[[str], str | None],
) -> str | None:
    """The commonest readable cell of the first column named in ``names``, or None."""
    index = next((schema.names.index(n) for n in names if n in schema.names), None)
    if index is None:
        return None
    found = Counter(v for v in (read(r.cells[index]) for r in records) if v)
    return found.most_common(1)[0][0] if found else None
