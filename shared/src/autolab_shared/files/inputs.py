"""Open the files a CLI was given: paths or ``-`` for stdin."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from autolab_shared.parsing.results import History, parse_results, read_results
from autolab_shared.parsing.textio import read_stream

if TYPE_CHECKING:  # the run.log reader is imported when one is read (autosteer reads none)
    from autolab_shared.parsing.runlog import RunLog

STDIN = "-"


def load_history(path: str, *, metric: str | None = None, direction: str | None = None) -> History:
    """Read a results file, or standard input when ``path`` is ``-``."""
    if path == STDIN:
        data = read_stream(sys.stdin.buffer, "<stdin>")
        return parse_results(data, "<stdin>", metric=metric, direction=direction)
    return read_results(path, metric=metric, direction=direction)


def load_runlog(path: str, *, metric: str = "val_bpb") -> RunLog:
    """Read a run.log, or standard input when ``path`` is ``-``."""
    from autolab_shared.parsing.logtail import read_stream_tail
    from autolab_shared.parsing.runlog import read_runlog, tail_runlog

    if path == STDIN:
        return tail_runlog(read_stream_tail(sys.stdin.buffer, "<stdin>"), "<stdin>", metric=metric)
    return read_runlog(path, metric=metric)
