"""Screening one training outcome before it is judged (the plausibility gate of plausible.py)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from autolab_shared.core.vocabulary import CrashKind

from .judging import noise_sd
from .plausible import agrees, checkout_for, summary_count, too_good
from .statefile import AgentState
from .training import RunOutcome

if TYPE_CHECKING:
    from .competition import Competition


def screen_outcome(
    comp: Competition, agent: AgentState, sha: str, outcome: RunOutcome
) -> RunOutcome:
    """``outcome``, a crash (``invalid_runlog``, ``implausible``), or the clean re-run's."""
    metric = comp.state.config.metric
    outcome = single_summary(outcome, metric)
    if outcome.value is None:
        return outcome
    champion = comp.state.champion_value
    history = comp.pooled()
    sd = noise_sd(history) if history else 0.0
    if champion is None or not too_good(outcome.value, champion, sd, comp.higher_is_better()):
        return outcome
    comp.say(
        f"{agent.name}: {outcome.value:.6f} is too good to take from the worktree "
        f"(champion {champion:.6f}): re-running {sha[:7]} on a clean checkout"
    )
    with checkout_for(
        comp.executor.ships_commits, comp.s.git, comp.s.layout, sha, f"{agent.name}-{sha[:12]}"
    ) as where:
        clean = comp.train(agent, sha, f"{agent.name}-clean-{sha[:12]}", agent.gpu, where=where)
    if clean.crash == CrashKind.INTERRUPTED:
        return clean
    clean = single_summary(clean, metric)
    if clean.value is None or not agrees(outcome.value, clean.value, champion, sd):
        got = f"{clean.value:.6f}" if clean.value is not None else f"a crash ({clean.crash})"
        return _crash(
            outcome,
            CrashKind.IMPLAUSIBLE,
            f"worktree run {outcome.value:.6f}, clean checkout {got}",
        )
    return clean


def single_summary(outcome: RunOutcome, metric: str) -> RunOutcome:
    """``outcome``, or a crash ``invalid_runlog`` when its run.log holds two summaries."""
    if outcome.value is None or summary_count(Path(outcome.log), metric) <= 1:
        return outcome
    return _crash(outcome, CrashKind.INVALID_RUNLOG, f"more than one {metric} summary in run.log")


def _crash(outcome: RunOutcome, kind: CrashKind, detail: str) -> RunOutcome:
    return replace(outcome, value=None, memory_gb=None, crash=kind, detail=detail)
