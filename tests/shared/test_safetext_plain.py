"""The printable-text shortcut of safetext returns exactly what the patterns would."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from autolab_shared.cli import safetext
from autolab_shared.cli.safetext import json_safe, safe_line, safe_text, visible

UNSAFE = re.compile(safetext._UNSAFE)
UNSAFE_KEEP_NEWLINE = re.compile(safetext._UNSAFE_KEEP_NEWLINE)
WORKFLOW = re.compile(safetext._WORKFLOW_COMMAND)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def test_no_character_the_patterns_escape_is_printable() -> None:
    escaped = [chr(c) for c in range(0x110000) if UNSAFE_KEEP_NEWLINE.fullmatch(chr(c))]
    assert escaped and not any(ch.isprintable() for ch in [*escaped, "\n", "\t"])


TEXT = st.lists(
    st.sampled_from(["a", " ", "::", ":", "\t", "\n", "\r", "\x1b", "\u202e", "\u2028", "é", "±"])
    | st.text(max_size=4),
    max_size=8,
).map("".join)


@settings(max_examples=500, deadline=None)
@given(TEXT)
def test_every_function_gives_the_patterns_answer(text: str) -> None:
    out = UNSAFE.sub(_escape, text)
    assert visible(text) == re.sub("\t", _escape, out) and visible(text, tabs=True) == out
    assert safe_line(text) == WORKFLOW.sub(r"\1\\x3a", out)
    plain = not UNSAFE_KEEP_NEWLINE.search(text) and "::" not in text
    lines = "\n".join(WORKFLOW.sub(r"\1\\x3a", UNSAFE.sub(_escape, ln)) for ln in text.split("\n"))
    assert safe_text(text) == (text if plain else lines)
    assert json_safe(text) == UNSAFE_KEEP_NEWLINE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
