"""Parallel waves (``--parallel K``): up to K commits from one agent turn, trained at once.

The agent commits its variants one on top of the other; each commit's own change is trained on
the turn's start (an independent child, see siblings.py; a change that does not apply there alone
is trained with the commits before it), all at once, on whichever GPUs free first. They are
judged in order against the agent's results; the branch ends at the best kept variant, or back at
the turn's start.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from autolab_shared.core.vocabulary import CrashKind, Status
from autolab_shared.parsing.results import read_results
from autolab_shared.stats.decision import RETEST
from autolab_shared.stats.judge import RunInput, judge
from autolab_shared.stats.verdictrow import status_of

from .judging import FINAL, Row
from .ledger import read_or_none
from .plausible import checkout_for
from .siblings import own_changes
from .statefile import AgentState
from .threads import parallel
from .training import RunOutcome

if TYPE_CHECKING:
    from .competition import Competition


def wave_commits(comp: Competition, agent: AgentState, tip: str = "HEAD") -> list[str]:
    """The agent's new commits since the turn started, oldest first."""
    out = comp.wt(agent).run("rev-list", "--reverse", "--first-parent", f"{agent.exp_start}..{tip}")
    return out.split()


def run_wave(comp: Competition, agent: AgentState, i: int, *, resumed: bool = False) -> None:
    """Train every commit of this turn at once, judge them in order and keep the best; resumed,
    the rows written before the stop are kept and only the rest are trained."""
    made = wave_commits(comp, agent, agent.exp_commit if resumed else "HEAD")
    for sha in made:  # every commit keeps a ref, the untrained extras too
        comp.set_ref(comp.s.layout.exp_ref(sha), sha)
    made_k = made[: comp.state.config.parallel]
    if len(made) > len(made_k):
        comp.say(
            f"{agent.name}: made {len(made)} commits; only the first {len(made_k)} "
            "are trained (--parallel)"
        )
    with comp.lock:
        agent.exp_commit = made_k[-1]
    comp.save()
    own = own_changes(comp.s.git, agent.exp_start, made_k)
    commits = [o or sha for o, sha in zip(own, made_k, strict=True)]
    for sha in commits:
        comp.set_ref(comp.s.layout.exp_ref(sha), sha)
    written = written_rows(comp, agent) if resumed else {}
    names = {
        sha: describe(comp, agent, made_k, j, alone=own[j] is not None)
        for j, sha in enumerate(commits)
    }
    rejected = {
        sha: _rejection(comp, agent, sha, names[sha]) for sha in commits if sha[:7] not in written
    }
    trainable = [sha for sha in rejected if not rejected[sha]]
    subjects = [comp.wt(agent).subject(sha) for sha in trainable]
    comp._set(agent, "training", "; ".join(subjects))
    comp.settle(agent, comp.wt(agent).head(), between=False)
    comp.on_wave(agent, trainable)
    outcomes = train_all(comp, agent, trainable, i)
    if comp.stop.is_set() or any(o.crash == CrashKind.INTERRUPTED for o in outcomes.values()):
        comp.guard.unsettle(agent)
        comp.note_interrupted(agent, "training", commits[-1])
        return  # a resume redoes the variants without a row
    finals = []
    for sha in commits:  # in order: a kept variant is the incumbent the next one is judged by
        final = written.get(sha[:7])
        if final is None:
            final = rejected[sha] or judge_variant(comp, agent, sha, names[sha], outcomes[sha])
            conclude(comp, agent, final)
        finals.append(final)
    finish_wave(comp, agent, commits, finals)


def written_rows(comp: Competition, agent: AgentState) -> dict[str, tuple[Status, Row]]:
    """Final rows of this turn's variants already in the agent's results.tsv (by short commit)."""
    history = read_or_none(Path(agent.worktree) / "results.tsv", comp.state.config.metric)
    found: dict[str, tuple[Status, Row]] = {}
    for e in history.experiments if history else ():
        if e.raw_status in FINAL:
            status = Status(e.raw_status)
            found[e.commit] = status, Row(e.commit, e.value, e.memory_gb, status, e.description)
    return found


