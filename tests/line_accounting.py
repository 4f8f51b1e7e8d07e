"""Check the results parser's promise that no physical line is silently lost."""

from __future__ import annotations

from collections import Counter

from autolab_shared.parsing.results import History


def line_problems(history: History) -> list[str]:
    """Lines that are not exactly one of header / row start / continuation, nor warned about."""
    headers = Counter(history.header_lines)
    starts = Counter(e.line for e in history.experiments)
    inside = Counter(n for e in history.experiments for n in range(e.line + 1, e.end_line + 1))
    warned = {w.line for w in history.warnings if w.line is not None}
    problems = [
        f"row {e.index} has the range {e.line}..{e.end_line}"
        for e in history.experiments
        if not 1 <= e.line <= e.end_line <= history.line_count
    ]
    for number in range(1, history.line_count + 1):
        roles = headers[number] + starts[number] + inside[number]
        if roles > 1:
            problems.append(f"line {number} plays {roles} roles")
        elif roles == 0 and number not in warned:
            problems.append(f"line {number} is neither read nor warned about")
    return problems


def assert_lines_accounted(history: History) -> None:
    """Fail with the list of problems when any line is unaccounted for."""
    problems = line_problems(history)
    assert not problems, f"{history.path}: {problems[:10]}"
