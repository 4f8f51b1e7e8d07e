"""Free mode: each agent runs program.md's own loop; autoevolve watches, closes rounds, spreads.

Numbers in free mode are the agents' own (self-reported) rows; rounds close by time (or when
every agent has written ``--experiments-per-round`` rows), with the agents paused (SIGSTOP)
while branches move. Agents that adopt the champion get a fresh session; the others continue.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

from autolab_shared.core.vocabulary import Status

from .agentcall import agent_call
from .competition import Competition
from .editable import protected_changes
from .gpus import visible_devices
from .judging import Row
from .ledger import read_or_none, row_writer
from .reaper import TOKEN_ENV, new_token, reap
from .resume import snapshot_dirty
from .rounds import close_round, mean, runs_of
from .statefile import AgentState
from .worktrees import clear_stale_locks

FREE_RULES = """\
You are agent `{agent}` of an autoevolve competition (free mode), working in this git worktree on
branch `{branch}` with GPU {gpu} (CUDA_VISIBLE_DEVICES is set for you). Follow program.md below
exactly: run its experiment loop yourself, log every run to `results.tsv`, keep or reset commits
as it says, and do not stop. Every {minutes} minutes autoevolve may move your branch to the best
configuration found by any agent; when that happens you are restarted from there."""


def claude_bash_timeouts(train_timeout: float) -> dict[str, str]:
    """Claude Code's Bash tool stops a command after 120 s by default; a free-mode agent runs
    whole trainings through it, so allow the training timeout plus a minute (milliseconds)."""
    ms = str(int((train_timeout + 60) * 1000))
    return {"BASH_DEFAULT_TIMEOUT_MS": ms, "BASH_MAX_TIMEOUT_MS": ms}


class FreeAgents:
    """The long-running agent sessions of free mode, one process group each."""

    def __init__(self, comp: Competition) -> None:
        self.comp = comp
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.tokens: dict[str, str] = {}

    def launch(self, agent: AgentState, k: int) -> None:
        """Start (or restart) the agent's own loop with its GPU pinned."""
        comp = self.comp
        comp.guard.unsettle(agent)  # its session starts: what a neighbour wrote is put back
        rdir = comp.s.layout.round_dir(k)
        seed = str(comp.seed_for(agent.name, k, "free"))
        call = agent_call(rdir, agent, k, free_prompt(comp, agent), seed)
        env = {
            **call.env,
            "CUDA_VISIBLE_DEVICES": visible_devices(agent.gpu),
            **claude_bash_timeouts(comp.state.config.timeout),
        }
        self.tokens[agent.name] = env[TOKEN_ENV] = new_token()
        log = open(rdir / f"{agent.name}.agent.log", "ab")  # noqa: SIM115 - owned by the child
        self.procs[agent.name] = subprocess.Popen(
            comp.s.agent_cmd.for_free_mode().argv(call.values),
            cwd=agent.worktree,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        comp.spawned(self.procs[agent.name].pid)
        comp.guard.turn_starts(agent)
        comp.say(f"{agent.name}: own loop started on GPU {agent.gpu}")

    def alive(self, name: str) -> bool:
        proc = self.procs.get(name)
        return proc is not None and proc.poll() is None

    def signal_all(self, sig: int) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, sig)

    def end(self, name: str) -> None:
        """Stop one agent's session for good (it may be paused)."""
        proc = self.procs.pop(name, None)
        if proc is None:
            return
        if proc.poll() is not None:
            reap(proc.pid, self.tokens.get(name, ""))
            return
        for sig in (signal.SIGTERM, signal.SIGCONT):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        reap(proc.pid, self.tokens.get(name, ""))

    def end_all(self) -> None:
        for name in list(self.procs):
            self.end(name)


def free_prompt(comp: Competition, agent: AgentState) -> str:
    """program.md unchanged, plus who and where the agent is and its strategy."""
    strategy = comp.s.strategies[agent.name]
    program = Path(agent.worktree) / "program.md"
    text = program.read_text("utf-8", "replace") if program.exists() else ""
    rules = FREE_RULES.format(
        agent=agent.name,
        branch=agent.branch,
        gpu=agent.gpu,
        minutes=comp.state.config.round_minutes or 60,
    )
    return f"{rules}\n\n## Your strategy\n\n{strategy.text}\n\n## program.md\n\n{text}\n"


