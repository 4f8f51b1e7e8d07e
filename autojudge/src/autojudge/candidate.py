"""The candidate from run.log, and writing its row back with --append."""

from __future__ import annotations

from dataclasses import replace

from autolab_shared.core.diagnostics import ParseWarning
from autolab_shared.core.vocabulary import NextAction, Reason, WarningCode
from autolab_shared.files.appendrow import append_row
from autolab_shared.files.gitinfo import head_commit
from autolab_shared.parsing.replicates import latest_description
from autolab_shared.parsing.results import History
from autolab_shared.parsing.runlog import RunLog
from autolab_shared.parsing.runvalue import measured_value
from autolab_shared.stats.decision import CRASH, RETEST
from autolab_shared.stats.judge import Judgement, RunInput
from autolab_shared.stats.verdictrow import verdict_row


def run_input(
    run: RunLog, commit: str | None, description: str | None, history: History
) -> RunInput:
    """The candidate: run.log's value and memory, named by --commit/--description or git HEAD.

    A summary without a usable metric raises InputError (exit 3), never a CRASH verdict.
    Without --description, a commit already in the history is a re-run of its latest row
    and takes that row's description (so that the two pool as replicates).
    """
    value = measured_value(run, history.path)
    if commit is None or description is None:
        head = head_commit()
        commit = commit if commit is not None else (head[0] if head else "")
        if description is None:
            earlier = latest_description(history.experiments, commit)
            description = earlier if earlier is not None else (head[1] if head else "")
    crash = run.crash.kind if run.crash is not None else None
    detail = run.crash.detail if run.crash is not None else ""
    return RunInput(value, run.memory_gb, commit, description, crash, detail)


def cut_retest(judgement: Judgement, run: RunLog) -> Judgement:
    """RETEST when run.log's last summary was cut mid-line and an earlier complete one judged."""
    if run.cut_line is None or judgement.verdict in (RETEST, CRASH):
        return judgement
    assessment = replace(
        judgement.assessment,
        verdict=RETEST,
        reasons=(Reason.RUNLOG_CUT,),
        next_action=NextAction.RERUN_CANDIDATE,
    )
    return replace(judgement, assessment=assessment)


def append_verdict(
    path: str, judgement: Judgement, run: RunInput, metric: str, notes: list[ParseWarning]
) -> str:
    """Append the run's own row (the value run.log measured, never a pooled mean).

    Crashes are written as 0.000000 / 0.0; outside a git repository without --commit the
    commit is ``unknown`` and a warning (in ``notes``) says how to name it.
    """
    if not run.commit.strip():
        reason = (
            "no --commit and no git commit found (not in a git repository?): the row's commit"
            " is 'unknown'; pass --commit HASH (e.g. --commit $(git rev-parse --short HEAD))"
        )
        notes.append(ParseWarning(path, None, WarningCode.COMMIT_UNKNOWN, reason))
    row = verdict_row(judgement, metric)
    if judgement.verdict != CRASH and run.value is not None:
        row[metric] = format_measured(run.value)
        row["memory_gb"] = f"{run.memory_gb or 0.0:.1f}"
    return append_row(path, row, metric=metric, warnings=notes)


def format_measured(value: float) -> str:
    """Six decimals as autoresearch writes them, more when six would change the number."""
    six = f"{value:.6f}"
    return six if float(six) == value else repr(value)
