"""The standard streams as a CLI finds them: closed, broken or unable to encode non-ASCII.

``prepare_streams`` runs first in every CLI: a closed fd 0/1/2 is reopened on /dev/null (so
no file the tool opens, and no child it starts, lands on it), a missing ``sys.stdout`` becomes a
sink, and a stream that cannot encode Unicode (``PYTHONIOENCODING=ascii``) degrades characters
to ASCII instead of failing.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import os
import sys
import unicodedata
from typing import IO, Any

from autolab_shared.core.errors import InputError

ASCII_ERRORS = "autolab-ascii"
_ASCII = {
    "±": "+/-", "→": "->", "⟶": "->", "⇒": "=>", "←": "<-", "—": "--", "–": "-", "−": "-",
    "…": "...", "·": ".", "×": "x", "≥": ">=", "≤": "<=", "≈": "~", "≠": "!=", "σ": "sigma",
    "Δ": "delta", "δ": "delta", "μ": "mu", "²": "^2", "✔": "ok", "✓": "ok", "✗": "x",
    "▁": "_", "▂": ".", "▃": ",", "▄": "-", "▅": "~", "▆": "=", "▇": "*", "█": "#",
    "‘": "'", "’": "'", "“": '"', "”": '"', "•": "*", "\u00a0": " ",
}  # fmt: skip


def to_ascii(text: str) -> str:
    """ASCII look-alikes for known symbols, accents dropped, anything else as ``\\uXXXX``."""
    out = []
    for char in text:
        if char.isascii():
            out.append(char)
        elif char in _ASCII:
            out.append(_ASCII[char])
        else:
            base = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
            out.append(base or _escape(char))
    return "".join(out)


def _escape(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _ascii_errors(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    return to_ascii(exc.object[exc.start : exc.end]), exc.end


codecs.register_error(ASCII_ERRORS, _ascii_errors)


def prepare_streams() -> None:
    """Make the standard streams safe to use, whatever state the caller left them in."""
    for fd in (0, 1, 2):
        _reserve(fd)
    for name in ("stdin", "stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is None and name == "stdin":  # Python found the fd closed at start-up
            sys.stdin = ClosedInput()
        elif stream is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115
        elif name != "stdin":
            _degrade_to_ascii(stream)


def _reserve(fd: int) -> None:
    """Reopen a closed standard fd on /dev/null."""
    try:
        os.fstat(fd)
    except OSError:
        opened = os.open(os.devnull, os.O_RDONLY if fd == 0 else os.O_WRONLY)
        if opened != fd:
            os.dup2(opened, fd)
            os.close(opened)


def unicode_capable(stream: IO[str] | None) -> bool:
    """Whether ``stream`` can encode any character (a UTF encoding)."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        return codecs.lookup(encoding).name.startswith("utf")
    except LookupError:
        return False


def ascii_locale() -> bool:
    """Whether the environment declares an ASCII terminal: ``LC_ALL=C`` (or ``POSIX``), which
    Python itself overrides with UTF-8; ``PYTHONIOENCODING`` and ``PYTHONUTF8`` win over it."""
    if os.environ.get("PYTHONIOENCODING") or os.environ.get("PYTHONUTF8"):
        return False
    return os.environ.get("LC_ALL", "") in ("C", "POSIX")


def _degrade_to_ascii(stream: IO[str]) -> None:
    if not isinstance(stream, io.TextIOWrapper):
        return
    with contextlib.suppress(ValueError, OSError):  # closed or detached: nothing is written
        if ascii_locale():
            stream.reconfigure(encoding="ascii", errors=ASCII_ERRORS)
        elif not unicode_capable(stream):
            stream.reconfigure(errors=ASCII_ERRORS)


class ClosedInput(io.RawIOBase):
    """Standard input that was closed when the tool started: reading it is an input error."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        raise InputError("<stdin>", "standard input is closed (pass a file instead of '-')")

    @property
    def buffer(self) -> ClosedInput:
        return self
