"""The competition: agents propose commits, the harness trains, judges, keeps or resets them."""

from __future__ import annotations

import threading
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

from autolab_shared.appendrow import append_row
from autolab_shared.classify import default_classifier
from autolab_shared.columns import STANDARD
from autolab_shared.decision import RETEST
from autolab_shared.judge import RunInput, judge
from autolab_shared.results import read_results
from autolab_shared.verdictrow import status_of

from .agents import AgentCommand
from .display import Reporter
from .events import EventLog
from .gitrepo import Git
from .gpus import CPU, GpuPool
from .judging import Row
from .layout import POOLED_EXTRA, Layout
from .prompt import PromptParts, build_prompt, recent_rows, steering_text
from .statefile import AgentState, State, save_state
from .strategies import Strategy
from .training import RunOutcome, run_training
from .worktrees import commit_leftovers, reset_to


@dataclass(frozen=True)
class Setup:
    """The fixed parts of a competition."""

    git: Git
    layout: Layout
    strategies: dict[str, Strategy]
    agent_cmd: AgentCommand
    reporter: Reporter


class Competition:
    """Runs rounds of experiments over the agents in a State and keeps that state on disk."""

    def __init__(self, setup: Setup, state: State, stop: threading.Event) -> None:
        self.s = setup
        self.state = state
        self.stop = stop
        self.events = EventLog(setup.layout.events_file)
        self.pool = GpuPool(setup.layout.state_dir / "gpu", state.config.gpus)
        self.lock = threading.RLock()
        self.classify = default_classifier()

    # -- bookkeeping -------------------------------------------------------------------
    def save(self) -> None:
        """Write the state atomically and refresh the display."""
        with self.lock:
            self.state.updated_at = time.time()
            save_state(self.s.layout.state_file, self.state)
            self.s.reporter.update(self.state)

    def say(self, text: str) -> None:
        """One progress line."""
        self.s.reporter.event(text)

    def seed_for(self, *parts: object) -> int:
        """A stable seed for one decision (the same across runs and resumes)."""
        key = "/".join(str(p) for p in (self.state.config.seed, *parts))
        return zlib.crc32(key.encode())

    def wt(self, agent: AgentState) -> Git:
        return Git(Path(agent.worktree))

    def short(self, sha: str) -> str:
        return sha[:7]

    # -- rows --------------------------------------------------------------------------
    def record(self, agent: AgentState, row: Row, *, pooled: bool = True) -> None:
        """Append a row to the agent's results.tsv and (unless a marker) to results.all.tsv."""
        metric = self.state.config.metric
        cells = row.cells(metric)
        append_row(Path(agent.worktree) / "results.tsv", cells, metric=metric)
        if pooled:
            extra = {"agent": agent.name, "strategy": agent.strategy,
                     "round": str(self.state.round)}  # fmt: skip
            append_row(self.s.layout.pooled, {**cells, **extra},
                       default_columns=(*STANDARD, *POOLED_EXTRA), metric=metric)  # fmt: skip
        self.events.append("row", agent=agent.name, commit=row.commit, status=row.status,
                           value=row.value, pooled=pooled)  # fmt: skip

    # -- training ----------------------------------------------------------------------
    def train(self, agent: AgentState | None, sha: str, label: str, gpu: str | None = None
              ) -> RunOutcome:  # fmt: skip
        """Train ``sha`` (checked out in the agent's worktree) holding a GPU for the whole run."""
        cfg = self.state.config
        run_id = f"r{self.state.round}-{label}"  # stable: a resumed run gets the same id
        worktree = Path(agent.worktree) if agent else self.s.git.cwd
        holder = self.pool.hold(gpu) if gpu else self.pool.any()
        with holder as held:
            self.events.append("train_start", run=run_id, gpu=held, commit=sha)
            outcome = run_training(worktree, cfg.train_cmd, gpu=held, timeout=cfg.timeout,
                                   log=self.s.layout.run_dir(run_id) / "run.log", run_id=run_id,
                                   metric=cfg.metric, stop=None)  # fmt: skip
        self.events.append("train_done", run=run_id, value=outcome.value, crash=outcome.crash)
        return outcome

    # -- one experiment ----------------------------------------------------------------
    def experiment(self, agent: AgentState, k: int, i: int) -> None:
        """Ask the agent for a commit, train it, judge it, keep it or reset it."""
        wt = self.wt(agent)
        start = wt.head()
        self._set(agent, "thinking", f"experiment {i + 1}")
        self.run_agent(agent, k, i)
        commit_leftovers(wt, f"autoevolve: uncommitted edit by {agent.name}")
        head = wt.head()
        if head == start:
            self.say(f"{agent.name}: made no commit (experiment {i + 1} skipped)")
            self.events.append("noop", agent=agent.name, round=k, index=i)
            return
        with self.lock:
            self.s.git.update_ref(self.s.layout.exp_ref(head), head)
        description = wt.subject(head)
        self._set(agent, "training", description)
        status, row = self.measure(agent, head, description, i)
        self.conclude(agent, start, head, status, row)

    def measure(self, agent: AgentState, sha: str, description: str, i: int) -> tuple[str, Row]:
        """Train and judge, re-running while the verdict is RETEST (up to the cap)."""
        results = Path(agent.worktree) / "results.tsv"
        metric = self.state.config.metric
        for attempt in range(self.state.config.max_retests + 1):
            outcome = self.train(agent, sha, f"{agent.name}-e{i}-a{attempt}", agent.gpu)
            if outcome.value is None:
                crash = f"{description} [crash: {outcome.crash}: {outcome.detail}]"[:300]
                return "crash", Row(self.short(sha), None, None, "crash", crash)
            self._set(agent, "judging", description)
            cand = RunInput(outcome.value, outcome.memory_gb, self.short(sha), description)
            verdict = judge(read_results(results, metric=metric), cand).verdict
            row = Row(self.short(sha), outcome.value, outcome.memory_gb, status_of(verdict),
                      description)  # fmt: skip
            if verdict != RETEST or attempt == self.state.config.max_retests:
                status = "discard" if verdict == RETEST else status_of(verdict)
                return status, Row(row.commit, row.value, row.memory_gb, status, description)
            self.record(agent, row)
            self.say(f"{agent.name}: {description}: {outcome.value:.6f} within noise, re-running")
        raise AssertionError("unreachable")

    def conclude(self, agent: AgentState, start: str, head: str, status: str, row: Row) -> None:
        """Write the row, then keep the commit or reset the worktree to ``start``."""
        self.record(agent, row)
        with self.lock:
            agent.done += 1
            agent.total += 1
            agent.crashes += status == "crash"
            if status == "keep":
                agent.keeps += 1
                agent.best_value = row.value
                agent.best_sha = head
        if status != "keep":
            reset_to(self.wt(agent), start)
        value = "-" if row.value is None else f"{row.value:.6f}"
        self.say(f"{agent.name}: {row.description}: {value} {status}")
        self.events.append("experiment", agent=agent.name, commit=head, status=status)
        self._set(agent, "idle", "")

    def _set(self, agent: AgentState, status: str, current: str) -> None:
        with self.lock:
            agent.status, agent.current = status, current
        self.save()

    # -- the agent process -------------------------------------------------------------
    def run_agent(self, agent: AgentState, k: int, i: int) -> None:
        """Write the prompt and run the agent command in its worktree (no GPU visible)."""
        from .procs import run_group

        rdir = self.s.layout.round_dir(k)
        rdir.mkdir(parents=True, exist_ok=True)
        prompt = self.prompt(agent, k, i)
        prompt_file = rdir / f"{agent.name}.prompt.md"
        prompt_file.write_text(prompt, encoding="utf-8")
        seed = self.seed_for(agent.name, k, i)
        values = {"prompt": prompt, "prompt_file": str(prompt_file), "worktree": agent.worktree,
                  "agent": agent.name, "strategy": agent.strategy, "round": str(k),
                  "seed": str(seed)}  # fmt: skip
        env = {**_base_env(), "CUDA_VISIBLE_DEVICES": "", "AUTOEVOLVE_AGENT": agent.name,
               "AUTOEVOLVE_ROUND": str(k), "AUTOEVOLVE_PROMPT_FILE": str(prompt_file)}  # fmt: skip
        if self.s.agent_cmd.name == "mock":  # reproducible commit ids: a resumed run repeats them
            stamp = f"{1_700_000_000 + seed % 10**7} +0000"
            env.update(GIT_AUTHOR_DATE=stamp, GIT_COMMITTER_DATE=stamp)
        done = run_group(self.s.agent_cmd.argv(values), cwd=Path(agent.worktree), env=env,
                         timeout=self.state.config.agent_timeout,
                         log=rdir / f"{agent.name}.agent.log", stop=self.stop)  # fmt: skip
        if done.returncode != 0:
            self.say(f"{agent.name}: agent exited with {done.returncode}"
                     f"{' (timeout)' if done.timed_out else ''}")  # fmt: skip

    def prompt(self, agent: AgentState, k: int, i: int) -> str:
        """The prompt for this agent's next experiment."""
        strategy = self.s.strategies[agent.name]
        program = Path(agent.worktree) / "program.md"
        hints = self.s.layout.hints(k - 1)
        steering = steering_text(self.s.layout.pooled, strategy.steer, self.pending(agent),
                                 self.seed_for("steer", agent.name, k, i))  # fmt: skip
        parts = PromptParts(
            agent=agent.name, round=k, strategy=strategy,
            program_md=program.read_text("utf-8", "replace") if program.exists() else "",
            recent_rows=recent_rows(Path(agent.worktree) / "results.tsv"),
            hints=hints.read_text("utf-8") if hints.exists() else "", steering=steering,
        )  # fmt: skip
        return build_prompt(parts)

    def pending(self, agent: AgentState) -> list[str]:
        """Categories other agents are training right now (autosteer's virtual losses)."""
        with self.lock:
            busy = [
                a.current
                for a in self.state.agents
                if a is not agent and a.status in ("training", "judging") and a.current
            ]
        return [self.classify.category(text) for text in busy]


def _base_env() -> dict[str, str]:
    import os

    return dict(os.environ)


__all__ = ["CPU", "Competition", "Setup"]