def harvest(comp: Competition, agent: AgentState) -> int:
    """Copy the agent's new self-reported rows to the pooled file; returns how many."""
    metric = comp.state.config.metric
    history = read_or_none(Path(agent.worktree) / "results.tsv", metric)
    if history is None:
        return 0
    rows = history.experiments
    new = rows[agent.total :]
    for e in new:
        row = Row(e.commit, e.value, e.memory_gb, e.raw_status or e.status, e.description)
        cells = row.cells(metric)
        extra = {"agent": agent.name, "strategy": agent.strategy, "round": str(comp.state.round)}
        comp.guard.append_pooled(row_writer({**cells, **extra}, metric, pooled=True))
        comp.say(f"{agent.name}: {e.description}: {cells[metric]} {cells['status']}")
    with comp.lock:
        agent.total = len(rows)
        agent.done += len(new)
        agent.keeps += sum(e.status == Status.KEEP for e in new)
        agent.crashes += sum(e.status == Status.CRASH for e in new)
    return len(new)


def run_free_round(comp: Competition, k: int, agents: FreeAgents) -> None:
    """Let every agent loop until the round's time (or row budget) is used, then close it."""
    state = comp.state
    state.round, state.phase = k, "running"
    comp.guard.turn_ends(None)  # the worktrees as the last round left them
    for agent in state.agents:
        agent.done, agent.start_sha = 0, comp.wt(agent).head()
    comp.save()
    minutes = state.config.round_minutes or 60.0
    deadline = time.monotonic() + minutes * 60
    comp.say(
        f"round {k}/{state.config.rounds} (free mode, {minutes:g} min) from "
        f"{state.champion_sha[:7]}"
    )
    for agent in state.agents:
        if not agents.alive(agent.name):
            agents.launch(agent, k)
    while time.monotonic() < deadline and not comp.stop.is_set():
        for agent in state.agents:
            harvest(comp, agent)
            if not agents.alive(agent.name):
                agents.launch(agent, k)  # its loop ended early: keep going
        comp.save()
        if all(a.done >= state.config.experiments_per_round for a in state.agents):
            break
        if comp.stop_requested():
            break
        comp.guard.turn_ends(None)  # every session is a suspect: logged, counted if only one
        comp.stop.wait(0.5)
    agents.signal_all(signal.SIGSTOP)  # nothing moves while the round is read
    for agent in state.agents:
        harvest(comp, agent)
    agents.end_all()  # sessions end here: the GPUs are free for validation re-runs
    for agent in state.agents:
        settle_free(comp, agent, k)
    comp.save()
    if comp.stop.is_set():
        return
    close_round(comp, k)
    for agent in state.agents:  # rows autoevolve wrote (adopt markers) are not the agent's
        agent.total = _row_count(comp, agent)
    comp.save()


def drive_free(comp: Competition) -> bool:
    """All rounds of a free-mode competition; False when it was stopped before the end."""
    state = comp.state
    agents = FreeAgents(comp)
    try:
        for k in range(max(state.round, 1), state.config.rounds + 1):
            if any(r.round == k for r in state.rounds):
                continue
            run_free_round(comp, k, agents)
            if state.baseline_value is None:
                state.baseline_value = mean(runs_of(comp, state.base_sha))
            if comp.stop.is_set() or comp.stop_requested():
                return k >= state.config.rounds and not comp.stop.is_set()
        return True
    finally:
        agents.end_all()


def settle_free(comp: Competition, agent: AgentState, k: int) -> None:
    """Save uncommitted edits and an unjudged commit to refs, then go back to the last keep."""
    clear_stale_locks(comp.wt(agent))  # a session ended mid-commit leaves index.lock behind
    snapshot_dirty(comp, agent)
    wt = comp.wt(agent)
    head = wt.head()
    kept = last_keep(comp, agent, k) or agent.start_sha
    if head != kept:
        comp.set_ref(comp.s.layout.archive_ref(agent.name, f"r{k}-{head[:12]}"), head)
        comp.move(agent, kept)
    else:
        comp.settle(agent, kept)  # guarded until its next session


def last_keep(comp: Competition, agent: AgentState, k: int) -> str | None:
    """The agent's latest self-reported keep of round ``k`` that descends from its start."""
    history = comp.pooled()
    for e in reversed(history.experiments if history else ()):
        if e.get("agent") != agent.name or e.get("round") != str(k) or e.status != Status.KEEP:
            continue
        sha = comp.wt(agent).resolve(e.commit)
        if sha and comp.s.git.is_ancestor(agent.start_sha, sha):
            if protected_changes(comp.s.git, agent.start_sha, sha, comp.state.config.editable):
                comp.say(f"{agent.name}: keep {e.commit} changes protected files: not adopted")
                continue
            return sha
    return None


def _row_count(comp: Competition, agent: AgentState) -> int:
    history = read_or_none(Path(agent.worktree) / "results.tsv", comp.state.config.metric)
    return len(history.experiments) if history else 0
