"""The simplification test of a verdict: the stem pre-check never changes the regex's answer."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from autolab_shared.stats.judge import SIMPLIFICATION, simplifies

WORDS = ["Simplify", "REMOVED", "deletes", "dropped", "Drops", "clean up", "CleanUp", "lr",
         "remover", "undrop", "ſimplify", "dRoP", "x", "-", " ", "é", "\u212a"]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(WORDS) | st.text(max_size=6), max_size=6).map("".join))
def test_simplifies_is_the_regex(description: str) -> None:
    expected = re.search(SIMPLIFICATION, description, re.IGNORECASE) is not None
    assert simplifies(description) == expected


def test_examples() -> None:
    assert simplifies("remove the value embeddings") and simplifies("Clean up the LR schedule")
    assert not simplifies("increase matrix LR to 0.050") and not simplifies("removal of x")
    assert simplifies("ſimplify the loop")  # non-ASCII: the regex decides (re.I folds ſ to s)
