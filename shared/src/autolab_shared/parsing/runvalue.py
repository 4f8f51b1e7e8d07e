"""The number a run.log measured, or a clear InputError when it has none that can be trusted.

A run that crashed (no summary, NaN, far over its time budget) has no value: that is a CRASH
verdict, not an error. A summary that is there but whose metric is missing, given as text or
cut mid-line is an input error (exit 3): judging it would be judging a number nobody measured.
"""

from __future__ import annotations

from autolab_shared.core.errors import InputError
from autolab_shared.parsing.cellvalues import MAX_MAGNITUDE, in_range
from autolab_shared.parsing.metrics import direction_for, is_metric_candidate
from autolab_shared.parsing.runlog import RunLog


def measured_value(run: RunLog, results: str) -> float | None:
    """run.log's metric; None when the run crashed; InputError when a summary lacks it."""
    if run.cut_line is not None and run.metric() is None:
        raise InputError(
            run.path,
            f"run.log ends mid-line: the {run.metric_name} line is cut (training still writing,"
            " or killed while printing its summary); no verdict on a truncated number",
            run.cut_line,
        )
    if run.crash is not None:
        return None
    value = run.metric()
    if value is not None and not in_range(value):
        raise InputError(
            run.path,
            f"{run.metric_name} {value:g} is out of range (more than {MAX_MAGNITUDE:g} in size):"
            " not a measurement",
            run.metric_line,
        )
    if value is not None:
        return value
    key = run.metric_key
    if key is not None:
        raise InputError(run.path, f"{key} is not a number: {run.summary[key]!r}", run.metric_line)
    raise InputError(run.path, _missing(run, results), run.summary_line)


def _missing(run: RunLog, results: str) -> str:
    names = [k for k in run.summary if direction_for(k) and is_metric_candidate(k)]
    names = names or list(run.summary)
    has = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
    return (
        f"run.log has {has}, {results} logs {run.metric_name}; pass --metric NAME to judge"
        " a metric both files have (aliases: docs/runlog.md)"
    )
