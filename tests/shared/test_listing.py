"""Lists of settings in a description: items, how many settings they make, the main change."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autolab_shared.steering.listing import (
    MAX_ITEMS,
    Item,
    base_word,
    change_items,
    count_settings,
    is_bare,
    main_category,
    without_asides,
)


@pytest.mark.parametrize(
    ("part", "items"),
    [
        ("N_BLOCKS=6 BS=8 + GRAD_CLIP=3.0", ["N_BLOCKS=6", "BS=8", "GRAD_CLIP=3.0"]),
        ("depth 12, LR 0.03 and warmdown 0.4", ["depth 12", "LR 0.03", "warmdown 0.4"]),
        ("SiLU + matrix LR 0.06", ["SiLU", "matrix LR 0.06"]),
        ("mps speedups plus smaller 3-layer model", ["mps speedups", "smaller 3-layer model"]),
        ("EMA decay=0.999", ["EMA decay=0.999"]),  # a parameter of the thing named before it
        ("attention and FFN pre-norm inputs", ["attention and FFN pre-norm inputs"]),  # prose
        ("sigmoid affinities, expert bias", ["sigmoid affinities, expert bias"]),
        ("MoE top_k=3, 31.5M params, 322 steps", ["MoE", "top_k=3"]),  # results end the list
        ("parallel attn+MLP", ["parallel attn+MLP"]),  # no spaces: one thing
        ("warmdown 0.5 -> 0.3", ["warmdown 0.5 -> 0.3"]),
    ],
)
def test_change_items(part: str, items: list[str]) -> None:
    assert [item.text for item in change_items(part)] == items


def test_items_joined_only_by_a_space_are_marked() -> None:
    assert change_items("N_BLOCKS=6 BS=8 + WD=0") == [
        Item("N_BLOCKS=6"),
        Item("BS=8", joined=True),
        Item("WD=0"),
    ]


def test_the_base_named_with_alone_is_dropped() -> None:
    description = "x0_lambda 0.05 + warmdown 0.3 (worse than x0_lambda alone)"
    assert base_word(description) == "x0_lambda"
    assert [i.text for i in change_items("x0_lambda 0.05 + warmdown 0.3", description)] == [
        "warmdown 0.3"
    ]
    assert base_word("walk alone") == ""
    assert base_word("no base here") == ""


def test_asides_are_removed_but_only_short_ones_after_a_space() -> None:
    assert without_asides("min-SNR (gamma=5) + BS=16") == "min-SNR + BS=16"
    assert without_asides("SwiGLU(768) + warmdown") == "SwiGLU(768) + warmdown"


def test_a_setting_said_twice_counts_once() -> None:
    items = change_items("WD=0 no weight decay")
    found = [("regularization", "", ""), ("regularization", "", "")]
    assert count_settings(items, found) == 1
    items = change_items("LR1=0.025 LR2=4e-4")
    found = [("learning_rate", "", ""), ("learning_rate", "", "")]
    assert count_settings(items, found) == 2


@pytest.mark.parametrize(
    ("categories", "texts", "main"),
    [
        (["model_scale", "learning_rate"], [], "model_scale"),  # size with its LR retuned
        (["batch_size", "lr_schedule"], [], "batch_size"),
        (["regularization", "learning_rate"], [], "combination"),  # no structural change
        (["lr_schedule", "learning_rate"], [], "combination"),
        (["model_scale", "attention"], ["depth=8", "n heads=16"], "model_scale"),
        (["model_scale", "attention"], ["depth=8", "window pattern sssl"], "combination"),
        (["baseline", "model_scale"], [], "baseline"),
        (["optimizer", "optimizer"], [], "optimizer"),
        ([], [], "other"),
    ],
)
def test_main_category(categories: list[str], texts: list[str], main: str) -> None:
    assert main_category(categories, texts) == main


def test_bare_names_are_those_without_value_or_change_word() -> None:
    assert is_bare("silu") and is_bare("swa")
    assert not is_bare("matrix lr 0.06")
    assert not is_bare("remove logit cap")
    assert not is_bare("depth 8->12")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab =+,;&/()0.1-_ ")), max_size=300))
def test_items_are_pieces_of_the_text(part: str) -> None:
    items = change_items(part)
    assert len(items) <= MAX_ITEMS
    assert items or not any(ch.isalpha() for ch in part)
    for item in items:
        for word in item.text.split():
            assert word.strip(",") in part
    if len(items) > 1:
        assert all(any(ch.isalpha() for ch in item.text) for item in items)
