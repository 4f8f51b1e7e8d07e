"""A judged run as a results row: the status word a verdict implies, and the row's cells."""

from __future__ import annotations

from autolab_shared.stats.decision import CRASH, DISCARD, MARGINAL, RETEST
from autolab_shared.stats.judge import Judgement

STATUS = {RETEST: "retest", DISCARD: "discard", CRASH: "crash"}


def status_of(verdict: str) -> str:
    """The status word a verdict implies (MARGINAL is a keep: it exits 0)."""
    if verdict == MARGINAL:
        return "keep"
    return STATUS.get(verdict, "keep")


def verdict_row(judgement: Judgement, metric: str) -> dict[str, str]:
    """The row autoresearch writes for a judged run (crashes as 0.000000 / 0.0)."""
    crashed = judgement.verdict == CRASH or judgement.value is None
    value = 0.0 if crashed or judgement.value is None else judgement.value
    memory = 0.0 if crashed or judgement.memory_gb is None else judgement.memory_gb
    return {
        "commit": judgement.commit or "unknown",
        metric: f"{value:.6f}",
        "memory_gb": f"{memory:.1f}",
        "status": status_of(judgement.verdict),
        "description": judgement.description,
    }
