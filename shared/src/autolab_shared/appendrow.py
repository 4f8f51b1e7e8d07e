"""Append one row to a results file atomically, under an exclusive lock (``autojudge --append``).

Writers serialise on ``fcntl.flock`` of a sidecar ``<path>.lock`` (created when needed and
never removed, so every writer locks the same inode). The new content is written to a temporary
file in the same directory, fsynced and ``os.replace``-d over the original, so a reader sees
either the old file or the new one, never a half-written row, and a failure leaves the original
untouched. Only writers that use this module are serialised: a plain ``>>`` from another
program while a row is being appended here can be lost.

Values are matched to the file's header case-insensitively and by role aliases: the metric
(``val_bpb``, ``bpb``, ``metric_value``, the ``metric=`` name, else the file's known metric
column such as ``val_loss``), memory (any memory column; ``memory_gb`` given for a
``memory_mb`` column is converted), status (``verdict``, ``decision``, ...), description
(``notes``, ``desc``, ...) and commit (``git_commit``, ...).
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import sys
import time
from collections.abc import Iterator, Mapping, Sequence

from .atomicwrite import write_atomic
from .cellvalues import is_number
from .columns import (
    COMMIT_NAMES,
    DESCRIPTION_NAMES,
    STANDARD,
    STATUS_NAMES,
    make_schema,
    normalise_name,
)
from .errors import InputError
from .metrics import direction_for, is_metric_candidate, is_validation_metric
from .textio import decode

if sys.platform == "win32":  # pragma: no cover - best effort; autolab is tested on POSIX
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True


_BREAKS = re.compile("[\t\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_LINE = re.compile(r"([^\r\n]*)(\r\n|\n|\r|$)")
_METRIC_ALIASES: tuple[str, ...] = ("val_bpb", "bpb", "metric_value")
_ROLE_NAMES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("commit", COMMIT_NAMES),
    ("status", STATUS_NAMES),
    ("description", DESCRIPTION_NAMES),
)
_METRIC = "metric"
_MEMORY = "memory"


def sanitise(value: str) -> str:
    """A cell value on one line: tabs, newlines, CRs (and other line breaks) become spaces."""
    return _BREAKS.sub(" ", value)


def format_row(
    columns: Sequence[str], values: Mapping[str, str], *, metric: str | None = None
) -> str:
    """One TSV line (no line end) in the order of ``columns``; missing values are empty.

    Keys match column names case-insensitively, then by role alias (see the module docstring).
    """
    return "\t".join(sanitise(cell) for cell in _cells(columns, values, metric))


def _name_role(name: str) -> str | None:
    """The role of a normalised column or key name other than the metric, or None."""
    if make_schema((name,), None).memory == 0:
        return _MEMORY
    return next((role for role, names in _ROLE_NAMES if name in names), None)


def _metric_index(names: Sequence[str], metric: str | None) -> int | None:
    """The column that takes the metric value: by name first, else the first known metric."""
    for wanted in (*([metric] if metric else []), *_METRIC_ALIASES):
        if wanted in names:
            return names.index(wanted)
    free = [i for i, name in enumerate(names) if _name_role(name) is None]
    for i in free:
        if is_validation_metric(names[i]):
            return i
    known = (i for i in free if direction_for(names[i]) and is_metric_candidate(names[i]))
    return next(known, None)


def _cells(columns: Sequence[str], values: Mapping[str, str], metric: str | None) -> list[str]:
    names = [normalise_name(column) for column in columns]
    keys: dict[str, str] = {}
    for key, value in values.items():
        keys.setdefault(normalise_name(key), value)
    metric_key = normalise_name(metric) if metric else None
    metric_index = _metric_index(names, metric_key)
    cells: list[str | None] = [None] * len(names)
    used: set[str] = set()
    for i, name in enumerate(names):
        if name in keys and name not in used:
            cells[i] = keys[name]
            used.add(name)
    for i, name in enumerate(names):
        role = _METRIC if i == metric_index else _name_role(name)
        if cells[i] is not None or role is None:
            continue
        alias = next((k for k in keys if k not in used and _key_role(k, metric_key) == role), None)
        if alias is not None:
            used.add(alias)
            cells[i] = _memory(keys[alias], alias, name) if role == _MEMORY else keys[alias]
    return ["" if cell is None else cell for cell in cells]


def _key_role(key: str, metric: str | None) -> str | None:
    if key in _METRIC_ALIASES or key == metric:
        return _METRIC
    return _name_role(key)


def _memory(value: str, key: str, column: str) -> str:
    """A memory value given under ``key`` converted to ``column``'s unit (one decimal)."""
    given = make_schema((key,), None).memory_scale()
    wanted = make_schema((column,), None).memory_scale()
    if given == wanted:
        return value
    try:
        number = float(value.strip())
    except ValueError:
        return value
    return f"{number * given / wanted:.1f}"


