"""Metric aliases between run.log and results.tsv (docs/runlog.md's table)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autolab_shared.parsing.metricalias import ALIASES, canonical, find_alias


@pytest.mark.parametrize(
    ("metric", "names", "found"),
    [
        ("val_bpb", ["training_seconds", "bpb"], "bpb"),
        ("val_bpb", ["Val/BPB"], "Val/BPB"),
        ("val_bpb", ["val_bpb", "bpb"], "val_bpb"),  # the exact name first
        ("exact_final_val_bpb", ["val_loss", "val_bpb"], "val_bpb"),
        ("val_bpb", ["final_val_bpb"], "final_val_bpb"),
        ("val_loss", ["eval_loss"], "eval_loss"),
        ("val_bpb", ["val_loss"], None),  # nats per token are not bits per byte
        ("val_bpb", ["train_bpb"], None),  # a training metric is not the validation one
        ("val_f1", ["f1"], None),
    ],
)
def test_find_alias(metric: str, names: list[str], found: str | None) -> None:
    assert find_alias(metric, names) == found


def test_no_name_is_in_two_rows() -> None:
    names = [name for row in ALIASES for name in row]
    assert len(names) == len(set(names)) and all(canonical(n) == n for n in names)


@given(
    row=st.sampled_from(ALIASES),
    data=st.data(),
    seps=st.lists(st.sampled_from(["_", "-", ".", "/", " "]), min_size=4, max_size=4),
)
def test_any_spelling_of_a_row_finds_any_other(
    row: tuple[str, ...], data: st.DataObject, seps: list[str]
) -> None:
    metric = data.draw(st.sampled_from(row))
    other = data.draw(st.sampled_from(row))
    spelled = "".join(
        seps[i % 4] if c == "_" else (c.upper() if i % 3 == 0 else c) for i, c in enumerate(other)
    )
    assert find_alias(metric, ["num_steps", spelled]) == spelled
