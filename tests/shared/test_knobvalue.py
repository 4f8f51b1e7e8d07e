"""The one knob-value reader: forms, the K/M/B rule (±3 %), and time on hostile text."""

from __future__ import annotations

import math
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autolab_shared.parsing.cellvalues import parse_cell
from autolab_shared.steering.ideas import values_equal
from autolab_shared.steering.knobs import parse_value as knobs_parse_value
from autolab_shared.steering.knobvalue import (
    TOLERANCE,
    is_abbreviated,
    parse_value,
    readings,
    relative_step,
    same_number,
)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("524K", 524_000.0),
        ("512K", 512_000.0),
        ("2**19", 524_288.0),
        ("2^19", 524_288.0),
        ("0.5M", 500_000.0),
        ("1e-3", 0.001),
        ("3e-4", 3e-4),
        ("x2", 2.0),
        ("2x", 2.0),
        ("×2", 2.0),
        ("half", 0.5),
        ("5%", 0.05),
        ("3 * 2**18", 786_432.0),
        ("1/8", 0.125),
    ],
)
def test_forms(text: str, value: float) -> None:
    assert parse_value(text) == pytest.approx(value, rel=1e-12)


def test_knobs_reads_numbers_with_the_same_reader() -> None:
    assert knobs_parse_value is parse_value


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("524K", "2**19"),
        ("262K", "2**18"),
        ("512K", "524288"),
        ("0.5M", "2**19"),
        ("256K", "262144"),
        ("1M", "2**20"),
    ],
)
def test_abbreviations_match_within_the_tolerance(a: str, b: str) -> None:
    assert same_number(a, b) is True
    assert values_equal(a, b) and values_equal(b, a)


@pytest.mark.parametrize(("a", "b"), [("0.68", "0.7"), ("524K", "2**18"), ("131K", "2**18")])
def test_different_values_stay_different(a: str, b: str) -> None:
    assert same_number(a, b) is False


def test_not_numbers() -> None:
    assert same_number("SSSL", "1") is None
    for text in ("SSSL", "", "2**", "1e999", "(0.9, 0.95)", "x", "k"):
        assert readings(text) is None, text


@given(st.integers(min_value=1, max_value=10_000))
def test_k_suffix_is_1000_and_matches_1024_within_tolerance(n: int) -> None:
    assert parse_value(f"{n}K") == n * 1000
    assert is_abbreviated(f"{n}K")
    assert same_number(f"{n}K", str(n * 1024))
    assert same_number(f"{n}K", str(n * 1000 * (1 + TOLERANCE * 0.9)))
    assert not same_number(f"{n}K", str(n * 1024 * (1 + TOLERANCE * 1.2)))


@given(st.floats(min_value=1e-6, max_value=1e6))
def test_plain_numbers_are_exact(x: float) -> None:
    assert same_number(repr(x), format(x, ".15g"))
    assert not same_number(repr(x), repr(x * 1.01))


@given(st.text(max_size=60))
def test_any_text_reads_as_a_finite_number_or_none(text: str) -> None:
    value = parse_value(text)
    assert value is None or math.isfinite(value)


@pytest.mark.parametrize("text", ["1" * 50_000, "2**" * 10_000, "1e" * 20_000, "1*" * 20_000])
def test_long_text_reads_fast(text: str) -> None:
    start = time.perf_counter()
    readings(text)
    readings(text + "x")
    assert time.perf_counter() - start < 2.0  # a generous bound: milliseconds in practice


@given(st.decimals(min_value=0, max_value=10**6, places=3), st.sampled_from(["k", "K"]))
def test_a_metric_cell_and_a_knob_value_read_k_alike(number: object, suffix: str) -> None:
    """The two number readers (results cells, knob values) agree on K: x1000 for the value."""
    text = f"{number}{suffix}"
    cell = parse_cell(text).value
    assert cell is not None and cell == pytest.approx(parse_value(text), rel=1e-12)


@pytest.mark.parametrize(
    ("old", "new", "sign"),
    [("0.04", "0.05", 1), ("0.05", "0.04", -1), ("-30%", "-27%", 1), ("-0.3", "-0.33", -1)],
)
def test_relative_step_is_positive_when_the_value_rises(old: str, new: str, sign: int) -> None:
    step = relative_step(old, new)
    assert step is not None and (step > 0) == (sign > 0)
