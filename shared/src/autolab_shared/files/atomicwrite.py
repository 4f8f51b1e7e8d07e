"""Write a file all at once: a temp file beside the target, fsynced and ``os.replace``-d over it.

A reader sees the old file or the new one, never a partial one; a failure removes the temp file
and leaves the target as it was.
"""

from __future__ import annotations

import contextlib
import os

from autolab_shared.core.errors import InputError


def write_atomic(
    target: str, content: bytes, *, name: str | None = None, mode: int | None = None
) -> None:
    """Replace ``target`` by ``content``; an OSError becomes an InputError naming ``name``."""
    directory = os.path.dirname(target) or "."
    temp = os.path.join(
        directory, f".{os.path.basename(target)}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    )
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(content)
                fh.flush()
                os.fsync(fh.fileno())
            if mode is not None:
                os.chmod(temp, mode)
            os.replace(temp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.remove(temp)
            raise
    except OSError as exc:
        raise InputError(name or target, f"cannot write: {exc.strerror or exc}") from None
    _sync_directory(directory)


def _sync_directory(directory: str) -> None:
    """Make the rename durable (best effort: not every system can fsync a directory)."""
    if os.name == "nt":  # pragma: no cover
        return
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
