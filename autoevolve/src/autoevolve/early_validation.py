"""Validation re-runs started early: an agent's final tip is re-run while others still work.

The outcomes are held, unrecorded, until the round's close picks its candidates; only the
candidates' re-runs are recorded, so the round's decisions are those of re-running at the
close (a re-run keeps its run id, hence its seed). Nothing is journalled as a result: a
controller killed before the close re-runs the validation there, as without early re-runs.

With an executor that preempts (Ray), an agent's tip is also re-run speculatively as its last
turn starts, at priority -1: on a GPU no other training wants, stopped for any that does, and
stopped when the turn moves the tip. A speculative re-run that was stopped for another training
after the tip turned out final runs again at the ordinary priority.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from autolab_shared.core.vocabulary import CrashKind

from .plausible import checkout_for
from .statefile import AgentState
from .training import RunOutcome

if TYPE_CHECKING:
    from .competition import Competition

SUBMIT_S = 0.5  # a turn's trainings are submitted within this of its "training" status


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
) -> RunOutcome:
    """Train one validation re-run on a clean checkout of ``sha`` (not the agent's worktree)."""
    on = comp.state.config.validate_on or None
    label = rerun_label(agent, j, champion)
    with checkout_for(
        comp.executor.ships_commits, comp.s.git, comp.s.layout, sha, f"r{k}-{label}"
    ) as where:
        return comp.train(
            agent, sha, label, None, gpu_type=on, where=where, priority=priority, cancel=cancel
        )


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
        any other training): the tip is final unless that turn keeps a variant."""
        if self.speculative and not self.comp.stop.is_set():
            self._start(agent, sha, have, -1)

    def settle(self, agent: AgentState, sha: str) -> None:
        """The agent's tip is final at ``sha``: stop its speculative re-runs of other tips."""
        with self.lock:
            self.final.add(sha)
            for (other, _), (name, cancel) in self.running.items():
                if name == agent.name and other != sha:
                    cancel.set()

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
                outcome: RunOutcome | None = train_rerun(
                    self.comp, agent, sha, self.k, j, priority=priority, cancel=cancel
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
        """The held outcome of re-run ``j`` of ``sha``, if it ran early."""
        with self.lock:
            return self.outcomes.pop((sha, j), None)
