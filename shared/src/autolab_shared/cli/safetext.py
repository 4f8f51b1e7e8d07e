"""Make text from data safe to show on a terminal or in a CI log (docs/security.md).

Control characters, bidi overrides and line separators become visible escapes (``\\x1b``,
``\\u202e``), so data can neither move the cursor, retitle the terminal, reorder what is
read, nor start a line of its own; a line that would start with ``::`` (a GitHub Actions
workflow command) has its first colon escaped. Every function here is idempotent.

Text whose every character is printable (``str.isprintable``: no control, format or separator
character, so none of those below) and that holds no ``::`` is returned as it is, without
the patterns, which are then never compiled (most output needs none of them).
"""

from __future__ import annotations

import re

# C0 controls but tab, DEL, C1 controls, bidi marks/embeddings/overrides/isolates, the
# Unicode line and paragraph separators and the byte-order mark.
_FORMATTING = "\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff"
_UNSAFE = f"[\x00-\x08\x0a-\x1f{_FORMATTING}]"
_UNSAFE_KEEP_NEWLINE = f"[\x00-\x08\x0b-\x1f{_FORMATTING}]"
_WORKFLOW_COMMAND = r"^(\s*):(?=:)"


def _plain_lines(text: str) -> bool:
    """True when no line of ``text`` needs any escape: all printable, no ``::`` anywhere."""
    return "::" not in text and all(line.isprintable() for line in text.split("\n"))


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str, *, tabs: bool = False) -> str:
    """One data value as one visible-safe line: every control escaped, newlines included.

    ``tabs=True`` keeps tab characters (for TSV); otherwise they are escaped as ``\\x09``.
    """
    if text.isprintable():
        return text
    out = re.sub(_UNSAFE, _escape, text)
    return out if tabs else re.sub("\t", _escape, out)


def safe_line(line: str) -> str:
    """A line about to be written: controls escaped (tabs kept), no leading ``::``."""
    if line.isprintable() and "::" not in line:
        return line
    return re.sub(_WORKFLOW_COMMAND, r"\1\\x3a", re.sub(_UNSAFE, _escape, line))


def safe_text(text: str) -> str:
    """Text of several lines: each line made safe by ``safe_line``; the newlines stay."""
    if _plain_lines(text) or (not re.search(_UNSAFE_KEEP_NEWLINE, text) and "::" not in text):
        return text
    return "\n".join(safe_line(line) for line in text.split("\n"))


def is_safe(text: str) -> bool:
    """True when no line of ``text`` needs ``safe_line`` (what tests and fuzzers assert)."""
    return _plain_lines(text) or (
        not re.search(_UNSAFE_KEEP_NEWLINE, text)
        and not any(re.match(_WORKFLOW_COMMAND, line) for line in text.split("\n"))
    )


def json_safe(document: str) -> str:
    """A JSON document with the characters JSON leaves raw (DEL, C1, bidi, U+2028/9) escaped
    as ``\\uXXXX``: the same data once parsed, nothing raw on a terminal."""
    if all(line.isprintable() for line in document.split("\n")):
        return document
    return re.sub(_UNSAFE_KEEP_NEWLINE, lambda m: f"\\u{ord(m.group()):04x}", document)
