"""Reading a competition back: status, leaderboard and the pooled rows for export."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from autolab_shared.core.errors import AutolabError
from autolab_shared.parsing.results import History
from autolab_shared.report.leaderboard import leaderboard

from .layout import Layout, pick_tag
from .ledger import read_or_none
from .names import check_name
from .statefile import State, load_state


@dataclass(frozen=True)
class Standing:
    """One agent's line of the leaderboard."""

    rank: int
    agent: str
    strategy: str
    gpu: str
    experiments: int
    keeps: int
    crashes: int
    best: float | None
    best_commit: str
    improvement: float | None  # best − baseline (negative = better for a lower-is-better metric)
    champion: bool
    runs: int = 0  # runs behind ``best``
    posterior: float | None = None  # ``best`` shrunk toward the baseline by its runs (the rank)
    violations: int = 0
    retired: bool = False


def find_state(root: Path, tag: str | None = None) -> tuple[Layout, State]:
    """The layout and state of competition ``tag`` (default: the last started) at ``root``."""
    name = check_name(pick_tag(root, tag), "tag") if (tag or pick_tag(root, None)) else ""
    if not name:
        raise AutolabError(f"no autoevolve run in {root} (start one, or pass --tag)")
    layout = Layout(root, name)
    return layout, load_state(layout.state_file, layout)


def pooled_history(layout: Layout, state: State) -> History | None:
    """The pooled results.all.tsv, or None before the first row."""
    return read_or_none(layout.pooled, state.config.metric)


def standings(layout: Layout, state: State) -> list[Standing]:
    """Agents ranked by the mean of their best kept configuration's runs (shared leaderboard)."""
    history = pooled_history(layout, state)
    rows = (
        {r.agent: r for r in leaderboard(history, baseline=state.baseline_value)} if history else {}
    )
    out = []
    for agent in state.agents:
        row = rows.get(agent.name)
        commit = row.best_commit or "" if row else ""
        # the agent whose tip was crowned last holds the champion (its best row may be another
        # configuration: everyone adopts the champion, so commits alone do not say whose it is)
        champion = bool(state.champion_agent) and agent.name == state.champion_agent
        out.append(
            Standing(
                0,
                agent.name,
                agent.strategy,
                agent.gpu,
                row.experiments if row else 0,
                row.keeps if row else 0,
                row.crashes if row else 0,
                row.best if row else None,
                commit,
                row.improvement if row else None,
                champion,
                row.runs if row else 0,
                row.posterior if row else None,
                agent.violations,
                agent.retired,
            )
        )
    order = [r.agent for r in rows.values()]
    out.sort(key=lambda s: order.index(s.agent) if s.agent in order else len(order))
    return [replace(s, rank=i + 1) for i, s in enumerate(out)]


def status_doc(layout: Layout, state: State) -> dict[str, Any]:
    """The JSON body of ``autoevolve status``."""
    return {
        "tag": state.tag,
        "phase": state.phase,
        "round": state.round,
        "rounds": state.config.rounds,
        "base": state.base,
        "base_commit": state.base_sha,
        "baseline_value": state.baseline_value,
        "champion_commit": state.champion_sha,
        "champion_value": state.champion_value,
        "champion_agent": state.champion_agent or None,
        "champion_branch": layout.champion_branch,
        "verdict": state.verdict or None,
        "exit_code": state.exit_code,
        "agents": [
            {
                "name": a.name,
                "strategy": a.strategy,
                "gpu": a.gpu,
                "branch": a.branch,
                "worktree": a.worktree,
                "state": a.status,
                "current": a.current or None,
                "experiments_this_round": a.done,
                "experiments": a.total,
                "keeps": a.keeps,
                "crashes": a.crashes,
                "violations": a.violations,
                "retired": a.retired,
            }
            for a in state.agents
        ],
        "history": [r.to_json() for r in state.rounds],
        "mode": state.config.mode,
        "propagate": state.config.propagate,
        "interrupted": state.interrupted,
        "executor": state.config.executor,
        "trainings": in_flight(state),
    }


def in_flight(state: State, now: float | None = None) -> list[dict[str, Any]]:
    """The trainings running now: run, agent, commit, node, GPU, type and elapsed seconds."""
    now = time.time() if now is None else now
    runs = sorted(state.trainings.values(), key=lambda t: (t["started_at"], t["run"]))
    return [{**t, "elapsed_s": round(max(0.0, now - t["started_at"]), 1)} for t in runs]
