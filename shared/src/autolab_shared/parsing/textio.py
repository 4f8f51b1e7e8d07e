"""Read input files as text: BOMs, UTF-16, invalid UTF-8 and I/O errors, with warnings."""

from __future__ import annotations

import codecs
import contextlib
import os
import stat
from dataclasses import dataclass
from typing import BinaryIO

from autolab_shared.core.diagnostics import ParseWarning
from autolab_shared.core.eqrepr import EqRepr
from autolab_shared.core.errors import InputError
from autolab_shared.core.filelock import wait_lock
from autolab_shared.core.vocabulary import WarningCode

_BOMS: tuple[tuple[bytes, str, str], ...] = (
    (codecs.BOM_UTF8, "utf-8", "UTF-8 byte-order mark removed"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "decoded as UTF-16LE (byte-order mark)"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "decoded as UTF-16BE (byte-order mark)"),
)


@dataclass(eq=False, repr=False)
class DecodedText(EqRepr):
    """Text decoded from bytes, the encoding used and any file-level warnings."""

    text: str
    encoding: str
    warnings: tuple[ParseWarning, ...]


_BINARY = getattr(os, "O_BINARY", 0)


MAX_INPUT_BYTES = 256 * 1024 * 1024
"""The largest input file read whole (results files, TOML): 256 MiB, ~40x a 100,000-row night."""


def describe_size(size: int) -> str:
    """``300.0 MB`` (decimal megabytes, as ``ls -lh --si`` would say)."""
    return f"{size / 1e6:.1f} MB"


def _limit(limit: int) -> str:
    """``256 MiB`` (or bytes below one MiB)."""
    return f"{limit >> 20} MiB" if limit >= 1 << 20 else f"{limit} bytes"


def file_kind(mode: int) -> str | None:
    """What a non-regular file is, in words; None for a regular file."""
    kinds = (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    )
    if stat.S_ISREG(mode):
        return None
    return next((words for test, words in kinds if test(mode)), "not a regular file")


def open_regular(name: str) -> int:
    """A read-only descriptor of a regular file; anything else raises InputError, never blocks.

    The path is checked before it is opened (opening a FIFO would wait for a writer) and the
    descriptor again after (the path may have been swapped in between).
    """
    try:
        kind = file_kind(os.stat(name).st_mode)
        if kind is None:
            fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | _BINARY)
            kind = file_kind(os.fstat(fd).st_mode)
            if kind is None:
                return fd
            os.close(fd)
    except FileNotFoundError:
        raise InputError(name, "no such file") from None
    except PermissionError:
        raise InputError(name, "permission denied (the file is not readable)") from None
    except OSError as exc:
        raise InputError(name, f"cannot read: {exc.strerror or exc}") from None
    hint = "; pipe it to standard input with '-' instead" if "pipe" in kind else ""
    raise InputError(name, f"is {kind}, not a regular file{hint}")


def pread(fd: int, size: int, offset: int) -> bytes:
    """``os.pread`` where there is one; seek and read elsewhere (Windows)."""
    if hasattr(os, "pread"):
        return os.pread(fd, size, offset)
    os.lseek(fd, offset, os.SEEK_SET)  # pragma: no cover - Windows
    return os.read(fd, size)  # pragma: no cover


def read_bytes(path: str | os.PathLike[str], *, limit: int = MAX_INPUT_BYTES) -> bytes:
    """Read a whole regular file of at most ``limit`` bytes; every problem is an InputError."""
    name = os.fspath(path)
    fd = open_regular(name)
    try:
        _shared_lock(fd)
        size = os.fstat(fd).st_size
        data = b"" if size > limit else _read_at_most(fd, name, limit + 1, size + 1)
    finally:
        os.close(fd)
    if size > limit or len(data) > limit:
        grown = max(size, len(data))
        raise InputError(
            name, f"is {describe_size(grown)}, over the {_limit(limit)} limit for this input"
        )
    return data


