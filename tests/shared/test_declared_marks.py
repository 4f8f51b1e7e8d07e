"""A header name without any annotation mark skips the annotation regex: same answers."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from autolab_shared.parsing.declared import split_by_regex, split_declared

PIECES = ["val_bpb", "score", "loss", " ", "_", "(", ")", "[", "]", "max", "min", "lower",
          "higher_is_better", "_lower_is_better", "minimize", "_maximise", "↓", "↑", "x",
          "is better", "acc"]  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(PIECES) | st.text(max_size=3), max_size=6).map("".join))
def test_split_declared_is_the_regexs_answer(name: str) -> None:
    assert split_declared(name) == split_by_regex(name)


def test_examples() -> None:
    assert split_declared("val_acc (max)") == ("val_acc", "max")
    assert split_declared("loss↓") == ("loss", "min")
    assert split_declared("reward_higher_is_better") == ("reward", "max")
    assert split_declared("val_bpb") == ("val_bpb", None)
