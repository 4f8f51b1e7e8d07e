"""Directions a results file declares itself: in a header cell or in a ``#`` comment line.

Header cells: ``val_acc (max)``, ``score (higher is better)``, ``loss↓``, ``fid [min]``,
``reward_higher_is_better``. Comment lines: ``# primary_score: lower is better``,
``# direction: max``, ``# minimize val_loss``. A declaration beats the metric's name.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

from autolab_shared.parsing.metrics import MAX, MIN, name_tokens

_WORDS = {
    MIN: ("min", "minimize", "minimise", "minimum", "lower", "lower is better", "lower better",
          "lower=better", "smaller is better", "less is better", "↓", "down", "desc"),
    MAX: ("max", "maximize", "maximise", "maximum", "higher", "higher is better",
          "higher better", "higher=better", "larger is better", "bigger is better", "↑", "up",
          "asc"),
}  # fmt: skip
_WORD_TO_DIRECTION = {w.replace(" ", ""): d for d, words in _WORDS.items() for w in words}
# A normalised header name ending in an annotation: "(max)", "[lower_is_better]", "↓", "_↑".
_ANNOTATED = (
    r"(?P<base>.*?[^_\s(\[])[_\s]*(?:[(\[]_?(?P<word>[^()\[\]]{1,24}?)_?[)\]]"
    r"|(?P<arrow>[↓↑])|_(?P<bare>(?:lower|higher)_is_better|minimi[sz]e|maximi[sz]e))"
)
# Every match of it holds one of these: names without any (most) need no regex.
_MARKS = ("(", "[", "↓", "↑", "_lower_is_better", "_higher_is_better", "_minimi", "_maximi")


@cache
def _phrase() -> re.Pattern[str]:
    """In a comment: the phrase that declares a direction (compiled on first use: most files
    have no comment, and this is the costliest pattern to compile on a verdict's path)."""
    return re.compile(
        r"(?P<min>(?:lower|smaller|less)\s+(?:is\s+)?better|minimi[sz]e[ds]?|↓"
        r"|\b(?:direction|goal|mode|objective)\s*[:=]?\s*(?:min\w*|lower|down)\b)"
        r"|(?P<max>(?:higher|larger|bigger|more)\s+(?:is\s+)?better|maximi[sz]e[ds]?|↑"
        r"|\b(?:direction|goal|mode|objective)\s*[:=]?\s*(?:max\w*|higher|up)\b)",
        re.IGNORECASE,
    )


_CLAUSE = r"[;,|]"


def split_declared(name: str) -> tuple[str, str | None]:
    """A normalised header name without its direction annotation, and that direction."""
    if not any(mark in name for mark in _MARKS):
        return name, None
    return split_by_regex(name)


def split_by_regex(name: str) -> tuple[str, str | None]:
    """``split_declared`` without its quick test for annotation marks (the test's oracle)."""
    match = re.fullmatch(_ANNOTATED, name)
    if match is None:
        return name, None
    word = match["word"] or match["arrow"] or match["bare"] or ""
    direction = _WORD_TO_DIRECTION.get(re.sub(r"[\s_]", "", word))
    return (match["base"], direction) if direction else (name, None)


def comment_direction(
    comments: Sequence[tuple[int, str]], metric: str, columns: Sequence[str]
) -> tuple[str, int] | None:
    """(direction, line) of the first comment clause that declares the metric's direction.

    A clause applies when it names the metric, or names no column while the comment names
    no other column ("# lower is better" in a file about one metric).
    """
    others = {c for c in columns if c != metric and len(c) > 2}
    for line, text in comments:
        whole = _names_in(text, others)
        for clause in re.split(_CLAUSE, text):
            found = _phrase().search(clause)
            if found is None:
                continue
            if _mentions(clause, metric) or not (whole or _mentions(text, metric)):
                return (MIN if found["min"] else MAX), line
    return None


def _mentions(text: str, name: str) -> bool:
    tokens, wanted = name_tokens(text), name_tokens(name)
    width = len(wanted)
    return bool(wanted) and any(tokens[i : i + width] == wanted for i in range(len(tokens)))


def _names_in(text: str, names: set[str]) -> bool:
    return any(_mentions(text, name) for name in names)
