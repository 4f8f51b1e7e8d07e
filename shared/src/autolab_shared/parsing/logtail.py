"""Read the end of a log: a run.log's summary is at its end, and a log can be gigabytes.

A log up to :data:`TAIL_BYTES` is read whole. A longer one is read from its last
``TAIL_BYTES`` only (starting after the first line break there), so time and memory stay
bounded whatever the size; its line numbers then count from the first line read (counting the
newlines of 200 MB before it would cost more than the whole parse), which the ``tail_only``
warning says. UTF-16 logs (rare) are read whole, up to the input size limit.
"""

from __future__ import annotations

import os
from collections import deque
from dataclasses import dataclass
from typing import BinaryIO

from autolab_shared.core.errors import InputError
from autolab_shared.parsing.textio import open_regular, pread, read_bytes

TAIL_BYTES = 4 * 1024 * 1024
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Tail:
    """The bytes read, the line number of their first line, the bytes skipped, the file size."""

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
        head = pread(fd, 4, 0) if size > tail else b""
        if size <= tail or _utf16(head):
            os.close(fd)
            fd = -1
            data = read_bytes(name)
            return Tail(data, 1, 0, len(data))
        start = size - tail
        return _trim(pread(fd, tail, start), None, start, size)
    except OSError as exc:
        raise InputError(name, f"cannot read: {exc.strerror or exc}") from None
    finally:
        if fd >= 0:
            os.close(fd)


def read_stream_tail(stream: BinaryIO, name: str, *, tail: int = TAIL_BYTES) -> Tail:
    """The end of a stream (standard input), keeping about ``tail`` bytes (plus a chunk)."""
    chunks: deque[bytes] = deque()
    kept = lines = skipped = 0
    try:
        while chunk := stream.read(_CHUNK):
            chunks.append(chunk)
            kept += len(chunk)
            while kept - len(chunks[0]) >= tail:
                dropped = chunks.popleft()
                kept -= len(dropped)
                skipped += len(dropped)
                lines += dropped.count(b"\n")
    except OSError as exc:
        raise InputError(name, f"cannot read: {exc.strerror or exc}") from None
    data = b"".join(chunks)
    if not skipped:
        return Tail(data, 1, 0, len(data))
    return _trim(data, lines, skipped, skipped + len(data))


def _utf16(head: bytes) -> bool:
    return head[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(head) == 4 and head.count(0) == 2)


def _trim(data: bytes, lines_before: int | None, start: int, size: int) -> Tail:
    """Drop the partial first line piece of a tail (up to its first ``\\n`` or ``\\r``).

    ``lines_before``: newlines before ``start`` when known; else lines count from the tail.
    """
    cut = min((i for i in (data.find(b"\n"), data.find(b"\r")) if i >= 0), default=-1)
    if lines_before is None:
        return Tail(data[cut + 1 :], 1, start + cut + 1, size)
    first_line = lines_before + 1
    if cut < 0:
        return Tail(b"", first_line, start + len(data), size)
    if data[cut : cut + 1] == b"\n":
        first_line += 1
    return Tail(data[cut + 1 :], first_line, start + cut + 1, size)
