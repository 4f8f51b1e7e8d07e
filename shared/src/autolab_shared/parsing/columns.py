"""Header rows of results files: normalised names and the columns that play each role."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from autolab_shared.core.eqrepr import EqRepr
from autolab_shared.parsing.cellvalues import is_datetime, is_number
from autolab_shared.parsing.commits import is_commit_hash
from autolab_shared.parsing.declared import split_declared
from autolab_shared.parsing.metrics import direction_for
from autolab_shared.parsing.status import is_status_word

STANDARD: tuple[str, ...] = ("commit", "val_bpb", "memory_gb", "status", "description")

COMMIT_NAMES: tuple[str, ...] = (
    "commit",
    "git_commit",
    "commit_hash",
    "git_hash",
    "git_sha",
    "sha",
)
STATUS_NAMES: tuple[str, ...] = ("status", "verdict", "decision", "outcome")
DESCRIPTION_NAMES: tuple[str, ...] = (
    "description", "desc", "notes", "note", "hypothesis", "comment", "comments", "summary",
    "insight", "idea", "details",
)  # fmt: skip
# Without a description column, the experiment's name is the best description there is
# ("exp1_12layers", "baseline_128steps"): these columns stand in for it, in this order.
NAME_NAMES: tuple[str, ...] = (
    "experiment", "exp", "exp_id", "experiment_id", "exp_name", "experiment_name", "run_name",
    "name", "variant", "config", "config_name",
)  # fmt: skip
DIRECTION_NAMES: tuple[str, ...] = ("metric_direction", "direction")
METRIC_NAME_NAMES: tuple[str, ...] = ("metric_name",)
_MEMORY = re.compile(
    r"(?:peak_|max_|gpu_)?(?:memory|mem|vram|gpu_mem|gpu_memory)(?:_(gb|gib|mb|mib|kb|kib|tb))?"
)
_UNIT_SCALE = {
    "gb": 1.0,
    "gib": 1.0,
    "mb": 1 / 1024,
    "mib": 1 / 1024,
    "kb": 1 / 1024**2,
    "kib": 1 / 1024**2,
    "tb": 1024.0,
}
_COMMIT_LABELS = frozenset({"head", "baseline", "none", "n/a", "unknown", "uncommitted", "tbd"})
_NAME_CELL = re.compile(r"[^\W\d][\w./%()+\-]*", re.UNICODE)


@dataclass(eq=False, repr=False)
class Schema(EqRepr):
    """Column names and the index of each role column (None when the file has none)."""

    names: tuple[str, ...]
    line: int | None  # the 1-based header line; None when the names were assumed
    commit: int | None
    memory: int | None
    status: int | None
    description: int | None
    directions: tuple[str | None, ...] = ()  # per column: declared in the header cell, or None

    @property
    def width(self) -> int:
        """Number of columns."""
        return len(self.names)

    def roles(self) -> frozenset[int]:
        """Indices of the commit, memory, status and description columns."""
        found = (self.commit, self.memory, self.status, self.description)
        return frozenset(i for i in found if i is not None)

    def memory_scale(self) -> float:
        """Factor turning the memory column's numbers into GB (from its name's unit)."""
        if self.memory is None:
            return 1.0
        match = _MEMORY.fullmatch(self.names[self.memory])
        return _UNIT_SCALE.get(match.group(1) or "gb", 1.0) if match else 1.0


def normalise_name(raw: str) -> str:
    """A header cell as compared: BOM and quotes removed, stripped, lower case, spaces as ``_``."""
    text = raw.replace("\ufeff", "").strip().strip("\"'").strip().lower()
    return "_".join(text.split())


def description_index(names: Sequence[str]) -> int | None:
    """The description column: a description alias, else the experiment's name column."""
    return _first(names, DESCRIPTION_NAMES, NAME_NAMES)


def _first(names: Sequence[str], wanted: Sequence[str], *then: Sequence[str]) -> int | None:
    """The index of the first name of `wanted` in `names`; failing all, of the next list."""
    for name in wanted:
        if name in names:
            return names.index(name)
    return _first(names, *then) if then else None


def _memory_index(names: Sequence[str]) -> int | None:
    return next((i for i, name in enumerate(names) if _MEMORY.fullmatch(name)), None)


def make_schema(names: Sequence[str], line: int | None) -> Schema:
    """Find the role columns of a header by name (aliases in preference order).

    A direction annotation (``score (max)``, ``loss↓``) is taken off the name and kept.
    """
    split = [split_declared(name) for name in names]
    names = tuple(name for name, _ in split)
    return Schema(
        names=names,
        line=line,
        commit=_first(names, COMMIT_NAMES),
        memory=_memory_index(names),
        status=_first(names, STATUS_NAMES),
        description=description_index(names),
        directions=tuple(way for _, way in split),
    )


