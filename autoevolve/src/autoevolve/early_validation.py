"""Validation re-runs started early: an agent's final tip is re-run while others still work.

The outcomes are held, unrecorded, until the round's close picks its candidates; only the
candidates' re-runs are recorded, so the round's decisions are those of re-running at the
close (a re-run keeps its run id, hence its seed). Nothing is journalled as a result: a
controller killed before the close re-runs the validation there, as without early re-runs.

With an executor that preempts (Ray), an agent's tip is also re-run speculatively as its last
turn starts (priority -1), and so is each variant of that turn as it is submitted (any of them
may become the tip; priority -2, less likely than the tip): on a GPU no other training wants,
stopped for any of a higher priority that waits. Once the tip is final, the re-runs of other
commits are stopped and the tip's own is raised to the ordinary priority (one stopped for
another training runs again). Re-runs of several commits share a run id (the seed of the
re-run the close would make), so each writes its run.log in its own folder; the one taken by
the close is copied into the run's folder.
"""

from __future__ import annotations

import shutil
import threading
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from autolab_shared.core.vocabulary import CrashKind

from .plausible import checkout_for
from .statefile import AgentState
from .training import RunOutcome

if TYPE_CHECKING:
    from .competition import Competition

SUBMIT_S = 0.5  # a turn's trainings are submitted within this of its "training" status
TIP, VARIANT = -1, -2  # the priorities of speculative re-runs: a tip, a last turn's variant


def rerun_label(agent: AgentState, j: int, champion: bool = False) -> str:
    """The run label of validation re-run ``j`` (its run id is ``r<round>-<label>``)."""
    return f"validate-champion-{j}" if champion else f"validate-{agent.name}-{j}"


def train_rerun(
    comp: Competition,
    agent: AgentState,
    sha: str,
    k: int,
    j: int,
    champion: bool = False,
    *,
    priority: int | None = None,
    cancel: threading.Event | None = None,
    log: Path | None = None,
) -> RunOutcome:
    """Train one validation re-run on a clean checkout of ``sha`` (not the agent's worktree);
    ``log``: its run.log elsewhere than the run's folder (an early re-run)."""
    on = comp.state.config.validate_on or None
    label = rerun_label(agent, j, champion)
    with checkout_for(
        comp.executor.ships_commits, comp.s.git, comp.s.layout, sha, f"r{k}-{label}"
    ) as where:
        return comp.train(
            agent,
            sha,
            label,
            None,
            gpu_type=on,
            where=where,
            priority=priority,
            cancel=cancel,
            log=log,
        )


def early_log(comp: Competition, agent: AgentState, sha: str, j: int) -> Path:
    """Where early re-run ``j`` of ``sha`` writes its run.log: a folder of its own in the
    run's folder (re-runs of other commits of the agent share the run id)."""
    run_id = comp.run_id(rerun_label(agent, j))
    return comp.s.layout.run_dir(run_id) / "early" / sha[:7] / "run.log"


