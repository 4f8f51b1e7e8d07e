"""Read input files as text: BOMs, UTF-16, invalid UTF-8 and I/O errors, with warnings."""

from __future__ import annotations

import codecs
import os
from dataclasses import dataclass

from .diagnostics import ParseWarning
from .errors import InputError

_BOMS: tuple[tuple[bytes, str, str], ...] = (
    (codecs.BOM_UTF8, "utf-8", "UTF-8 byte-order mark removed"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "decoded as UTF-16LE (byte-order mark)"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "decoded as UTF-16BE (byte-order mark)"),
)


@dataclass(frozen=True)
class DecodedText:
    """Text decoded from bytes, the encoding used and any file-level warnings."""

    text: str
    encoding: str
    warnings: tuple[ParseWarning, ...]


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    """Read a whole file, turning every OS error into an InputError naming the file."""
    name = os.fspath(path)
    try:
        with open(name, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        raise InputError(name, "no such file") from None
    except IsADirectoryError:
        raise InputError(name, "is a directory, not a file") from None
    except PermissionError:
        raise InputError(name, "permission denied") from None
    except OSError as exc:
        raise InputError(name, f"cannot read: {exc.strerror or exc}") from None


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
            warnings.append(ParseWarning(path, None, "bom", reason))
            return DecodedText(_strip_nul(text, path, warnings), encoding, tuple(warnings))
    guess = _utf16_without_bom(data)
    if guess is not None:
        text = data.decode(guess, errors="replace")
        warnings.append(ParseWarning(path, None, "encoding", f"decoded as {guess} (no BOM)"))
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
                "encoding",
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
    warnings.append(ParseWarning(path, None, "nul", f"removed {text.count(chr(0))} NUL characters"))
    return text.replace("\x00", "")


def read_text(path: str | os.PathLike[str]) -> DecodedText:
    """Read and decode a file; missing or unreadable files raise InputError."""
    name = os.fspath(path)
    return decode(read_bytes(name), name)
