"""Validation re-runs started early: an agent's final tip is re-run while others still work.

The outcomes are held, unrecorded, until the round's close picks its candidates; only the
candidates' re-runs are recorded, so the round's decisions are those of re-running at the
close (a re-run keeps its run id, hence its seed). Nothing is journalled as a result: a
controller killed before the close re-runs the validation there, as without early re-runs.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from .plausible import checkout_for
from .statefile import AgentState
from .training import RunOutcome

if TYPE_CHECKING:
    from .competition import Competition


def rerun_label(agent: AgentState, j: int, champion: bool = False) -> str:
    """The run label of validation re-run ``j`` (its run id is ``r<round>-<label>``)."""
    return f"validate-champion-{j}" if champion else f"validate-{agent.name}-{j}"


def train_rerun(
    comp: Competition, agent: AgentState, sha: str, k: int, j: int, champion: bool = False
) -> RunOutcome:
    """Train one validation re-run on a clean checkout of ``sha`` (not the agent's worktree)."""
    on = comp.state.config.validate_on or None
    label = rerun_label(agent, j, champion)
    with checkout_for(
        comp.executor.ships_commits, comp.s.git, comp.s.layout, sha, f"r{k}-{label}"
    ) as where:
        return comp.train(agent, sha, label, None, gpu_type=on, where=where)


class EarlyReruns:
    """The early re-runs of one round, keyed by (commit, re-run number)."""

    def __init__(self, comp: Competition, k: int) -> None:
        cfg = comp.state.config
        self.comp, self.k = comp, k
        # only with a plain validation budget and GPUs to spare: on one GPU an early re-run
        # of a tip that is not a candidate would only delay the other agents
        self.enabled = cfg.validate > 0 and not cfg.validate_on and comp.executor.gpu_count() > 1
        self.outcomes: dict[tuple[str, int], RunOutcome] = {}
        self.threads: list[threading.Thread] = []
        self.lock = threading.Lock()

    def start(self, agent: AgentState, sha: str, have: int) -> None:
        """Start re-runs ``have`` .. ``validate - 1`` of ``sha``, the agent's final tip."""
        if not self.enabled or self.comp.stop.is_set():
            return
        for j in range(have, self.comp.state.config.validate):
            thread = threading.Thread(target=self._run, args=(agent, sha, j), daemon=True)
            with self.lock:
                self.threads.append(thread)
            thread.start()

    def _run(self, agent: AgentState, sha: str, j: int) -> None:
        try:
            outcome = train_rerun(self.comp, agent, sha, self.k, j)
        except Exception:  # the close re-runs it the ordinary way
            return
        if not self.comp.stop.is_set():
            with self.lock:
                self.outcomes[(sha, j)] = outcome

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
