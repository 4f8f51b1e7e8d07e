"""Open the files a CLI was given: paths or ``-`` for stdin."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from .results import History, parse_results, read_results

if TYPE_CHECKING:  # the run.log reader is imported when one is read (autosteer reads none)
    from .runlog import RunLog

STDIN = "-"


def load_history(path: str, *, metric: str | None = None, direction: str | None = None) -> History:
    """Read a results file, or standard input when ``path`` is ``-``."""
    if path == STDIN:
        return parse_results(sys.stdin.buffer.read(), "<stdin>", metric=metric, direction=direction)
    return read_results(path, metric=metric, direction=direction)


def load_runlog(path: str, *, metric: str = "val_bpb") -> RunLog:
    """Read a run.log, or standard input when ``path`` is ``-``."""
    from .runlog import parse_runlog, read_runlog

    if path == STDIN:
        return parse_runlog(sys.stdin.buffer.read(), "<stdin>", metric=metric)
    return read_runlog(path, metric=metric)