class EarlyReruns:
    """The early re-runs of one round, keyed by (commit, re-run number)."""

    def __init__(self, comp: Competition, k: int) -> None:
        cfg = comp.state.config
        self.comp, self.k = comp, k
        # only with a plain validation budget and GPUs to spare: on one GPU an early re-run
        # of a tip that is not a candidate would only delay the other agents
        self.enabled = cfg.validate > 0 and not cfg.validate_on and comp.executor.gpu_count() > 1
        # speculative re-runs only where the executor stops them for any other training
        self.speculative = self.enabled and comp.executor.preempts
        self.outcomes: dict[tuple[str, int], RunOutcome] = {}
        self.running: dict[tuple[str, int], tuple[str, threading.Event]] = {}  # agent, cancel
        self.final: set[str] = set()  # tips known to be final
        self.threads: list[threading.Thread] = []
        self.lock = threading.Lock()

    def speculate(self, agent: AgentState, sha: str, have: int) -> None:
        """As the agent's last turn starts, re-run its tip ``sha`` at priority -1 (stopped for
        any training but a variant's re-run): the tip is final unless that turn keeps a
        variant."""
        if self.speculative and not self.comp.stop.is_set():
            self._start(agent, sha, have, TIP)

    def speculate_wave(self, agent: AgentState, commits: list[str]) -> None:
        """As the agent's last turn submits its variants ``commits``, re-run each at priority
        -2: the turn's tip will be one of them unless it keeps none."""
        last = agent.done == self.comp.state.config.experiments_per_round - 1
        if self.speculative and last and not self.comp.stop.is_set():
            for sha in commits:
                self._start(agent, sha, 0, VARIANT)

    def settle(self, agent: AgentState, sha: str) -> None:
        """The agent's tip is final at ``sha``: stop its speculative re-runs of other tips,
        and raise the tip's own (waiting or running) to the ordinary priority."""
        with self.lock:
            self.final.add(sha)
            for (other, j), (name, cancel) in self.running.items():
                if name == agent.name and other != sha:
                    cancel.set()
                elif name == agent.name:
                    log = early_log(self.comp, agent, sha, j)
                    self.comp.executor.promote(log, self.comp.chain_left(agent))

    def start(self, agent: AgentState, sha: str, have: int) -> None:
        """Start re-runs ``have`` .. ``validate - 1`` of ``sha``, the agent's final tip (those
        already running or held are kept)."""
        if self.enabled and not self.comp.stop.is_set():
            self._start(agent, sha, have, None)

    def _start(self, agent: AgentState, sha: str, have: int, priority: int | None) -> None:
        for j in range(have, self.comp.state.config.validate):
            with self.lock:
                if (sha, j) in self.running or (sha, j) in self.outcomes:
                    continue
                cancel = threading.Event()
                self.running[(sha, j)] = (agent.name, cancel)
                args = (agent, sha, j, priority, cancel)
                thread = threading.Thread(target=self._run, args=args, daemon=True)
                self.threads.append(thread)
            thread.start()

    def _run(
        self, agent: AgentState, sha: str, j: int, priority: int | None, cancel: threading.Event
    ) -> None:
        """Train re-run ``j`` of ``sha`` and hold its outcome; a speculative one stopped for
        another training runs again at the ordinary priority if its tip is final by then."""
        if priority is not None and not self._turn_submitted(agent, sha, cancel):
            with self.lock:
                self.running.pop((sha, j), None)
            return
        with self.lock:
            if sha in self.final:  # the agent's round ended meanwhile: no longer speculative
                priority = None
        while True:
            try:
                log = early_log(self.comp, agent, sha, j)
                outcome: RunOutcome | None = train_rerun(
                    self.comp, agent, sha, self.k, j, priority=priority, cancel=cancel, log=log
                )
            except Exception:  # the close re-runs it the ordinary way
                outcome = None
            with self.lock:
                stopped = cancel.is_set() or self.comp.stop.is_set()
                interrupted = outcome is not None and outcome.crash == CrashKind.INTERRUPTED
                if not (interrupted and not stopped and sha in self.final):
                    self.running.pop((sha, j), None)
                    if outcome is not None and not interrupted:
                        self.outcomes[(sha, j)] = outcome
                    return
            priority = None  # preempted, and the tip is final now: again, as a final tip's

    def _turn_submitted(self, agent: AgentState, sha: str, cancel: threading.Event) -> bool:
        """Wait until the agent's last turn submitted its trainings (they rank higher and
        take the free GPUs first) or its tip ``sha`` is final; False if stopped meanwhile."""
        while agent.status not in ("training", "judging", "done") and sha not in self.final:
            if cancel.wait(0.1) or self.comp.stop.is_set():
                return False
        return not (cancel.wait(SUBMIT_S) or self.comp.stop.is_set())

    def wait(self) -> None:
        """Wait for every early re-run (they hold GPUs; none is left running past the close)."""
        with self.lock:
            threads = list(self.threads)
        for thread in threads:
            thread.join()

    def take(self, sha: str, j: int) -> RunOutcome | None:
        """The held outcome of re-run ``j`` of ``sha``, if it ran early (its run.log copied
        into the run's folder, where the close's own re-run would have written it)."""
        with self.lock:
            outcome = self.outcomes.pop((sha, j), None)
        if outcome is None:
            return None
        log = self.comp.s.layout.run_dir(outcome.run_id) / "run.log"
        shutil.copyfile(outcome.log, log)
        return replace(outcome, log=str(log))
