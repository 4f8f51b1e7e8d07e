"""Reading a competition back: status, leaderboard and the pooled rows for export."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from autolab_shared.errors import AutolabError
from autolab_shared.results import History, read_results

from .layout import Layout
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


def find_state(root: Path) -> tuple[Layout, State]:
    """The layout and state of the competition in the checkout at ``root``."""
    state = load_state(root / ".autoevolve" / "state.json")
    return Layout(root, state.tag), state


def pooled_history(layout: Layout, state: State) -> History | None:
    """The pooled results.all.tsv, or None before the first row."""
    try:
        return read_results(layout.pooled, metric=state.config.metric)
    except AutolabError:
        return None


def standings(layout: Layout, state: State) -> list[Standing]:
    """Agents ranked by the mean of their best configuration's runs."""
    history = pooled_history(layout, state)
    rows = list(history.experiments) if history else []
    higher = history is not None and history.direction == "max"
    out = []
    for agent in state.agents:
        mine = [e for e in rows if e.get("agent") == agent.name]
        real = [e for e in mine if not e.description.startswith(("validate", "baseline"))]
        best, commit = _best(real, higher)
        base = state.baseline_value
        final = {e.commit: e.status for e in real}  # a retested commit counts once
        keeps = sum(v == "keep" for v in final.values())
        crashes = sum(v == "crash" for v in final.values())
        gain = None if best is None or base is None else best - base
        champion = state.champion_sha[:7] == commit and bool(state.champion_agent)
        out.append(Standing(0, agent.name, agent.strategy, agent.gpu, len(final), keeps, crashes,
                            best, commit, gain, champion))  # fmt: skip
    key = (lambda s: -(s.best or 0.0)) if higher else (lambda s: s.best or float("inf"))
    ranked = sorted(out, key=key)
    return [replace(s, rank=i + 1) for i, s in enumerate(ranked)]


def _best(rows: list[Any], higher: bool) -> tuple[float | None, str]:
    """The kept configuration with the best mean over its runs."""
    groups: dict[str, list[float]] = {}
    for e in rows:
        if e.status == "keep" and e.value is not None:
            groups.setdefault(e.commit, []).append(e.value)
    if not groups:
        return None, ""
    means = {c: statistics.fmean(v) for c, v in groups.items()}
    commit = (max if higher else min)(means, key=lambda c: means[c])
    return means[commit], commit


def status_doc(layout: Layout, state: State) -> dict[str, Any]:
    """The JSON body of ``autoevolve status``."""
    return {
        "tag": state.tag, "phase": state.phase, "round": state.round,
        "rounds": state.config.rounds, "base": state.base, "base_commit": state.base_sha,
        "baseline_value": state.baseline_value, "champion_commit": state.champion_sha,
        "champion_value": state.champion_value, "champion_agent": state.champion_agent or None,
        "champion_branch": layout.champion_branch, "verdict": state.verdict or None,
        "exit_code": state.exit_code,
        "agents": [{"name": a.name, "strategy": a.strategy, "gpu": a.gpu, "branch": a.branch,
                    "worktree": a.worktree, "state": a.status, "current": a.current or None,
                    "experiments_this_round": a.done, "experiments": a.total, "keeps": a.keeps,
                    "crashes": a.crashes} for a in state.agents],
        "history": state.rounds,
    }  # fmt: skip
