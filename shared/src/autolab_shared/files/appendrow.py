"""Append one row to a results file in place, under an advisory lock (``autojudge --append``).

The file is opened for appending and locked (``fcntl.flock`` on the file itself, so no lock
file is left behind and no other user's lock file can block anyone); its bytes are read under
the lock, and the new row goes in with one ``write`` of the whole line, then ``fsync``. The
file keeps its inode (hard links hold), owner and mode. A write that fails part-way is cut back
to the old size, so the file is the old one or the old one plus the complete row. A file that
does not exist yet is created whole (header and row in a temporary file linked into place).
Autolab's readers take a shared lock (:func:`autolab_shared.parsing.textio.read_bytes`), so
they never see
half a row; a reader that does not lock can see a partial last line, which the results parser
skips with a ``half_written`` warning. Only writers that lock are serialised: a plain ``>>``
from another program can interleave.

A last line without a line end (a writer that died mid-line) is never merged with the new row:
the row starts on its own line and the torn line is reported as a ``torn_line`` warning.

Values are matched to the file's header case-insensitively and by role aliases: the metric
(``val_bpb``, ``bpb``, ``metric_value``, the ``metric=`` name, else the file's known metric
column such as ``val_loss``), memory (any memory column; ``memory_gb`` given for a
``memory_mb`` column is converted), status (``verdict``, ``decision``, ...), description
(``notes``, ``desc``, ...; without any, the experiment's name column: ``experiment``,
``exp_id``, ``name``, ...) and commit (``git_commit``, ...).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import time
from collections.abc import Mapping, Sequence

from autolab_shared.core.diagnostics import ParseWarning
from autolab_shared.core.errors import InputError
from autolab_shared.core.filelock import wait_lock
from autolab_shared.core.vocabulary import WarningCode
from autolab_shared.files.outputpaths import irregular_kind
from autolab_shared.parsing.cellvalues import is_number
from autolab_shared.parsing.columns import (
    COMMIT_NAMES,
    DESCRIPTION_NAMES,
    STANDARD,
    STATUS_NAMES,
    description_index,
    make_schema,
    normalise_name,
)
from autolab_shared.parsing.crashes import clip
from autolab_shared.parsing.metrics import direction_for, is_metric_candidate, is_validation_metric
from autolab_shared.parsing.textio import MAX_INPUT_BYTES, decode, describe_size, file_kind, pread

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


def format_value(value: float | None) -> str:
    """A metric cell as autoresearch writes it: six decimals, a crash as ``0.000000``."""
    return f"{value or 0.0:.6f}"


def row_cells(
    commit: str,
    metric: str,
    value: float | None,
    memory_gb: float | None,
    status: str,
    description: str,
) -> dict[str, str]:
    """The cells of one results row keyed by column name (a crash as ``0.000000`` / ``0.0``):
    the one place a row's values are written out."""
    return {
        "commit": commit,
        metric: format_value(value),
        "memory_gb": f"{memory_gb or 0.0:.1f}",
        "status": status,
        "description": sanitise(description),
    }


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
    named = description_index(names)  # a name column describes when no description column does
    for i, name in enumerate(names):
        role = _METRIC if i == metric_index else _name_role(name)
        if role is None and i == named:
            role = "description"
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
    warnings: list[ParseWarning] | None = None,
) -> str:
    """Append one row in place under a lock on the file; returns the row written.

    A missing or empty file gets the ``default_columns`` header first. Errors raise InputError;
    warnings (a torn last line) go to ``warnings`` when given.
    """
    name = os.fspath(path)
    if not os.path.lexists(name):
        first, row, _ = _addition(name, None, values, default_columns, metric)
        if _create_whole(name, first):
            return row
    fd = _open(name)
    try:
        _lock(fd, name, timeout)
        size = os.fstat(fd).st_size
        data = _read_all(fd, name, size)
        addition, row, torn = _addition(name, data or None, values, default_columns, metric)
        _write_all(fd, name, addition, size)
    finally:
        os.close(fd)  # closing the descriptor releases the lock
    if torn is not None and warnings is not None:
        reason = clip(f"the last line had no line end (a writer cut off?); kept as is: {torn}")
        warnings.append(ParseWarning(name, None, WarningCode.TORN_LINE, reason))
    return row