def _shared_lock(fd: int, wait: float = 5.0) -> None:
    """Wait (up to ``wait`` s) for a shared lock, so a row being appended is read whole or not at
    all (``autojudge --append`` writes under the exclusive lock); read anyway when none comes."""
    with contextlib.suppress(OSError):  # locks not supported here (some network file systems)
        wait_lock(fd, wait, shared=True)


def _read_at_most(fd: int, name: str, limit: int, expected: int = 0) -> bytes:
    """Up to ``limit`` bytes from ``fd`` (fewer at end of file). A first read of `expected`
    bytes (the size ``fstat`` gave, and one more) takes a whole file at once: no copy."""
    chunks: list[bytes] = []
    left = limit
    try:
        while left > 0:
            chunk = os.read(fd, min(left, max(expected, 1 << 20)))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as exc:
        raise InputError(name, f"cannot read: {exc.strerror or exc}") from None
    return b"".join(chunks)


def read_stream(stream: BinaryIO, name: str, *, limit: int = MAX_INPUT_BYTES) -> bytes:
    """Read a stream (standard input) of at most ``limit`` bytes; more raises InputError."""
    try:
        data = stream.read(limit + 1)
    except OSError as exc:
        raise InputError(name, f"cannot read: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise InputError(name, f"is over the {_limit(limit)} limit for this input")
    return data


def _utf16_without_bom(data: bytes) -> str | None:
    """Guess BOM-less UTF-16 (mostly ASCII text): NULs in most odd or most even bytes."""
    sample = data[: 4096 - 4096 % 2]
    half = len(sample) // 2
    if half < 4:
        return None
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    if odd >= 0.7 * half and even <= 0.1 * half:
        return "utf-16-le"
    if even >= 0.7 * half and odd <= 0.1 * half:
        return "utf-16-be"
    return None


def decode(data: bytes, path: str = "<bytes>") -> DecodedText:
    """Decode file bytes: BOM first, then UTF-8, then a UTF-16 guess, then cp1252/latin-1."""
    warnings: list[ParseWarning] = []
    for bom, encoding, reason in _BOMS:
        if data.startswith(bom):
            text = data[len(bom) :].decode(encoding, errors="replace")
            warnings.append(ParseWarning(path, None, WarningCode.BOM, reason))
            return DecodedText(_strip_nul(text, path, warnings), encoding, tuple(warnings))
    guess = _utf16_without_bom(data)
    if guess is not None:
        text = data.decode(guess, errors="replace")
        warnings.append(
            ParseWarning(path, None, WarningCode.ENCODING, f"decoded as {guess} (no BOM)")
        )
        return DecodedText(_strip_nul(text, path, warnings), guess, tuple(warnings))
    try:
        text = data.decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError as exc:
        encoding = _legacy_encoding(data)
        text = data.decode(encoding, errors="replace")
        warnings.append(
            ParseWarning(
                path,
                None,
                WarningCode.ENCODING,
                f"not valid UTF-8 (byte {exc.start}); decoded as {encoding}",
            )
        )
    return DecodedText(_strip_nul(text, path, warnings), encoding, tuple(warnings))


def _legacy_encoding(data: bytes) -> str:
    """cp1252 when it decodes cleanly, else latin-1 (which always does)."""
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return "latin-1"
    return "cp1252"


def _strip_nul(text: str, path: str, warnings: list[ParseWarning]) -> str:
    """Drop a leftover BOM and NUL characters (which no text format here uses), warning once."""
    text = text.removeprefix("\ufeff")
    if "\x00" not in text:
        return text
    warnings.append(
        ParseWarning(path, None, WarningCode.NUL, f"removed {text.count(chr(0))} NUL characters")
    )
    return text.replace("\x00", "")


def read_text(path: str | os.PathLike[str]) -> DecodedText:
    """Read and decode a file; missing or unreadable files raise InputError."""
    name = os.fspath(path)
    return decode(read_bytes(name), name)
