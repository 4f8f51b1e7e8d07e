"""Make text from data safe to show on a terminal or in a CI log (docs/security.md).

Control characters, bidi overrides and line separators become visible escapes (``\\x1b``,
``\\u202e``), so data can neither move the cursor, retitle the terminal, reorder what is
read, nor start a line of its own; a line that would start with ``::`` (a GitHub Actions
workflow command) has its first colon escaped. Every function here is idempotent.
"""

from __future__ import annotations

import re

# C0 controls but tab, DEL, C1 controls, bidi marks/embeddings/overrides/isolates, the
# Unicode line and paragraph separators and the byte-order mark.
_FORMATTING = "\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff"
_UNSAFE = re.compile(f"[\x00-\x08\x0a-\x1f{_FORMATTING}]")
_UNSAFE_KEEP_NEWLINE = re.compile(f"[\x00-\x08\x0b-\x1f{_FORMATTING}]")
_TAB = re.compile("\t")
_WORKFLOW_COMMAND = re.compile(r"^(\s*):(?=:)")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str, *, tabs: bool = False) -> str:
    """One data value as one visible-safe line: every control escaped, newlines included.

    ``tabs=True`` keeps tab characters (for TSV); otherwise they are escaped as ``\\x09``.
    """
    out = _UNSAFE.sub(_escape, text)
    return out if tabs else _TAB.sub(_escape, out)


def safe_line(line: str) -> str:
    """A line about to be written: controls escaped (tabs kept), no leading ``::``."""
    return _WORKFLOW_COMMAND.sub(r"\1\\x3a", _UNSAFE.sub(_escape, line))


def safe_text(text: str) -> str:
    """Text of several lines: each line made safe by ``safe_line``; the newlines stay."""
    if not _UNSAFE_KEEP_NEWLINE.search(text) and "::" not in text:
        return text
    return "\n".join(safe_line(line) for line in text.split("\n"))


def is_safe(text: str) -> bool:
    """True when no line of ``text`` needs ``safe_line`` (what tests and fuzzers assert)."""
    return not _UNSAFE_KEEP_NEWLINE.search(text) and not any(
        _WORKFLOW_COMMAND.match(line) for line in text.split("\n")
    )


def json_safe(document: str) -> str:
    """A JSON document with the characters JSON leaves raw (DEL, C1, bidi, U+2028/9) escaped
    as ``\\uXXXX``: the same data once parsed, nothing raw on a terminal."""
    return _UNSAFE_KEEP_NEWLINE.sub(lambda m: f"\\u{ord(m.group()):04x}", document)