def _create_whole(name: str, content: bytes) -> bool:
    """Create ``name`` with ``content`` at once (a temp file linked into place); False if it exists.

    A reader never sees the new file empty or half written; a writer that loses the race appends.
    """
    target = os.path.realpath(name)
    folder = os.path.dirname(target) or "."
    temp = os.path.join(folder, f".{os.path.basename(target)}.{os.getpid()}.{time.time_ns()}.new")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        try:
            os.write(fd, content)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.link(temp, target)
    except FileExistsError:
        return False
    except OSError as exc:
        raise InputError(name, f"cannot create: {exc.strerror or exc}; no row appended") from None
    finally:
        with contextlib.suppress(OSError):
            os.remove(temp)
    _sync_directory(folder)
    return True


def _open(name: str) -> int:
    """A read-write, append-only descriptor of the regular file ``name`` (created if missing)."""
    existing = irregular_kind(name, "cannot open")
    if existing is not None:
        raise InputError(name, f"is {existing}, not a regular file; no row appended")
    flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(name, flags | getattr(os, "O_NONBLOCK", 0), 0o666)
    except IsADirectoryError:
        raise InputError(name, "is a directory, not a file") from None
    except OSError as exc:
        raise InputError(name, f"cannot open for appending: {exc.strerror or exc}") from None
    kind = file_kind(os.fstat(fd).st_mode)
    if kind is not None:
        os.close(fd)
        raise InputError(name, f"is {kind}, not a regular file; no row appended")
    return fd


def _lock(fd: int, name: str, timeout: float) -> None:
    """Take the exclusive lock on ``fd``, polling until ``timeout`` seconds pass."""
    try:
        taken = wait_lock(fd, timeout)
    except OSError as exc:
        raise InputError(name, f"could not lock it: {exc.strerror or exc}") from None
    if not taken:
        raise InputError(name, f"could not lock it within {timeout:g} s (another writer)")


def _read_all(fd: int, name: str, size: int) -> bytes:
    """The file's bytes, read under the lock."""
    if size > MAX_INPUT_BYTES:
        raise InputError(name, f"is {describe_size(size)}, over the input limit; no row appended")
    chunks: list[bytes] = []
    offset = 0
    try:
        while offset < size:
            chunk = pread(fd, size - offset, offset)
            if not chunk:
                break
            chunks.append(chunk)
            offset += len(chunk)
    except OSError as exc:
        raise InputError(name, f"cannot read: {exc.strerror or exc}") from None
    return b"".join(chunks)


def _write_all(fd: int, name: str, addition: bytes, size: int) -> None:
    """One ``write`` of ``addition``, then fsync; a failure cuts the file back to ``size``."""
    try:
        written = os.write(fd, addition)
        if written != len(addition):
            raise OSError(errno.ENOSPC, f"short write ({written} of {len(addition)} bytes)")
        os.fsync(fd)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.ftruncate(fd, size)
            os.fsync(fd)
        raise InputError(name, f"cannot write: {exc.strerror or exc}; no row appended") from None


def _sync_directory(directory: str) -> None:
    """Make a newly created file's directory entry durable (best effort)."""
    if os.name == "nt":  # pragma: no cover
        return
    with contextlib.suppress(OSError):
        fd = os.open(directory or ".", os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _addition(
    name: str,
    data: bytes | None,
    values: Mapping[str, str],
    default_columns: Sequence[str],
    metric: str | None,
) -> tuple[bytes, str, str | None]:
    """The bytes to append, the row, and the torn last line when there is one.

    The header is the first non-blank line (kept as is); a first line whose second field is a
    number means a header-less file, read as ``default_columns``.
    """
    decoded = None if data is None else decode(data, name)
    if data is None or decoded is None or not decoded.text.strip():
        header = "\t".join(sanitise(column) for column in default_columns)
        row = format_row(default_columns, values, metric=metric)
        prefix = "\n" if data and not data.endswith((b"\n", b"\r")) else ""
        return f"{prefix}{header}\n{row}\n".encode(), row, None
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
    torn = None if text.endswith(("\n", "\r")) else text.rsplit("\n", 1)[-1]
    tail = ("" if torn is None else end) + row + end
    return tail.encode(decoded.encoding, errors="replace"), row, torn


def _first_line(text: str) -> tuple[str, str]:
    """The first non-blank line and its line end (LF when it has none)."""
    for found in _LINE.finditer(text):
        if found.group(1).strip():
            return found.group(1), found.group(2) or "\n"
    return "", "\n"
