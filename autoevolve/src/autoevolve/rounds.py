"""Rounds: the baseline, agents in parallel, and closing a round (validate, crown, spread)."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from autolab_shared.decision import KEEP, STRONG_KEEP
from autolab_shared.errors import AutolabError
from autolab_shared.judge import RunInput, judge
from autolab_shared.results import read_results

from .competition import Competition
from .judging import Row, history_of
from .statefile import AgentState
from .worktrees import reset_to

WIN = (STRONG_KEEP, KEEP)  # MARGINAL is a lead within noise: not a win


def parallel(jobs: list[Callable[[], None]]) -> None:
    """Run the jobs in threads and wait for all; the first exception is re-raised."""
    errors: list[BaseException] = []

    def wrap(job: Callable[[], None]) -> None:
        try:
            job()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=wrap, args=(j,), daemon=True) for j in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def runs_of(comp: Competition, sha: str) -> list[Row]:
    """Every pooled row that measured commit ``sha`` with a value."""
    try:
        history = read_results(comp.s.layout.pooled, metric=comp.state.config.metric)
    except Exception:
        return []
    return [Row(e.commit, e.value, e.memory_gb, e.status, e.description)
            for e in history.experiments
            if e.value is not None and e.commit == sha[:7] and e.status != "crash"]  # fmt: skip


def mean(rows: list[Row]) -> float | None:
    values = [r.value for r in rows if r.value is not None]
    return statistics.fmean(values) if values else None


def baseline(comp: Competition) -> None:
    """Train the starting commit once per agent (in parallel): the first replicates of the noise."""
    state = comp.state
    state.phase = "baseline"
    comp.save()
    comp.say(f"baseline: training {state.base_sha[:7]} once per agent")
    outcomes = {}

    def one(agent: AgentState) -> None:
        outcomes[agent.name] = comp.train(agent, state.base_sha, f"baseline-{agent.name}",
                                          agent.gpu)  # fmt: skip

    parallel([partial(one, a) for a in state.agents])
    rows = [Row(state.base_sha[:7], o.value, o.memory_gb, "keep" if o.value else "crash",
                "baseline") for o in outcomes.values()]  # fmt: skip
    if all(r.value is None for r in rows):
        raise AutolabError("the baseline crashed on every agent: see .autoevolve/runs/*/run.log")
    for agent in state.agents:
        for j, row in enumerate(rows):
            comp.record(agent, row, pooled=(state.agents[j] is agent))
    state.baseline_value = state.champion_value = mean(rows)
    state.champion_sha = state.base_sha
    comp.say(f"baseline: {state.baseline_value:.6f} over {sum(r.value is not None for r in rows)}"
             " runs")  # fmt: skip
    comp.save()


def run_round(comp: Competition, k: int) -> None:
    """Every agent runs its experiments for round ``k``; then the round is closed."""
    state = comp.state
    state.round, state.phase = k, "running"
    for agent in state.agents:
        agent.done, agent.start_sha = 0, comp.wt(agent).head()
    comp.save()
    comp.say(f"round {k}/{state.config.rounds} starts from champion {state.champion_sha[:7]}")
    minutes = state.config.round_minutes
    deadline = time.monotonic() + minutes * 60 if minutes else float("inf")

    def loop(agent: AgentState) -> None:
        i = 0
        while agent.done < state.config.experiments_per_round and time.monotonic() < deadline:
            if comp.stop.is_set():
                return
            comp.experiment(agent, k, i)
            i += 1
            if i >= 3 * state.config.experiments_per_round:
                break  # an agent that keeps making no commit cannot hold the round open
        agent.status = "done"

    parallel([partial(loop, a) for a in state.agents])
    close_round(comp, k)


def close_round(comp: Competition, k: int) -> None:
    """Tag tips, validate the best candidates, crown a champion, propagate, write hints."""
    state = comp.state
    state.phase = "closing"
    comp.save()
    for agent in state.agents:
        comp.s.git.update_ref(comp.s.layout.round_tag(k, agent.name), comp.wt(agent).head())
    candidates = rank_candidates(comp)
    validate(comp, candidates[:2], k)
    winner = crown(comp, candidates[:2], k)
    if winner is not None:
        propagate(comp, winner, k)
    write_hints(comp, k)
    state.rounds.append(
        {
            "round": k,
            "winner": winner.name if winner else None,
            "champion": state.champion_sha,
            "value": state.champion_value,
        }
    )
    comp.events.append("round_done", round=k, champion=state.champion_sha)
    comp.save()


def rank_candidates(comp: Competition) -> list[AgentState]:
    """Agents whose tip moved this round, best kept value first."""
    state = comp.state
    sign = -1.0 if _higher_better(comp) else 1.0
    moved = [a for a in state.agents if comp.wt(a).head() != a.start_sha]
    scored = [(mean(runs_of(comp, comp.wt(a).head())), a) for a in moved]
    ranked = sorted([(v, a) for v, a in scored if v is not None], key=lambda p: sign * p[0])
    return [a for _, a in ranked]


def validate(comp: Competition, agents: list[AgentState], k: int) -> None:
    """Re-run each candidate ``validate`` times (any free GPU) before it can be crowned."""
    jobs: list[Callable[[], None]] = []
    for agent in agents:
        for j in range(comp.state.config.validate):
            jobs.append(partial(_rerun, comp, agent, k, j))
    parallel(jobs)


def _rerun(comp: Competition, agent: AgentState, k: int, j: int) -> None:
    sha = comp.wt(agent).head()
    outcome = comp.train(agent, sha, f"validate-{agent.name}-{j}", None)
    desc = f"validate r{k}: {comp.wt(agent).subject(sha)}"
    status = "keep" if outcome.value is not None else "crash"
    comp.record(agent, Row(sha[:7], outcome.value, outcome.memory_gb, status, desc))
    comp.say(f"validate {agent.name} {sha[:7]}: {outcome.value}")


def crown(comp: Competition, agents: list[AgentState], k: int) -> AgentState | None:
    """The first candidate that beats the champion beyond noise becomes the champion."""
    state = comp.state
    metric = state.config.metric
    champ_rows = runs_of(comp, state.champion_sha)
    for agent in sorted(
        agents, key=lambda a: _signed(comp, mean(runs_of(comp, comp.wt(a).head())))
    ):
        sha = comp.wt(agent).head()
        cand = runs_of(comp, sha)
        if not cand or not comp.s.git.is_ancestor(state.champion_sha, sha):
            continue
        before = [Row(r.commit, r.value, r.memory_gb, "keep", r.description) for r in champ_rows]
        before += [Row(r.commit, r.value, r.memory_gb, "retest", r.description) for r in cand[:-1]]
        last = cand[-1]
        verdict = judge(
            history_of(before, metric),
            RunInput(last.value, last.memory_gb, last.commit, last.description),
        )
        comp.say(f"round {k}: {agent.name} {sha[:7]} mean {mean(cand):.6f} vs champion "
                 f"{state.champion_value:.6f}: {verdict.verdict}")  # fmt: skip
        if verdict.verdict in WIN:
            comp.s.git.update_ref(f"refs/heads/{comp.s.layout.champion_branch}", sha)
            state.champion_sha, state.champion_value = sha, mean(cand)
            state.champion_agent = agent.name
            comp.events.append("crown", round=k, agent=agent.name, commit=sha)
            return agent
    comp.say(f"round {k}: no candidate beat the champion beyond noise")
    return None


def propagate(comp: Competition, winner: AgentState, k: int) -> None:
    """``all``: every other agent moves to the champion; ``none``: nobody moves."""
    state = comp.state
    if state.config.propagate == "none":
        return
    desc = (
        f"adopt: champion r{k} from {winner.name} ({comp.wt(winner).subject(state.champion_sha)})"
    )
    for agent in state.agents:
        if agent is winner:
            continue
        reset_to(comp.wt(agent), state.champion_sha)
        value = state.champion_value
        comp.record(agent, Row(state.champion_sha[:7], value, None, "keep", desc), pooled=False)
        comp.events.append("adopt", round=k, agent=agent.name, commit=state.champion_sha)


def write_hints(comp: Competition, k: int) -> None:
    """The round's kept changes, best first, for the next round's prompts."""
    try:
        history = read_results(comp.s.layout.pooled, metric=comp.state.config.metric)
    except Exception:
        return
    keeps = [e for e in history.experiments if e.status == "keep" and e.value is not None
             and e.get("round") == str(k)
             and not e.description.startswith(("validate", "baseline"))]  # fmt: skip
    keeps.sort(key=lambda e: _signed(comp, e.value))
    lines = [f"- {e.description} ({e.get('agent') or '?'}: {e.value:.6f})" for e in keeps[:8]]
    path = comp.s.layout.hints(k)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n" if lines else "", encoding="utf-8")


def _higher_better(comp: Competition) -> bool:
    try:
        return read_results(comp.s.layout.pooled).direction == "max"
    except Exception:
        return False


def _signed(comp: Competition, value: float | None) -> float:
    if value is None:
        return float("inf")
    return -value if _higher_better(comp) else value


__all__ = ["Path", "baseline", "close_round", "run_round"]
