"""The candidate from run.log, and writing its row back with --append."""

from __future__ import annotations

from autolab_shared.appendrow import append_row
from autolab_shared.decision import CRASH, DISCARD, MARGINAL, RETEST
from autolab_shared.gitinfo import head_commit
from autolab_shared.judge import Judgement, RunInput
from autolab_shared.runlog import RunLog

STATUS = {RETEST: "retest", DISCARD: "discard", CRASH: "crash"}


def run_input(run: RunLog, commit: str | None, description: str | None) -> RunInput:
    """The candidate: run.log's value and memory, named by --commit/--description or git HEAD."""
    if commit is None or description is None:
        head = head_commit()
        commit = commit if commit is not None else (head[0] if head else "")
        description = description if description is not None else (head[1] if head else "")
    value = run.metric()
    crash = run.crash.kind if run.crash is not None else None
    detail = run.crash.detail if run.crash is not None else ""
    return RunInput(value, run.memory_gb, commit, description, crash, detail)


def status_of(judgement: Judgement) -> str:
    """The status word the verdict implies (MARGINAL is a keep: it exits 0)."""
    verdict = judgement.verdict
    if verdict == MARGINAL:
        return "keep"
    return STATUS.get(verdict, "keep")


def append_verdict(path: str, judgement: Judgement, metric: str) -> str:
    """Append the candidate's row (crashes as 0.000000 / 0.0) and return the line written."""
    crashed = judgement.verdict == CRASH or judgement.value is None
    value = 0.0 if crashed else judgement.value
    memory = 0.0 if crashed or judgement.memory_gb is None else judgement.memory_gb
    row = {
        "commit": judgement.commit or "unknown",
        metric: f"{value:.6f}",
        "memory_gb": f"{memory:.1f}",
        "status": status_of(judgement),
        "description": judgement.description,
    }
    return append_row(path, row, metric=metric)
