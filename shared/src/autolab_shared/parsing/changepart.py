"""The change part of a description: run labels dropped, cut before reasons and results.

What autosteer classifies and what autojudge reads for a simplification (docs/classifier.md).
Only ``re`` and the prefilter's look-ahead: cheap to import on a verdict's start-up.
"""

from __future__ import annotations

import re

from autolab_shared.core.prefilter import with_first_chars

# Leading labels that name the run rather than the change: "gpu0:", "agent2:", "exp12",
# "exp3_", "[Phase1:Adam]", "Hypothesis:".
_PREFIX = re.compile(
    r"(?:(?:gpu|agent|worker|node|exp(?:eriment)?|run|trial|iter(?:ation)?)\s*[#_-]?\d+[a-z]?"
    r"(?:\s*[:.)\]_-]\s*|\s+|$)"
    r"|\[[^\]\n]{0,60}\]\s*"
    r"|(?:single\s+)?hypothesis\s*:\s*"
    r"|issue\s*#\d{1,9}\s*:\s*"
    r"|(?:after|on|at|with|given|since|now that|once)\s[^,;:\n]{0,200}?,\s+)",
    re.IGNORECASE,
)
_MAX_LABELS = 16
# Where the change part ends and the reasons, results or the base it was tried on begin.
_CUT = re.compile(
    r"\(hypothesis| \(| — | – | - |: |; | \| "
    r"| (?:on|at|with|for|after|over|instead of|replacing|replaces|will|because|so that|which) "
    r"| (?:while )?(?:keeping|holding) "
    r"|,? (?:much |slightly |still )?(?:worse|better)(?: than\b|,|$)| same result\b| \+\d"
    r"""| to (?![\d.+\-"'(]|2\*\*)""",
    re.IGNORECASE,
)


# _CUT without IGNORECASE, searched in lower-cased ASCII text: the same spans (lower() keeps
# ASCII text's length and word boundaries, and a pattern with no upper-case letter has no
# \S, \W, \D or upper-case range), led by a look-ahead for the characters a cut starts with;
# about 40 % faster.
_CUT_LOWER = (
    with_first_chars(re.compile(_CUT.pattern, _CUT.flags & ~re.IGNORECASE))
    if _CUT.pattern == _CUT.pattern.lower()
    else None
)


def change_part(description: str) -> str:
    """The change itself: run labels dropped, cut before reasons and results (docs/classifier.md).

    >>> change_part("agent1: Embedding LR 0.6→0.8 (worse) — regressed")
    'Embedding LR 0.6→0.8'
    """
    text = strip_labels(description)
    cut = (
        _CUT_LOWER.search(text.lower(), 1)
        if _CUT_LOWER and text.isascii()
        else _CUT.search(text, 1)
    )
    if cut is not None:
        text = text[: cut.start()]
    text = text.strip(" \t,.;:-—–")
    return text or description.strip()


def strip_labels(description: str) -> str:
    """The description without leading run labels ("gpu0:", "exp3_", "[Phase1:Adam]",
    "Hypothesis:") and without a leading context clause ("after X improved, ...")."""
    text = description.strip()
    pos = 0
    for _ in range(_MAX_LABELS):  # bounded: no real description has more labels
        m = _PREFIX.match(text, pos)
        if m is None or m.end() == pos:
            break
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return text[pos:]