def repair_names(cells: Sequence[str]) -> tuple[tuple[str, ...], list[str]]:
    """Normalised header names with trailing empty cells dropped, blanks named, repeats numbered."""
    names = [normalise_name(cell) for cell in cells]
    notes: list[str] = []
    while len(names) > 1 and not names[-1]:
        names.pop()
    if len(names) < len(cells):
        notes.append(f"{len(cells) - len(names)} empty header cell(s) at the end dropped")
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if not name:
            names[i] = name = f"column{i + 1}"
            notes.append(f"empty header cell {i + 1} named '{name}'")
        if name in seen:
            seen[name] += 1
            names[i] = f"{name}_{seen[name]}"
            notes.append(f"repeated header name '{name}' renamed '{names[i]}'")
        seen.setdefault(names[i], 1)
    return tuple(names), notes


def looks_like_header(cells: Sequence[str]) -> bool:
    """A header has no number and no commit hash first; status words only beside known names."""
    filled = [cell.strip() for cell in cells if cell.strip()]
    if not filled or is_commit_hash(filled[0]) or any(is_number(cell) for cell in filled):
        return False
    if any(_NAME_CELL.fullmatch(cell.lower()) and is_known_name(cell.lower()) for cell in filled):
        return True
    return not any(is_status_word(cell) for cell in filled)


def is_known_name(name: str) -> bool:
    """A name that plainly belongs in a header: a role alias or a known metric."""
    roles = COMMIT_NAMES + STATUS_NAMES + DESCRIPTION_NAMES + STANDARD + DIRECTION_NAMES
    return name in roles or _MEMORY.fullmatch(name) is not None or direction_for(name) is not None


def looks_like_new_header(cells: Sequence[str], known: frozenset[str]) -> bool:
    """A mid-file line that is a header: name-like cells, two of them known names or columns."""
    if len(cells) < 2 or not looks_like_header(cells):
        return False
    names = [normalise_name(cell) for cell in cells]
    if not all(name and _NAME_CELL.fullmatch(name) and len(name) <= 40 for name in names):
        return False
    return sum(1 for name in names if name in known or is_known_name(name)) >= 2


def assumed_schema(rows: Sequence[Sequence[str]]) -> Schema:
    """Column names for a file without a header, from its first rows.

    Five columns with a number second are the standard layout (unless the first is a date);
    otherwise columns are named ``col1``, ``col2``, ... except those recognised as ``date``
    (a date/time stamp first), ``commit``, ``status`` and ``description``.
    """
    width = len(rows[0])
    dated = width > 1 and _share(rows, 0, is_datetime) >= 0.5  # a date/time stamp first
    if width == 5 and is_number(rows[0][1]) and not dated:
        return make_schema(STANDARD, None)
    status = _share_column(rows, width, is_status_word, set())
    used = {status} if status is not None else set()
    used |= {0} if dated else set()
    first = 1 if dated else 0
    commit = first if first not in used and _share(rows, first, _commit_like) >= 0.5 else None
    used |= {commit} if commit is not None else set()
    description = _description_column(rows, width, used)
    names = [f"col{i + 1}" for i in range(width)]
    roles = (
        (0 if dated else None, "date"),
        (commit, "commit"),
        (status, "status"),
        (description, "description"),
    )
    for index, name in roles:
        if index is not None:
            names[index] = name
    return make_schema(names, None)


def _commit_like(cell: str) -> bool:
    return is_commit_hash(cell) or cell.strip().lower() in _COMMIT_LABELS


def _cells(rows: Sequence[Sequence[str]], index: int) -> list[str]:
    return [row[index].strip() for row in rows if index < len(row) and row[index].strip()]


def _share(rows: Sequence[Sequence[str]], index: int, test: Callable[[str], bool]) -> float:
    cells = _cells(rows, index)
    return sum(1 for cell in cells if test(cell)) / len(cells) if cells else 0.0


def _share_column(
    rows: Sequence[Sequence[str]], width: int, test: Callable[[str], bool], used: set[int]
) -> int | None:
    shares = [(_share(rows, i, test), i) for i in range(width) if i not in used]
    best = max(shares, default=(0.0, -1))
    return best[1] if best[0] >= 0.5 else None


def _description_column(rows: Sequence[Sequence[str]], width: int, used: set[int]) -> int | None:
    """The text column whose cells most often contain spaces (later columns win ties)."""
    best: tuple[int, int] = (0, -1)
    for i in range(width):
        cells = _cells(rows, i)
        if i in used or not cells or any(is_number(cell) for cell in cells):
            continue
        best = max(best, (sum(1 for cell in cells if " " in cell), i))
    return best[1] if best[0] > 0 else None
