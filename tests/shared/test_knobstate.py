"""The incumbent's knob values, what a history tried, and next steps against the evidence."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from autolab_shared.steering.ideas import values_equal
from autolab_shared.steering.knobs import KnobChange, parse_knobs
from autolab_shared.steering.knobstate import KnobState, knob_state


def _state(rows: list[tuple[str, bool]]) -> KnobState:
    return knob_state((parse_knobs(text), kept) for text, kept in rows)


def test_the_incumbent_follows_the_last_kept_change() -> None:
    state = _state(
        [
            ("halve batch 524K to 262K", True),
            ("batch 131K", False),
            ("warmdown 0.5 to 0.7", True),
            ("warmdown 0.7 to 0.8", False),
            ("warmdown 0.7 to 0.75", True),
        ]
    )
    assert state.value("total_batch_size") == "262K"
    assert state.value("warmdown_ratio") == "0.75"
    assert state.value("matrix_lr") == "0.04"  # train.py's default: never written
    assert state.is_tried("total_batch_size", "2**19")  # 524K, the baseline's value
    assert state.is_tried("batch", "2**17")  # 131K within 3 %
    assert not state.is_tried("total_batch_size", "2**16")


def test_steps_never_pass_a_tried_value() -> None:
    state = _state([("matrix LR 0.04 to 0.05", True), ("matrix LR 0.05 to 0.07", False)])
    assert state.next_values("matrix_lr") == ["0.055"]  # not back toward 0.04, which lost
    state = _state(
        [
            ("warmdown 0.5 to 0.7", True),
            ("warmdown 0.7 to 0.75", True),
            ("warmdown 0.75 to 0.8", False),
        ]
    )
    assert state.next_values("warmdown_ratio") == []  # bracketed by 0.7 and 0.8
    assert state.against_evidence("warmdown_ratio", "0.9")
    assert state.against_evidence("warmdown_ratio", "0.6")


def test_a_kept_decrease_is_continued_and_never_undone() -> None:
    state = _state([("matrix LR 0.04 to 0.03", True)])
    assert state.next_values("matrix_lr") == ["0.025"]
    state = _state(
        [
            ("muon momentum warmup 300 to 200 steps", True),
            ("muon momentum warmup 200 to 150 steps", False),
        ]
    )
    assert state.next_values("muon_momentum_warmup") == []  # 250 would head back to 300
    assert _state([("softcap 20", False)]).next_values("softcap") == ["16", "14"]


values = st.one_of(
    st.integers(min_value=1, max_value=2**21).map(str),
    st.integers(min_value=1, max_value=2048).map(lambda n: f"{n}K"),
    st.integers(min_value=10, max_value=21).map(lambda n: f"2**{n}"),
    st.sampled_from(["SSSL", "(0.8, 0.95)", "0.5M", "half"]),
)


@given(st.lists(values, min_size=1, max_size=30), values)
def test_the_index_agrees_with_values_equal(tried: list[str], probe: str) -> None:
    state = knob_state([((KnobChange("knob_x", None, v, v),), False) for v in tried])
    written = state.tried.get("knob_x", ())
    assert state.is_tried("knob_x", probe) == any(values_equal(probe, v) for v in written)
