"""safetext: any text becomes terminal-safe, idempotently, and plain text is left alone."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from autolab_shared.cli.safetext import is_safe, json_safe, safe_line, safe_text, visible
from autolab_shared.cli.streams import to_ascii

HOSTILE = st.text(st.characters(codec=None), max_size=80) | st.sampled_from(
    ["\x1b]0;t\x07", "a\rb", "\u202eab", "  ::error::x", "\x9b31m", "x\u2028y", "\tx\t"]
)


@given(HOSTILE)
def test_any_value_becomes_one_safe_line(text: str) -> None:
    shown = visible(text)
    assert "\n" not in shown and "\t" not in shown and is_safe("x " + shown)  # mid-line
    assert visible(shown) == shown


@given(HOSTILE)
def test_lines_and_texts_are_safe_and_idempotent(text: str) -> None:
    line, block = safe_line(text), safe_text(text)
    assert "\n" not in line and is_safe(line) and safe_line(line) == line
    assert is_safe(block) and safe_text(block) == block
    assert block.count("\n") == text.count("\n")  # a text keeps its lines


@given(st.text(st.characters(blacklist_categories=["Cc", "Cf", "Zl", "Zp"]), max_size=80))
def test_printable_text_is_left_alone(text: str) -> None:
    if not text.lstrip().startswith("::"):
        assert safe_line(text) == text == safe_text(text)


@given(st.text(max_size=80))
def test_json_escaping_keeps_the_data(text: str) -> None:
    document = json_safe(json.dumps({"d": text}, ensure_ascii=False))
    assert json.loads(document) == {"d": text} and is_safe(document)


@given(st.text(max_size=80))
def test_to_ascii_is_ascii(text: str) -> None:
    assert to_ascii(text).isascii()
    assert to_ascii("±0.001 → x — café") == "+/-0.001 -> x -- cafe"
