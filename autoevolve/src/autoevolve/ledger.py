"""Results rows written exactly once: an intent event first, then each file only if it lacks it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from autolab_shared.core.errors import AutolabError
from autolab_shared.files.appendrow import append_row, format_value
from autolab_shared.parsing.columns import STANDARD
from autolab_shared.parsing.results import History, read_results

from .layout import PLACEMENT, POOLED_EXTRA


def read_or_none(path: Path, metric: str | None = None) -> History | None:
    """The results file at ``path``, or None while it is missing, empty or unusable."""
    try:
        return read_results(path, metric=metric)
    except AutolabError:
        return None


def has_row(path: Path, cells: Mapping[str, str], metric: str) -> bool:
    """True when ``path`` already holds a row with exactly these cells."""
    history = read_or_none(path, metric)
    for e in history.experiments if history else ():
        value = format_value(e.value)
        if (e.commit, e.raw_status, e.description, value) != (
            cells["commit"],
            cells["status"],
            cells["description"],
            cells[metric],
        ):
            continue
        if all((e.get(k) or "") == cells[k] for k in POOLED_EXTRA if k in cells):
            return True
    return False


def write_row(path: Path, cells: Mapping[str, str], metric: str, *, pooled: bool = False) -> None:
    """Append the row unless an identical one is there already (so a repeat is harmless)."""
    if has_row(path, cells, metric):
        return
    placed = tuple(k for k in PLACEMENT if k in cells)
    columns = (*STANDARD, *POOLED_EXTRA, *placed) if pooled else STANDARD
    append_row(path, cells, default_columns=columns, metric=metric)


def row_writer(
    cells: Mapping[str, str], metric: str, *, pooled: bool = False
) -> Callable[[Path], None]:
    """`write_row` of one row, for the file given later (`Guard.append_pooled`, `append_own`)."""

    def write(path: Path) -> None:
        write_row(path, cells, metric, pooled=pooled)

    return write
