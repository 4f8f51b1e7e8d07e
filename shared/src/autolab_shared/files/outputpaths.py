"""Check the files a command will write before it writes anything.

An output that is one of the inputs (same path, a symlink to it or a hard link of it) or that
two options share is a usage error (:class:`OutputClash`, exit 4); an output that cannot be
written (missing or read-only folder, a directory, a FIFO) is an InputError (exit 3). Both are
raised before the first byte is written, so a run never ends half-done.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from autolab_shared.core.errors import AutolabError, InputError
from autolab_shared.parsing.textio import file_kind


class OutputClash(AutolabError):
    """An output path names an input file or another output (a usage error)."""


def _identity(path: str) -> tuple[str, tuple[int, int] | None]:
    """The resolved path and, when the file exists, its (device, inode)."""
    real = os.path.realpath(path)
    try:
        st = os.stat(real)
    except OSError:
        return real, None
    return real, (st.st_dev, st.st_ino)


def _same(a: tuple[str, tuple[int, int] | None], b: tuple[str, tuple[int, int] | None]) -> bool:
    return a[0] == b[0] or (a[1] is not None and a[1] == b[1])


def check_outputs(
    outputs: Mapping[str, str | None],
    inputs: Mapping[str, str | None],
    *,
    replaced: bool = True,
) -> None:
    """Refuse outputs that are inputs or each other, or (``replaced``) that cannot be written.

    ``outputs`` and ``inputs`` map an option name (``--html``) to its path (None or ``-``:
    not given or a stream). ``replaced``: the outputs are written whole (a temp file renamed
    over them), so their folder must be writable.
    """
    given_in = {opt: _identity(p) for opt, p in inputs.items() if p and p != "-"}
    seen: dict[str, tuple[str, tuple[int, int] | None]] = {}
    for opt, path in outputs.items():
        if not path or path == "-":
            continue
        here = _identity(path)
        for other, there in [*given_in.items(), *seen.items()]:
            if _same(here, there):
                role = "the input file of" if other in given_in else "also the output of"
                raise OutputClash(f"{opt} {path!r} is {role} {other}; refusing to overwrite it")
        seen[opt] = here
        if replaced:
            _writable(opt, path)


def irregular_kind(path: str, doing: str) -> str | None:
    """What stands at ``path`` when it is not a regular file (``a directory``, ...); None for a
    regular file or nothing; InputError ``doing: reason`` when it cannot be looked at."""
    try:
        return file_kind(os.stat(path).st_mode)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InputError(path, f"{doing}: {exc.strerror or exc}") from None


def _writable(opt: str, path: str) -> None:
    """InputError unless ``path`` can be created or replaced."""
    folder = os.path.dirname(os.path.abspath(path))
    kind = irregular_kind(path, f"cannot write {opt}")
    if kind is not None:
        raise InputError(path, f"cannot write {opt}: it is {kind}, not a regular file")
    if not os.path.isdir(folder):
        raise InputError(path, f"cannot write {opt}: no such folder {folder}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(path, f"cannot write {opt}: the folder {folder} is not writable")
