"""The competition: agents propose commits, the harness trains, judges, keeps or resets them."""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from autolab_shared.core.errors import AutolabError
from autolab_shared.core.vocabulary import CrashKind, Status
from autolab_shared.parsing.results import History, parse_results
from autolab_shared.stats.decision import RETEST
from autolab_shared.stats.judge import RunInput, judge
from autolab_shared.stats.verdictrow import status_of
from autolab_shared.steering.classify import default_classifier

from .agentcall import agent_call
from .agents import AgentCommand
from .board import pooled_history
from .display import Reporter
from .editable import PROTECTED_PATH, protected_changes
from .events import EventLog
from .executor import Placement, TrainJob
from .executor_choice import make_executor
from .gate import screen_outcome
from .gitrepo import Git, GitError
from .gpus import GpuPool
from .integrity import Guard
from .judging import Row
from .layout import Layout
from .ledger import row_writer, write_row
from .procs import run_group
from .prompt import PromptParts, build_prompt, recent_rows, steering_text
from .reaper import token_of
from .statefile import AgentState, State, read_or_empty, save_state
from .strategies import Strategy
from .training import RunOutcome
from .transplant import transplant_commit
from .waves import run_wave
from .worktrees import clear_stale_locks, commit_leftovers, reset_to


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
        self.pool = GpuPool(setup.layout.gpu_dir, state.config.gpus)
        state.trainings.clear()  # a starting controller has nothing in flight yet
        self.executor = make_executor(
            state.config, self.pool, setup.git, self.spawned, self.executor_event
        )
        self.pick_screen_type()
        self.lock = threading.RLock()
        self.classify = default_classifier()
        self._higher: bool | None = None
        self.saved_text = ""  # state.json as last written (the guard's record of it)
        self.guard = Guard(self)
        # called as a wave's variants are submitted (the round's early re-runs listen)
        self.on_wave: Callable[[AgentState, list[str]], None] = lambda agent, commits: None

    # -- bookkeeping -------------------------------------------------------------------
    def save(self) -> None:
        """Write the state atomically and refresh the display; a state.json that is not as last
        written (an agent's edit the next check has not seen yet) is noted first, not lost."""
        with self.lock:
            self.state.updated_at = time.time()
            path = self.s.layout.state_file
            if self.saved_text and read_or_empty(path) != self.saved_text.encode():
                self.guard.note_change(f"changed {path.name}")
            self.saved_text = save_state(path, self.state)
            self.s.reporter.update(self.state)

    def pooled(self) -> History | None:
        """The pooled results.all.tsv, or None before its first row."""
        return pooled_history(self.s.layout, self.state)

    def higher_is_better(self) -> bool:
        """The direction, read once from the pooled results (lower is better until then)."""
        if self._higher is None:
            history = self.pooled()
            if history is None:
                return False
            self._higher = history.direction == "max"
        return self._higher

    def stop_requested(self) -> bool:
        """True once ``autoevolve stop`` asked for a clean stop at the end of this round."""
        return self.s.layout.stop_file.exists()

    def commit_dates(self, *parts: object) -> dict[str, str]:
        """Fixed commit dates for the mock agent, so a resumed run makes the same commit ids."""
        if self.s.agent_cmd.name != "mock":
            return {}
        stamp = f"{1_700_000_000 + self.seed_for(*parts) % 10**7} +0000"
        return {"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}

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
    def record(self, agent: AgentState, row: Row, *, pooled: bool = True, own: bool = True) -> None:
        """Write a row once: to the agent's results.tsv (own) and results.all.tsv (pooled)."""
        metric = self.state.config.metric
        cells = row.cells(metric)
        extra = {"agent": agent.name, "strategy": agent.strategy, "round": str(self.state.round)}
        if self.executor.name != "local":  # where it ran: replicates are compared by type
            extra.update(node=row.node, gpu_type=row.gpu_type)
        self.events.append("row_intent", cells=cells, pooled=pooled, own=own, **extra)
        if own and self.state.config.mode == "free":  # a free-mode agent writes its own file
            write_row(Path(agent.worktree) / "results.tsv", cells, metric)
        elif own:
            self.guard.append_own(agent, row_writer(cells, metric))
        if pooled:
            self.guard.append_pooled(row_writer({**cells, **extra}, metric, pooled=True))
        self.events.append("row_done", agent=agent.name, commit=row.commit, status=row.status)

    # -- training ----------------------------------------------------------------------
    def train(
        self,
        agent: AgentState | None,
        sha: str,
        label: str,
        gpu: str | None = None,
        gpu_type: str | None = None,
        where: Path | None = None,
        priority: int | None = None,
        cancel: threading.Event | None = None,
        log: Path | None = None,
    ) -> RunOutcome:
        """Train ``sha`` (checked out in the agent's worktree, or ``where``) on the executor;
        wait for it (``cancel`` stops this training alone). ``priority``: see ``TrainJob``
        (by default the agent's turns left in the round); ``log``: run.log elsewhere than the
        run's folder (an early re-run, which may train beside another of its run id)."""
        cfg = self.state.config
        run_id = self.run_id(label)
        worktree = where or (Path(agent.worktree) if agent else self.s.git.cwd)
        job = TrainJob(
            run_id,
            sha,
            worktree,
            log or self.s.layout.run_dir(run_id) / "run.log",
            cfg.train_cmd,
            cfg.timeout,
            cfg.metric,
            gpu,
            gpu_type or cfg.gpu_type,
            agent.name if agent else "",
            self.chain_left(agent) if priority is None else priority,
        )
        if self.executor.name != "local":
            self.events.append(
                "train_submitted", run=run_id, commit=sha, executor=self.executor.name
            )
        outcome = self.executor.run(job, self.stop, on_start=self.started, cancel=cancel)
        with self.lock:
            self.state.trainings.pop(self.in_flight_key(job), None)
        self.events.append(
            "train_done",
            run=run_id,
            commit=sha,
            value=outcome.value,
            crash=outcome.crash,
            **({"node": outcome.node} if outcome.node else {}),
        )
        return outcome

    def run_id(self, label: str) -> str:
        """The run id of training ``label`` this round (stable: a resumed run gets the same
        id, and so the same seed)."""
        return f"r{self.state.round}-{label}"

    def in_flight_key(self, job: TrainJob) -> str:
        """The training's key among those in flight: its run id, with its commit when its
        run.log is elsewhere (early re-runs of several commits may share a run id)."""
        if job.log.parent == self.s.layout.run_dir(job.run_id):
            return job.run_id
        return f"{job.run_id}@{job.commit[:7]}"

    def chain_left(self, agent: AgentState | None) -> int:
        """Trainings left one after another on the agent's way through the round: its turns
        left (this one included), one more when its tip moved this round (a validation re-run
        follows its last turn), and 1 outside a round's turns (a validation re-run, a baseline)."""
        per_round = self.state.config.experiments_per_round
        if agent is None or self.state.phase != "running" or agent.done >= per_round:
            return 1
        moved = agent.exp_start not in ("", agent.start_sha)
        return per_round - agent.done + int(moved)

    def pick_screen_type(self) -> None:
        """On a cluster with several GPU kinds and no --gpu-type, screen on the most numerous
        (other than --validate-on's): runs of different kinds are never replicates."""
        cfg = self.state.config
        kinds = self.executor.gpu_types()
        if cfg.gpu_type or len(kinds) < 2:
            return
        others = {k: n for k, n in kinds.items() if k != cfg.validate_on} or kinds
        cfg.gpu_type = max(sorted(others), key=lambda k: others[k])
        self.say(
            f"the cluster has {', '.join(sorted(kinds))} GPUs: screening on {cfg.gpu_type} "
            "(--gpu-type picks another)"
        )

    def executor_event(self, kind: str, data: dict[str, Any]) -> None:
        """Journal and show what the executor reports (a node lost or taken out)."""
        self.events.append(kind, **data)
        self.say(f"{kind}: " + ", ".join(f"{k}={v}" for k, v in data.items()))

    def started(self, job: TrainJob, where: Placement) -> None:
        """A training got its GPU: journal it (the node too when it is not this machine)."""
        extra = {"node": where.node, "gpu_type": where.gpu_type} if where.node != "local" else {}
        self.events.append(
            "train_intent", run=job.run_id, gpu=where.gpu, commit=job.commit, **extra
        )
        with self.lock:
            self.state.trainings[self.in_flight_key(job)] = {
                "run": job.run_id,
                "agent": job.agent or None,
                "commit": job.commit[:7],
                "executor": self.executor.name,
                "node": where.node,
                "gpu": where.gpu,
                "gpu_type": where.gpu_type or None,
                "started_at": round(time.time(), 3),
            }
        self.save()

    def set_ref(self, ref: str, sha: str) -> None:
        """Point a ref at a commit, logged as intent then done (repeating it is harmless)."""
        self.events.append("ref_intent", ref=ref, commit=sha)
        with self.guard.lock:
            self.s.git.update_ref(ref, sha)
            self.guard.note_ref(ref, sha)
        self.events.append("ref_done", ref=ref)

    def move(self, agent: AgentState, sha: str) -> None:
        """Reset the agent's worktree and branch to ``sha``, logged as intent then done; its
        guard is checked first and settled at ``sha`` after (recorded as its tip before the
        move, so a resumed controller finishes the move rather than reporting it)."""
        files = self.guard.unsettle(agent)
        with self.lock:
            agent.tip = sha
        if not agent.exp_start:  # in flight, a resume redoes the experiment's end instead
            self.save()
        self.events.append("reset_intent", agent=agent.name, commit=sha)
        reset_to(self.wt(agent), sha)
        self.guard.settle(agent, sha, files=files)  # untracked: those it held before the move
        self.events.append("reset_done", agent=agent.name)

    def settle(self, agent: AgentState, sha: str, *, between: bool = True) -> None:
        """Check the agent's worktree against its guard, then settle it at ``sha`` where it is:
        ``between`` turns (its tip from now on), else for a training in it."""
        files = self.guard.unsettle(agent)
        self.guard.settle(agent, sha, between=between, files=files)
        if between:
            with self.lock:
                agent.tip = sha

    def spawned(self, pid: int) -> None:
        """Note a child's process group (and turn token) so a resumed controller can end it."""
        self.events.append("spawn", pgid=pid, token=token_of(pid))

    # -- one experiment ----------------------------------------------------------------
    def experiment(self, agent: AgentState, k: int, i: int) -> None:
        """Ask the agent for a commit, train it, judge it, keep it or reset it."""
        self.guard.unsettle(agent)  # its turn starts: what a neighbour wrote there is put back
        wt = self.wt(agent)
        with self.lock:
            agent.attempt, agent.exp_start, agent.exp_commit = i, wt.head(), ""
        self._set(agent, "thinking", f"experiment {i + 1}")
        self.events.append(
            "experiment_intent", agent=agent.name, round=k, index=i, start=agent.exp_start
        )
        if self.state.crossover.get(agent.name):
            if not self.cherry_pick(agent, k, i):
                return
        else:
            self.run_agent(agent, k, i)
        if self.stop.is_set():
            self.note_interrupted(agent, "agent", agent.exp_start)
            return  # a resume redoes this experiment
        commit_leftovers(wt, f"autoevolve: uncommitted edit by {agent.name}")
        head = wt.head()
        if head == agent.exp_start:
            self.say(f"{agent.name}: made no commit (experiment {i + 1} skipped)")
            self.finish_experiment(agent, None)
            return
        if self.state.config.parallel > 1:
            self._pop_crossover(agent, head)
            run_wave(self, agent, i)
            return
        self.set_ref(self.s.layout.exp_ref(head), head)
        with self.lock:
            agent.exp_commit = head
            queue = self.state.crossover.get(agent.name)
            if queue and wt.subject(head).startswith("crossover:"):
                queue.pop(0)
        self.save()
        if not self.reject_protected(agent, head):
            self.measure_and_conclude(agent, i)

    def _pop_crossover(self, agent: AgentState, head: str) -> None:
        queue = self.state.crossover.get(agent.name)
        if queue and self.wt(agent).subject(head).startswith("crossover:"):
            with self.lock:
                queue.pop(0)

    def reject_protected(self, agent: AgentState, head: str) -> bool:
        """Reject (as a crash row, before any training) a commit outside ``--editable``."""
        row = self.protected_row(agent, head, self.wt(agent).subject(head))
        if row is None:
            return False
        self.finish_experiment(agent, (Status.CRASH, row))
        return True

    def protected_row(self, agent: AgentState, sha: str, description: str) -> Row | None:
        """The crash row (journaled as ``rejected``) of a commit that changes a file outside
        ``--editable`` since the experiment started, or None when it changes none."""
        touched = protected_changes(
            self.wt(agent), agent.exp_start, sha, self.state.config.editable
        )
        if not touched:
            return None
        files = ", ".join(touched[:5]) + (" ..." if len(touched) > 5 else "")
        desc = f"{description} [rejected: {PROTECTED_PATH}: {files}]"[:300]
        self.events.append(
            "rejected", agent=agent.name, commit=sha, reason=PROTECTED_PATH, files=touched
        )
        return Row(self.short(sha), None, None, Status.CRASH, desc)

    def measure_and_conclude(self, agent: AgentState, i: int) -> None:
        """Train the in-flight commit (resuming after its recorded re-runs) and conclude."""
        head = agent.exp_commit
        description = self.wt(agent).subject(head)
        self._set(agent, "training", description)
        self.settle(agent, head, between=False)  # no one may touch it while it trains
        outcome = self.measure(agent, head, description, i)
        if outcome is None:
            self.guard.unsettle(agent)
            return  # stopped mid-run: recorded as interrupted, redone on resume
        self.finish_experiment(agent, outcome)

    def measure(
        self, agent: AgentState, sha: str, description: str, i: int
    ) -> tuple[Status, Row] | None:
        """Train and judge, re-running while the verdict is RETEST (up to the cap)."""
        results = Path(agent.worktree) / "results.tsv"
        metric = self.state.config.metric
        done = retests_of(self.guard.own_history(agent), results, sha[:7], metric)
        for attempt in range(done, self.state.config.max_retests + 1):
            run = self.train(agent, sha, f"{agent.name}-e{i}-a{attempt}", agent.gpu)
            outcome = self.screen(agent, sha, run)
            if outcome.crash == CrashKind.INTERRUPTED:
                self.note_interrupted(agent, "training", sha)
                return None
            where = {"node": outcome.node, "gpu_type": outcome.gpu_type}
            if outcome.value is None:
                crash = f"{description} [crash: {outcome.crash}: {outcome.detail}]"[:300]
                return Status.CRASH, Row(self.short(sha), None, None, Status.CRASH, crash, **where)
            self._set(agent, "judging", description)
            cand = RunInput(outcome.value, outcome.memory_gb, self.short(sha), description)
            history = parse_results(self.guard.own_history(agent), str(results), metric=metric)
            verdict = judge(history, cand).verdict
            status = status_of(verdict)
            if verdict != RETEST or attempt == self.state.config.max_retests:
                status = Status.DISCARD if verdict == RETEST else status
                return status, Row(
                    self.short(sha), outcome.value, outcome.memory_gb, status, description, **where
                )
            self.record(
                agent,
                Row(
                    self.short(sha), outcome.value, outcome.memory_gb, status, description, **where
                ),
            )
            self.say(f"{agent.name}: {description}: {outcome.value:.6f} within noise, re-running")
        return None  # the cap was reached before an interruption: nothing left to run

    def screen(self, agent: AgentState, sha: str, outcome: RunOutcome) -> RunOutcome:
        """The plausibility gate (see plausible): one summary, too-good results reproduced."""
        return screen_outcome(self, agent, sha, outcome)

    def violation(self, suspects: list[str], found: list[str]) -> None:
        """Log a guarded change (already put back); count it if one agent alone can have made it."""
        self.events.append("violation", suspects=suspects, changes=found)
        if len(suspects) != 1:
            self.say(f"integrity: {'; '.join(found)} (put back; suspects {', '.join(suspects)})")
            return
        agent = self.state.agent(suspects[0])
        with self.lock:
            agent.violations += 1
            agent.retired = agent.violations >= self.state.config.max_violations
        self.say(
            f"{agent.name}: violation {agent.violations}: {'; '.join(found)} (put back)"
            f"{'; retired' if agent.retired else ''}"
        )
        self.save()

    def finish_experiment(self, agent: AgentState, final: tuple[Status, Row] | None) -> None:
        """Write the final row (once), keep or reset, count it, and clear the in-flight marks;
        the worktree stays settled (guarded) where it is left until the agent's next turn."""
        if final is None:
            self.settle(agent, agent.exp_start)
        else:
            status, row = final
            self.record(agent, row)
            if status != Status.KEEP:
                self.move(agent, agent.exp_start)
            else:
                self.settle(agent, agent.exp_commit)
            value = "-" if row.value is None else f"{row.value:.6f}"
            self.say(f"{agent.name}: {row.description}: {value} {status}")
        with self.lock:
            if final is not None:
                agent.done += 1
                agent.total += 1
                agent.crashes += final[0] == Status.CRASH
                if final[0] == Status.KEEP:
                    agent.keeps += 1
                    agent.best_value, agent.best_sha = final[1].value, agent.exp_commit
            agent.exp_start = agent.exp_commit = ""
            agent.attempt += 1
            agent.status, agent.current = "idle", ""
        self.save()
        self.events.append(
            "experiment_done", agent=agent.name, status=final[0] if final else "noop"
        )

    def cherry_pick(self, agent: AgentState, k: int, i: int) -> bool:
        """Apply the next cross-over pick as this experiment: ``git cherry-pick`` when it applies
        cleanly, else change by change (:mod:`.transplant`); False (reported) when nothing does."""
        wt = self.wt(agent)
        sha = self.state.crossover[agent.name][0]
        source = self.s.git.subject(sha)
        self._set(agent, "thinking", f"cherry-pick {sha[:7]}")
        message = f"crossover: {source} (from {sha[:7]})"
        try:
            wt.run("cherry-pick", "--no-commit", sha, identity=True)
        except GitError as exc:
            wt.run("cherry-pick", "--abort", check=False)
            wt.run("cherry-pick", "--quit", check=False)
            reset_to(wt, agent.exp_start)
            carried = transplant_commit(wt, sha)
            if not carried.applied:
                return self._crossover_failed(agent, sha, source, f"{exc}; {carried.summary()}")
            wt.run("add", "--", *carried.files)
            message += f" [transplanted: {carried.summary()}]"
            self.events.append(
                "crossover_transplant", agent=agent.name, commit=sha, report=carried.summary()
            )
            self.say(f"{agent.name}: cross-over {sha[:7]} transplanted: {carried.summary()}")
        if wt.ok("diff", "--cached", "--quiet"):
            return self._crossover_failed(agent, sha, source, "already in the champion")
        wt.run(
            "commit",
            "-q",
            "--no-verify",
            "-m",
            message,
            identity=True,
            env=self.commit_dates("pick", agent.name, k, i),
        )
        return True

    def _crossover_failed(self, agent: AgentState, sha: str, source: str, why: str) -> bool:
        self.move(agent, agent.exp_start)
        with self.lock:
            self.state.crossover[agent.name].pop(0)
            if self.state.rounds:
                last = self.state.rounds[-1]
                self.state.rounds[-1] = replace(last, conflicts=(*last.conflicts, sha[:7]))
        self.events.append("crossover_conflict", agent=agent.name, commit=sha, error=why)
        self.say(f"{agent.name}: cross-over {sha[:7]} ({source}) conflicts: skipped")
        self.finish_experiment(agent, None)
        return False

    def note_interrupted(self, agent: AgentState, phase: str, commit: str) -> None:
        """Record an interrupted agent or training run (it is redone, never silently dropped)."""
        entry = {
            "agent": agent.name,
            "round": self.state.round,
            "index": agent.attempt,
            "phase": phase,
            "commit": commit[:7],
            "at": round(time.time(), 3),
        }
        with self.lock:
            self.state.interrupted.append(entry)
        self.events.append("interrupted", **entry)
        self.save()

    def _set(self, agent: AgentState, status: str, current: str) -> None:
        with self.lock:
            agent.status, agent.current = status, current
        self.save()

    # -- the agent process -------------------------------------------------------------
    def run_agent(self, agent: AgentState, k: int, i: int) -> None:
        """Write the prompt and run the agent command in its worktree (no GPU visible)."""
        rdir = self.s.layout.round_dir(k)
        seed = str(self.seed_for(agent.name, k, i))
        call = agent_call(rdir, agent, k, self.prompt(agent, k, i), seed)
        env = {
            **call.env,
            "CUDA_VISIBLE_DEVICES": "",
            "AUTOEVOLVE_PARALLEL": str(self.state.config.parallel),
        }
        env.update(self.commit_dates(agent.name, k, i))
        self.guard.turn_starts(agent)
        done = run_group(
            self.s.agent_cmd.argv(call.values),
            cwd=Path(agent.worktree),
            env=env,
            timeout=self.state.config.agent_timeout,
            log=rdir / f"{agent.name}.agent.log",
            stop=self.stop,
            on_spawn=self.spawned,
            header=f"autoevolve: {agent.name} round {k} experiment {i} "
            f"{time.strftime('%Y-%m-%dT%H:%M:%S')}",
        )
        self.guard.turn_ends(agent)
        if done.timed_out or done.stopped:
            clear_stale_locks(self.wt(agent))  # the killed agent may have been mid-commit
        if done.returncode != 0:
            self.say(
                f"{agent.name}: agent exited with {done.returncode}"
                f"{' (timeout)' if done.timed_out else ''}"
            )

    def prompt(self, agent: AgentState, k: int, i: int) -> str:
        """The prompt for this agent's next experiment."""
        strategy = self.s.strategies[agent.name]
        program = Path(agent.worktree) / "program.md"
        hints = self.s.layout.hints(k - 1)
        steering = steering_text(
            self.s.layout.pooled,
            strategy.steer,
            self.pending(agent),
            self.seed_for("steer", agent.name, k, i),
        )
        parts = PromptParts(
            agent=agent.name,
            round=k,
            strategy=strategy,
            program_md=program.read_text("utf-8", "replace") if program.exists() else "",
            recent_rows=recent_rows(Path(agent.worktree) / "results.tsv"),
            hints=hints.read_text("utf-8") if hints.exists() else "",
            steering=steering,
            editable=tuple(self.state.config.editable),
            parallel=self.state.config.parallel,
        )
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


def retests_of(data: bytes, results: Path, commit: str, metric: str) -> int:
    """How many RETEST rows of ``commit`` the agent's results (the controller's record of
    ``results``) already hold (re-runs done before a stop)."""
    try:
        rows = parse_results(data, str(results), metric=metric).experiments if data else ()
    except AutolabError:
        rows = ()
    return sum(e.commit == commit and e.raw_status == Status.RETEST for e in rows)