def describe(
    comp: Competition, agent: AgentState, commits: list[str], j: int, *, alone: bool
) -> str:
    """The row description of variant ``j``: its subject, and the variants it stands on when
    its change was not trained ``alone`` on the turn's start."""
    subject = comp.wt(agent).subject(commits[j])
    if j == 0 or alone:
        return subject
    return f"{subject} [stacked on {', '.join(comp.short(c) for c in commits[:j])}]"


def _rejection(
    comp: Competition, agent: AgentState, sha: str, description: str
) -> tuple[Status, Row] | None:
    """A crash row for a variant that changes a file outside ``--editable`` (never trained)."""
    row = comp.protected_row(agent, sha, description)
    return None if row is None else (Status.CRASH, row)


def train_all(
    comp: Competition, agent: AgentState, commits: list[str], i: int
) -> dict[str, RunOutcome]:
    """Train every commit at once (the executor queues for GPUs), each in its own clean checkout
    unless the executor ships the commit itself."""
    outcomes: dict[str, RunOutcome] = {}

    def one(j: int, sha: str) -> None:
        label = f"{agent.name}-e{i}-v{j}"
        with checkout_for(
            comp.executor.ships_commits, comp.s.git, comp.s.layout, sha, label
        ) as where:
            run = comp.train(agent, sha, label, None, where=where)
        outcomes[sha] = comp.screen(agent, sha, run)

    parallel([partial(one, j, sha) for j, sha in enumerate(commits)])
    return outcomes


def judge_variant(
    comp: Competition, agent: AgentState, sha: str, description: str, outcome: RunOutcome
) -> tuple[Status, Row]:
    """Judge one trained variant against the agent's results so far."""
    where = {"node": outcome.node, "gpu_type": outcome.gpu_type}
    if outcome.value is None:
        crash = f"{description} [crash: {outcome.crash}: {outcome.detail}]"[:300]
        final = Status.CRASH, Row(comp.short(sha), None, None, Status.CRASH, crash, **where)
    else:
        results = Path(agent.worktree) / "results.tsv"
        cand = RunInput(outcome.value, outcome.memory_gb, comp.short(sha), description)
        verdict = judge(read_results(results, metric=comp.state.config.metric), cand).verdict
        status = Status.DISCARD if verdict == RETEST else status_of(verdict)  # no re-runs in a wave
        final = (
            status,
            Row(comp.short(sha), outcome.value, outcome.memory_gb, status, description, **where),
        )
    return final


def conclude(comp: Competition, agent: AgentState, final: tuple[Status, Row]) -> None:
    """Write one variant's row (once, to the agent's results and the pooled file) and say it."""
    status, row = final
    comp.record(agent, row)
    value = "-" if row.value is None else f"{row.value:.6f}"
    comp.say(f"{agent.name}: {row.description}: {value} {status}")


def finish_wave(
    comp: Competition, agent: AgentState, commits: list[str], finals: list[tuple[Status, Row]]
) -> None:
    """Move the branch to the last kept variant (or the start), count the rows, go idle."""
    kept = [
        (sha, row)
        for sha, (status, row) in zip(commits, finals, strict=True)
        if status == Status.KEEP and row.value is not None
    ]
    sign = 1.0 if comp.higher_is_better() else -1.0
    kept.sort(key=lambda pair: sign * float(pair[1].value or 0.0))  # the best kept one last
    comp.move(agent, kept[-1][0] if kept else agent.exp_start)
    with comp.lock:
        agent.done += 1
        agent.total += len(finals)
        agent.crashes += sum(status == Status.CRASH for status, _ in finals)
        agent.keeps += len(kept)
        if kept:
            agent.best_value, agent.best_sha = kept[-1][1].value, kept[-1][0]
        agent.exp_start = agent.exp_commit = ""
        agent.attempt += 1
        agent.status, agent.current = "idle", ""
    comp.save()
    status = Status.KEEP if kept else Status.DISCARD
    comp.events.append("experiment_done", agent=agent.name, status=status, variants=len(finals))
