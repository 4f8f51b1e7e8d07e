"""Read the end of a log: a run.log's summary is at its end, and a log can be gigabytes.

A log up to :data:`TAIL_BYTES` is read whole. A longer one is read from its last
``TAIL_BYTES`` (starting after the first line break there), with its newlines before that
counted in fixed-size chunks so that line numbers stay those of the file; memory stays bounded
whatever the size. UTF-16 logs (rare) are read whole, up to the input size limit.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import BinaryIO

from .errors import InputError
from .textio import open_regular, read_bytes

TAIL_BYTES = 4 * 1024 * 1024
_CHUNK = 16 * 1024 * 1024


@dataclass(frozen=True)
class Tail:
    """The bytes read, the file line number of their first line, the bytes skipped, the size."""

    data: bytes
    first_line: int = 1
    skipped: int = 0
    size: int = 0


def read_tail(path: str | os.PathLike[str], *, tail: int = TAIL_BYTES) -> Tail:
    """The end of a regular file (all of it when short); problems raise InputError."""
    name = os.fspath(path)
    fd = open_regular(name)
    try:
        size = os.fstat(fd).st_size
        head = os.pread(fd, 4, 0) if size > tail else b""
        if size <= tail or _utf16(head):
            os.close(fd)
            fd = -1
            data = read_bytes(name)
            return Tail(data, 1, 0, len(data))
        start = size - tail
        lines = _count_newlines(fd, start)
        return _trim(os.pread(fd, tail, start), lines, start, size)
    except OSError as exc:
        raise InputError(name, f"cannot read: {exc.strerror or exc}") from None
    finally:
        if fd >= 0:
            os.close(fd)


def read_stream_tail(stream: BinaryIO, name: str, *, tail: int = TAIL_BYTES) -> Tail:
    """The end of a stream (standard input), keeping at most ``2 * tail`` bytes in memory."""
    kept = b""
    lines = skipped = 0
    try:
        while chunk := stream.read(_CHUNK):
            kept += chunk
            if len(kept) > 2 * tail:
                drop = len(kept) - tail
                lines += kept.count(b"\n", 0, drop)
                skipped += drop
                kept = kept[drop:]
    except OSError as exc:
        raise InputError(name, f"cannot read: {exc.strerror or exc}") from None
    if not skipped:
        return Tail(kept, 1, 0, len(kept))
    return _trim(kept, lines, skipped, skipped + len(kept))


def _utf16(head: bytes) -> bool:
    return head[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(head) == 4 and head.count(0) == 2)


def _count_newlines(fd: int, end: int) -> int:
    """Newlines in the file's first ``end`` bytes, read in chunks."""
    count = offset = 0
    while offset < end:
        chunk = os.pread(fd, min(_CHUNK, end - offset), offset)
        if not chunk:
            break
        count += chunk.count(b"\n")
        offset += len(chunk)
    return count


def _trim(data: bytes, lines_before: int, start: int, size: int) -> Tail:
    """Drop the partial first line piece of a tail (up to its first ``\\n`` or ``\\r``)."""
    cut = min((i for i in (data.find(b"\n"), data.find(b"\r")) if i >= 0), default=-1)
    first_line = lines_before + 1
    if cut < 0:
        return Tail(b"", first_line, start + len(data), size)
    if data[cut : cut + 1] == b"\n":
        first_line += 1
    return Tail(data[cut + 1 :], first_line, start + cut + 1, size)
