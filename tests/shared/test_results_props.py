"""Property tests: the results parser never crashes, loses no line and reads what it is given."""

from __future__ import annotations

import math
from typing import NamedTuple

from hypothesis import given, settings
from hypothesis import strategies as st
from line_accounting import assert_lines_accounted

from autolab_shared.core.errors import InputError
from autolab_shared.parsing.results import History, parse_results

PROPS = settings(max_examples=150, deadline=None)
HEADER = "commit\tval_bpb\tmemory_gb\tstatus\tdescription\n"


class Row(NamedTuple):
    """One generated standard row."""

    commit: str
    value: float
    memory: float
    status: str
    description: str

    def line(self) -> str:
        return (
            f"{self.commit}\t{self.value:.6f}\t{self.memory:.1f}\t{self.status}\t{self.description}"
        )


def _descriptions(alphabet: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.text(alphabet, min_size=1, max_size=40).map(str.strip).filter(bool)


# Any printable text: no control characters (tabs, line ends, NUL) and no surrogates.
UNICODE = st.characters(blacklist_categories=("Cc", "Cs"))
# cp1252 characters whose byte is ≥ 0xC0 never form valid UTF-8 next to ASCII or each other, so
# the cp1252 bytes decode back to the same text.
CP1252_SAFE = st.sampled_from([chr(c) for c in range(0x20, 0x7F)] + list("àéèêëïîôöùüçñÉÀÜß"))


def _rows(alphabet: st.SearchStrategy[str]) -> st.SearchStrategy[list[Row]]:
    row = st.builds(
        Row,
        commit=st.text("0123456789abcdef", min_size=7, max_size=12),
        value=st.floats(0.5, 3.0),
        memory=st.floats(1.0, 80.0),
        status=st.sampled_from(["keep", "discard", "crash", "KEEP", "reverted"]),
        description=_descriptions(alphabet),
    )
    return st.lists(row, min_size=1, max_size=30)


def _text(rows: list[Row]) -> str:
    return HEADER + "".join(row.line() + "\n" for row in rows)


def _parse(data: str | bytes) -> History | None:
    """Parse; InputError is an allowed outcome, anything else is a failure."""
    try:
        history = parse_results(data, "p.tsv")
    except InputError:
        return None
    assert_lines_accounted(history)
    assert all(e.value is None or math.isfinite(e.value) for e in history.experiments)
    assert all(e.value is None for e in history.crashes())
    return history


def _summary(history: History) -> list[tuple[object, ...]]:
    return [(e.line, e.commit, e.value, e.status, e.description) for e in history.experiments]


@PROPS
@given(st.binary(max_size=3000))
def test_random_bytes_give_a_history_or_an_input_error(data: bytes) -> None:
    _parse(data)


TOKENS = [*"\t\n\r ,\"'-=#%~.0123456789abcdef", "keep", "crash", "val_bpb", "commit"]
STRUCTURE = st.lists(st.sampled_from(TOKENS), max_size=300).map("".join)


@PROPS
@given(STRUCTURE)
def test_random_structured_text_gives_a_history_or_an_input_error(text: str) -> None:
    _parse(text)


DAMAGE = st.lists(
    st.tuples(st.sampled_from(["\t", "\n", "\r", "\r\n", "", '"', " "]), st.floats(0, 1)),
    min_size=1,
    max_size=12,
)


@PROPS
@given(_rows(UNICODE), DAMAGE)
def test_tab_and_newline_damage_loses_no_line(
    rows: list[Row], damage: list[tuple[str, float]]
) -> None:
    text = _text(rows)
    for insert, where in damage:
        at = int(where * len(text))
        # an empty insert deletes the character instead
        text = text[:at] + insert + text[at + (0 if insert else 1) :]
    _parse(text)


@PROPS
@given(_rows(CP1252_SAFE), st.sampled_from(["utf-8-sig", "utf-16", "utf-16-le", "cp1252"]))
def test_encodings_give_the_same_rows(rows: list[Row], encoding: str) -> None:
    text = _text(rows)
    plain = _parse(text.encode("utf-8"))
    other = _parse(text.encode(encoding))
    assert plain is not None and other is not None
    assert _summary(other) == _summary(plain)


@PROPS
@given(_rows(UNICODE), st.sampled_from(["\n", "\r\n"]), st.booleans())
def test_round_trip_of_a_standard_file(rows: list[Row], newline: str, final: bool) -> None:
    text = _text(rows).replace("\n", newline)
    history = _parse(text if final else text.rstrip("\r\n"))
    assert history is not None and len(history) == len(rows)
    for row, e in zip(rows, history.experiments, strict=True):
        crash = row.status == "crash"
        assert e.commit == row.commit and e.description == row.description
        assert e.value == (None if crash else float(f"{row.value:.6f}"))
        assert e.memory_gb == float(f"{row.memory:.1f}")
        assert e.status == {"KEEP": "keep", "reverted": "discard"}.get(row.status, row.status)
    allowed = {"crlf", "duplicate_row", "direction_conflict", "commit_reused"}
    assert {w.code for w in history.warnings} <= allowed
