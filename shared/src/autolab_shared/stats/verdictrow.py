"""A judged run as a results row: the status word a verdict implies, and the row's cells."""

from __future__ import annotations

from autolab_shared.core.vocabulary import Status, Verdict
from autolab_shared.files.appendrow import row_cells
from autolab_shared.stats.judge import Judgement

STATUS = {
    Verdict.RETEST: Status.RETEST,
    Verdict.DISCARD: Status.DISCARD,
    Verdict.CRASH: Status.CRASH,
}


def status_of(verdict: Verdict) -> Status:
    """The status word a verdict implies (the keeps, MARGINAL included, are ``keep``: exit 0)."""
    return STATUS.get(verdict, Status.KEEP)


def verdict_row(judgement: Judgement, metric: str) -> dict[str, str]:
    """The row autoresearch writes for a judged run (crashes as 0.000000 / 0.0)."""
    crashed = judgement.verdict == Verdict.CRASH or judgement.value is None
    return row_cells(
        judgement.commit or "unknown",
        metric,
        None if crashed else judgement.value,
        None if crashed else judgement.memory_gb,
        status_of(judgement.verdict),
        judgement.description,
    )
