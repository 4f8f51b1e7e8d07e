"""Pareto front of (metric value, memory): hand-made cases and properties."""

from __future__ import annotations

import math
import random
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autolab_shared.stats.pareto import (
    DOMINATED,
    EFFICIENT,
    Point,
    dominates,
    dominating,
    pareto_front,
    pareto_status,
)


def _p(key: str, value: float, memory: float) -> Point:
    return Point(key, value, memory)


def _keys(points: tuple[Point, ...]) -> list[str]:
    return [p.key for p in points]


def test_dominates_min_and_max() -> None:
    a, b = _p("a", 0.98, 40), _p("b", 0.99, 45)
    assert dominates(a, b, "min") and not dominates(b, a, "min")
    assert not dominates(a, b, "max") and not dominates(b, a, "max")
    assert dominates(_p("c", 0.99, 40), b, "max")


def test_dominates_needs_one_strict_improvement() -> None:
    a = _p("a", 0.99, 45)
    assert not dominates(a, _p("b", 0.99, 45), "min")
    assert dominates(a, _p("b", 0.99, 50), "min")
    assert dominates(a, _p("b", 1.00, 45), "min")


def test_bad_direction_is_rejected() -> None:
    with pytest.raises(ValueError, match="direction"):
        dominates(_p("a", 1, 1), _p("b", 1, 1), "lower")
    with pytest.raises(ValueError, match="direction"):
        pareto_front([], "up")


def test_equal_value_more_memory_is_dominated() -> None:
    points = [_p("big", 0.99, 50), _p("small", 0.99, 45), _p("best", 0.97, 60)]
    assert _keys(pareto_front(points, "min")) == ["small", "best"]


def test_equal_memory_worse_value_is_dominated() -> None:
    points = [_p("worse", 0.99, 45), _p("better", 0.98, 45)]
    assert _keys(pareto_front(points, "min")) == ["better"]
    assert _keys(pareto_front(points, "max")) == ["worse"]


def test_exact_duplicates_keep_the_first() -> None:
    points = [_p("x", 1.0, 10), _p("first", 0.9, 20), _p("second", 0.9, 20)]
    assert _keys(pareto_front(points, "min")) == ["x", "first"]


def test_front_sorted_by_memory_min_and_max() -> None:
    points = [
        _p("a", 0.95, 80),
        _p("b", 0.99, 40),
        _p("c", 0.97, 50),
        _p("d", 0.98, 70),  # dominated by c in min
        _p("e", 1.01, 30),
    ]
    assert _keys(pareto_front(points, "min")) == ["e", "b", "c", "a"]
    assert _keys(pareto_front(points, "max")) == ["e"]


def test_single_point_and_empty() -> None:
    assert pareto_front([_p("only", 1.0, 1.0)], "max") == (_p("only", 1.0, 1.0),)
    assert pareto_front([], "min") == ()


def test_non_finite_points_are_ignored() -> None:
    points = [
        _p("nan", math.nan, 1),
        _p("inf", 0.5, math.inf),
        _p("ok", 1.0, 2),
        _p("m", 0, -math.inf),
    ]
    assert _keys(pareto_front(points, "min")) == ["ok"]
    assert dominating(_p("c", 2.0, 3), points, "min") == (_p("ok", 1.0, 2),)


def test_status_and_dominating() -> None:
    others = [_p("a", 0.98, 40), _p("b", 0.99, 45), _p("c", 0.96, 70)]
    candidate = _p("new", 0.985, 50)
    assert dominating(candidate, others, "min") == (_p("a", 0.98, 40),)
    assert pareto_status(candidate, others, "min") == DOMINATED
    assert pareto_status(_p("new", 0.97, 50), others, "min") == EFFICIENT
    assert pareto_status(candidate, [], "min") == EFFICIENT
    assert pareto_status(candidate, [candidate], "min") == EFFICIENT
    assert pareto_status(_p("new", 0.99, 50), others, "max") == DOMINATED  # b: 0.99 at 45


def test_status_rejects_non_finite_candidate() -> None:
    with pytest.raises(ValueError, match="finite"):
        pareto_status(_p("x", math.nan, 1), [], "min")


_values = st.integers(min_value=0, max_value=20).map(lambda n: n / 10)
_points = st.lists(
    st.tuples(_values, _values).map(lambda vm: Point("", vm[0], vm[1])), max_size=40
).map(lambda ps: [Point(str(i), p.value, p.memory_gb) for i, p in enumerate(ps)])


@settings(max_examples=300, deadline=None)
@given(points=_points, direction=st.sampled_from(["min", "max"]))
def test_front_properties(points: list[Point], direction: str) -> None:
    front = pareto_front(points, direction)
    on_front = {p.key for p in front}
    assert [p.memory_gb for p in front] == sorted(p.memory_gb for p in front)
    for a in front:
        assert not any(dominates(b, a, direction) for b in points)
        assert not any(dominates(b, a, direction) for b in front)
    for p in points:
        if p.key in on_front:
            continue
        same = [f for f in front if (f.value, f.memory_gb) == (p.value, p.memory_gb)]
        assert same or any(dominates(f, p, direction) for f in front)
        assert pareto_status(p, front, direction) == (EFFICIENT if same else DOMINATED)
    brute = [
        p
        for i, p in enumerate(points)
        if not any(dominates(q, p, direction) for q in points)
        and not any((q.value, q.memory_gb) == (p.value, p.memory_gb) for q in points[:i])
    ]
    assert sorted(_keys(front)) == sorted(p.key for p in brute)


def test_ten_thousand_points() -> None:
    rng = random.Random(7)
    points = [Point(str(i), rng.uniform(0.9, 1.1), rng.uniform(10, 80)) for i in range(10_000)]
    front = pareto_front(points, "min")
    assert front and all(
        a.memory_gb < b.memory_gb and a.value > b.value for a, b in pairwise(front)
    )
