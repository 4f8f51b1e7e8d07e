"""The simplification test of a verdict: the regex on the change part (autosteer's reading);
the stem pre-check never changes its answer."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from autolab_shared.parsing.changepart import change_part
from autolab_shared.stats.judge import SIMPLIFICATION, simplifies

WORDS = ["Simplify", "REMOVED", "deletes", "dropped", "Drops", "clean up", "CleanUp", "lr",
         "remover", "undrop", "ſimplify", "dRoP", "x", "-", " ", "é", "\u212a"]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(WORDS) | st.text(max_size=6), max_size=6).map("".join))
def test_simplifies_is_the_regex(description: str) -> None:
    expected = re.search(SIMPLIFICATION, change_part(description), re.IGNORECASE) is not None
    assert simplifies(description) == expected


def test_a_removal_word_among_the_results_is_not_a_simplification() -> None:
    text = (
        "Force batch=8 (hypothesis: headroom): val_bpb 1.119→1.135 WORSE. tok/sec dropped 68K→64K"
    )
    assert not simplifies(text) and simplifies("drop the value embeddings: 1.119→1.117")


def test_examples() -> None:
    assert simplifies("remove the value embeddings") and simplifies("Clean up the LR schedule")
    assert not simplifies("increase matrix LR to 0.050") and not simplifies("removal of x")
    assert simplifies("ſimplify the loop")  # non-ASCII: the regex decides (re.I folds ſ to s)
