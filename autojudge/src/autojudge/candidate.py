"""The candidate from run.log, and writing its row back with --append."""

from __future__ import annotations

from autolab_shared.appendrow import append_row
from autolab_shared.gitinfo import head_commit
from autolab_shared.judge import Judgement, RunInput
from autolab_shared.replicates import latest_description
from autolab_shared.results import History
from autolab_shared.runlog import RunLog
from autolab_shared.verdictrow import verdict_row


def run_input(
    run: RunLog, commit: str | None, description: str | None, history: History
) -> RunInput:
    """The candidate: run.log's value and memory, named by --commit/--description or git HEAD.

    Without --description, a commit already in the history is a re-run of its latest row
    and takes that row's description (so that the two pool as replicates).
    """
    if commit is None or description is None:
        head = head_commit()
        commit = commit if commit is not None else (head[0] if head else "")
        if description is None:
            earlier = latest_description(history.experiments, commit)
            description = earlier if earlier is not None else (head[1] if head else "")
    value = run.metric()
    crash = run.crash.kind if run.crash is not None else None
    detail = run.crash.detail if run.crash is not None else ""
    return RunInput(value, run.memory_gb, commit, description, crash, detail)


def append_verdict(path: str, judgement: Judgement, metric: str) -> str:
    """Append the candidate's row (crashes as 0.000000 / 0.0) and return the line written."""
    return append_row(path, verdict_row(judgement, metric), metric=metric)
