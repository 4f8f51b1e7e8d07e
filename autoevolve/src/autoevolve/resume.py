"""Picking a competition up again after a stop or a crash of the controller."""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path
from typing import Any

from autolab_shared.core.vocabulary import Status

from .competition import Competition
from .events import read_events
from .judging import FINAL, Row
from .layout import PLACEMENT
from .ledger import read_or_none, write_row
from .reaper import reap
from .statefile import AgentState
from .worktrees import clear_stale_locks, ensure_worktree


def reconcile(comp: Competition) -> None:
    """Make worktrees, files and in-flight experiments consistent with the state on disk."""
    events = read_events(comp.s.layout.events_file)
    comp.events.append("resume", pid=os.getpid())
    kill_orphans(comp, events)
    for agent in comp.state.agents:
        ensure_worktree(comp.s.git, comp.s.layout, agent.name, comp.state.champion_sha)
        clear_stale_locks(comp.wt(agent))
        if not agent.exp_start:  # between turns: a plant is put back, not saved as its WIP
            guard_again(comp, agent, events)
        snapshot_dirty(comp, agent)
    finish_rows(comp, events)
    for agent in comp.state.agents:
        settle_experiment(comp, agent)
    comp.save()


def guard_again(comp: Competition, agent: AgentState, events: list[dict[str, Any]]) -> None:
    """Settle the worktree at the tip the state records, not where it is: what was written into
    it while no controller watched is put back and reported; a move the killed controller had
    begun (its tip saved, its reset_intent journaled) is finished."""
    tip = agent.tip or comp.wt(agent).head()  # a state written before tips were recorded
    if unfinished_move(events, agent.name) == tip:
        comp.move(agent, tip)
        return
    comp.guard.settle(agent, tip)
    agent.tip = tip
    comp.guard.check(agent)


def unfinished_move(events: list[dict[str, Any]], agent: str) -> str | None:
    """The commit of the agent's last journaled reset_intent if no reset_done followed it."""
    pending = None
    for e in events:
        if e.get("agent") == agent and e.get("kind") == "reset_intent":
            pending = e.get("commit")
        elif e.get("agent") == agent and e.get("kind") == "reset_done":
            pending = None
    return pending


def kill_orphans(comp: Competition, events: list[dict[str, Any]]) -> None:
    """Stop agent and training processes a killed controller left running in this checkout."""
    root = str(comp.s.git.cwd.resolve())
    for token in {e.get("token") for e in events if e.get("kind") == "spawn"} - {None, ""}:
        if reap(None, str(token)):  # whatever still carries a dead controller's turn token
            comp.say("stopped leftover processes of an earlier controller")
    for pgid in {e["pgid"] for e in events if e.get("kind") == "spawn"}:
        try:
            cwd = os.readlink(f"/proc/{pgid}/cwd")
        except OSError:
            continue  # gone (or not ours to inspect)
        if cwd == root or cwd.startswith(root + os.sep):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGKILL)
            comp.say(f"stopped a leftover process group {pgid} in {cwd}")


def snapshot_dirty(comp: Competition, agent: AgentState) -> None:
    """Commit uncommitted edits to a ref (so nothing is lost), then clean the worktree."""
    wt = comp.wt(agent)
    if not wt.dirty_files():
        return
    wt.run("add", "-u")
    tree = wt.run("write-tree")
    sha = wt.run(
        "commit-tree", tree, "-p", "HEAD", "-m", f"autoevolve: WIP of {agent.name}", identity=True
    )
    ref = comp.s.layout.archive_ref(agent.name, f"wip-{sha[:12]}")
    comp.set_ref(ref, sha)
    wt.run("reset", "-q", "--hard", "HEAD")
    comp.events.append("snapshot", agent=agent.name, commit=sha, ref=ref)
    comp.say(f"{agent.name}: uncommitted edits saved as {ref}")


def finish_rows(comp: Competition, events: list[dict[str, Any]]) -> None:
    """Complete every row whose intent was logged but whose writes may not have happened."""
    open_rows: list[dict[str, Any]] = []
    for e in events:
        if e.get("kind") == "row_intent":
            open_rows.append(e)
        elif e.get("kind") == "row_done":
            match = next(
                (
                    o
                    for o in open_rows
                    if o["agent"] == e["agent"]
                    and o["cells"]["commit"] == e["commit"]
                    and o["cells"]["status"] == e["status"]
                ),
                None,
            )
            if match is not None:
                open_rows.remove(match)
    metric = comp.state.config.metric
    for e in open_rows:
        agent = comp.state.agent(e["agent"])
        cells = e["cells"]
        if e.get("own", True):
            write_row(Path(agent.worktree) / "results.tsv", cells, metric)
            comp.guard.note_own(agent)
        if e["pooled"]:
            extra = {k: e[k] for k in ("agent", "strategy", "round", *PLACEMENT) if k in e}
            write_row(comp.s.layout.pooled, {**cells, **extra}, metric, pooled=True)
    comp.guard.note_pooled()  # the rows the killed controller owed are the controller's own


def settle_experiment(comp: Competition, agent: AgentState) -> None:
    """Finish, or set up the redo of, the experiment the agent had in flight."""
    if not agent.exp_start:
        return
    wt = comp.wt(agent)
    if agent.exp_commit:
        final = final_row(comp, agent) if comp.state.config.parallel == 1 else None
        if final is not None:
            comp.finish_experiment(agent, final)
            return
        comp.note_interrupted(agent, "training", agent.exp_commit)
        if wt.head() != agent.exp_commit:
            comp.move(agent, agent.exp_commit)
        else:
            comp.settle(agent, agent.exp_commit)
        return  # the round loop re-measures it first
    head = wt.head()
    if head != agent.exp_start:
        comp.set_ref(comp.s.layout.archive_ref(agent.name, f"wip-{head[:12]}"), head)
        comp.move(agent, agent.exp_start)
    else:
        comp.settle(agent, agent.exp_start)
    comp.note_interrupted(agent, "agent", head)


def final_row(comp: Competition, agent: AgentState) -> tuple[Status, Row] | None:
    """The experiment's final row if it was written before the stop."""
    history = read_or_none(Path(agent.worktree) / "results.tsv", comp.state.config.metric)
    for e in reversed(history.experiments if history else ()):
        if e.commit == agent.exp_commit[:7] and e.raw_status in FINAL:
            status = Status(e.raw_status)
            return status, Row(e.commit, e.value, e.memory_gb, status, e.description)
    return None
