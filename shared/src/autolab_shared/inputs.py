"""Open the files a CLI was given: paths or ``-`` for stdin."""

from __future__ import annotations

import sys

from .results import History, parse_results, read_results
from .runlog import RunLog, parse_runlog, read_runlog

STDIN = "-"


def load_history(path: str, *, metric: str | None = None, direction: str | None = None) -> History:
    """Read a results file, or standard input when ``path`` is ``-``."""
    if path == STDIN:
        return parse_results(sys.stdin.buffer.read(), "<stdin>", metric=metric, direction=direction)
    return read_results(path, metric=metric, direction=direction)


def load_runlog(path: str, *, metric: str = "val_bpb") -> RunLog:
    """Read a run.log, or standard input when ``path`` is ``-``."""
    if path == STDIN:
        return parse_runlog(sys.stdin.buffer.read(), "<stdin>", metric=metric)
    return read_runlog(path, metric=metric)