def append_row(
    path: str | os.PathLike[str],
    values: Mapping[str, str],
    *,
    default_columns: Sequence[str] = STANDARD,
    timeout: float = 30.0,
    metric: str | None = None,
) -> str:
    """Append one row to a results file atomically under ``<path>.lock``; returns the row written.

    A missing or empty file gets the ``default_columns`` header first. Errors raise InputError.
    """
    name = os.fspath(path)
    target = os.path.realpath(name)
    with _locked(name, target + ".lock", timeout):
        data, mode = _read(name, target)
        content, row = _new_content(name, data, values, default_columns, metric)
        write_atomic(target, content, name=name, mode=mode)
    return row


@contextlib.contextmanager
def _locked(name: str, lock_path: str, timeout: float) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_path`` (polling until ``timeout`` seconds pass)."""
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as exc:
        raise InputError(name, f"could not lock {lock_path}: {exc.strerror or exc}") from None
    try:
        deadline = time.monotonic() + timeout
        delay = 0.001
        while not _acquire(fd, name, lock_path):
            if time.monotonic() >= deadline:
                raise InputError(
                    name, f"could not lock {lock_path} within {timeout:g} s (another writer)"
                )
            time.sleep(delay)
            delay = min(delay * 2, 0.05)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _acquire(fd: int, name: str, lock_path: str) -> bool:
    try:
        return _try_lock(fd)
    except OSError as exc:
        raise InputError(name, f"could not lock {lock_path}: {exc.strerror or exc}") from None


def _read(name: str, target: str) -> tuple[bytes | None, int | None]:
    """The file's bytes and permission bits, or (None, None) when it does not exist."""
    try:
        with open(target, "rb") as fh:
            mode = stat.S_IMODE(os.fstat(fh.fileno()).st_mode)
            return fh.read(), mode
    except FileNotFoundError:
        return None, None
    except IsADirectoryError:
        raise InputError(name, "is a directory, not a file") from None
    except OSError as exc:
        raise InputError(name, f"cannot read: {exc.strerror or exc}") from None


def _new_content(
    name: str,
    data: bytes | None,
    values: Mapping[str, str],
    default_columns: Sequence[str],
    metric: str | None,
) -> tuple[bytes, str]:
    """The whole new file content and the row appended.

    The header is the first non-blank line (kept as is); a first line whose second field is a
    number means a header-less file, read as ``default_columns``. An unterminated last line
    (complete, or half-written by a crashed writer) is ended first: the row never glues to it.
    """
    decoded = None if data is None else decode(data, name)
    if data is None or decoded is None or not decoded.text.strip():
        header = "\t".join(sanitise(column) for column in default_columns)
        row = format_row(default_columns, values, metric=metric)
        return f"{header}\n{row}\n".encode(), row
    text = decoded.text
    first, end = _first_line(text)
    cells = first.split("\t")
    if len(cells) < 2:
        raise InputError(name, "the first line is not tab-separated; no row appended")
    if is_number(cells[1]):
        columns: Sequence[str] = default_columns
    else:
        columns = [cell.strip() for cell in cells]
        while len(columns) > 1 and not columns[-1]:
            columns.pop()
    row = format_row(columns, values, metric=metric)
    tail = ("" if text.endswith(("\n", "\r")) else end) + row + end
    return data + tail.encode(decoded.encoding, errors="replace"), row


def _first_line(text: str) -> tuple[str, str]:
    """The first non-blank line and its line end (LF when it has none)."""
    for found in _LINE.finditer(text):
        if found.group(1).strip():
            return found.group(1), found.group(2) or "\n"
    return "", "\n"
