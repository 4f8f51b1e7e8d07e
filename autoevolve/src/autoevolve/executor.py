"""Where trainings run: the executor interface the competition talks to, and the local one.

The controller, judging, pooled results and the journal stay on the head; they hand a
``TrainJob`` to an executor and get a ``RunOutcome`` back, without knowing where it ran.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .gpus import GpuPool
from .training import RunOutcome, run_training

POLL_S = 0.2


@dataclass(frozen=True)
class TrainJob:
    """One training of one commit, as the head asks for it."""

    run_id: str
    commit: str
    worktree: Path  # where the commit is checked out on the head (local executor runs there)
    log: Path  # the head's per-run run.log (a remote executor streams into it)
    train_cmd: str
    timeout: float
    metric: str = "val_bpb"
    gpu: str | None = None  # a local GPU slot to hold; None: whichever frees first
    gpu_type: str = ""  # an accelerator type to run on ('' any)
    agent: str = ""  # whose training it is ('' for the baseline of the base checkout)
    # when more trainings wait than GPUs are free, the highest starts first (the trainings left
    # one after another on its agent's way through the round); below 0 a speculative re-run,
    # which a waiting training of a higher priority may stop
    priority: int = 0


@dataclass(frozen=True)
class Placement:
    """Where a training started: node, GPU ids and accelerator type."""

    node: str
    gpu: str
    gpu_type: str = ""


StartHook = Callable[[TrainJob, Placement], None]


@dataclass
class Ticket:
    """A submitted training: the executor's handle, and where it started once it did."""

    job: TrainJob
    started_at: float = field(default_factory=time.time)
    placement: Placement | None = None
    outcome: RunOutcome | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None  # raised by the executor itself; collect re-raises it
    data: dict[str, Any] = field(default_factory=dict)  # the executor's own bits


class Executor:
    """Submit, poll, cancel and collect trainings; ``run`` does all four for one training."""

    name = "executor"
    ships_commits = False  # True: a training gets the commit itself, never the head's folder
    preempts = False  # True: a training of priority < 0 is stopped when another needs its GPU

    def submit(self, job: TrainJob, on_start: StartHook | None = None) -> Ticket:
        raise NotImplementedError

    def poll(self, ticket: Ticket) -> bool:
        """True once the training has ended (``collect`` then returns at once)."""
        raise NotImplementedError

    def cancel(self, ticket: Ticket) -> None:
        """Stop the training; ``collect`` then reports it as interrupted."""
        raise NotImplementedError

    def collect(self, ticket: Ticket) -> RunOutcome:
        """The outcome of an ended training (its run.log is complete in ``job.log``)."""
        raise NotImplementedError

    def run(
        self,
        job: TrainJob,
        stop: threading.Event,
        on_start: StartHook | None = None,
        cancel: threading.Event | None = None,
    ) -> RunOutcome:
        """Submit ``job``, wait for it (cancelling it when ``stop``, or ``cancel`` for this one
        training, is set) and collect it."""
        ticket = self.submit(job, on_start)
        while not self.poll(ticket):
            if stop.wait(POLL_S) or (cancel is not None and cancel.is_set()):
                self.cancel(ticket)
                while not self.poll(ticket):
                    time.sleep(POLL_S)
                break
        return self.collect(ticket)

    def in_flight(self) -> list[Ticket]:
        """The trainings submitted and not yet collected."""
        return []

    def promote(self, log: Path, priority: int) -> None:
        """Raise the training that writes ``log`` (waiting, running, or submitted later) to
        ``priority``: a speculative re-run whose tip turned out final. Executors that start
        trainings first come, first served ignore it."""

    def gpu_types(self) -> dict[str, float]:
        """GPUs per accelerator type where trainings may run ({} when the type is unknown)."""
        return {}

    def gpu_count(self) -> int:
        """How many trainings can run at once (1 when unknown)."""
        return 1

    def close(self) -> None:
        """Release whatever the executor holds (connections, threads)."""


class LocalExecutor(Executor):
    """Trainings on this machine, one per local GPU (today's behaviour)."""

    name = "local"

    def __init__(self, pool: GpuPool, on_spawn: Callable[[int], None] | None = None) -> None:
        self.pool = pool
        self.on_spawn = on_spawn
        self._open: dict[int, Ticket] = {}
        self._lock = threading.Lock()

    def gpu_count(self) -> int:
        return len(self.pool.gpus)

    def submit(self, job: TrainJob, on_start: StartHook | None = None) -> Ticket:
        ticket = Ticket(job)
        thread = threading.Thread(target=self._train, args=(ticket, on_start), daemon=True)
        ticket.data["thread"] = thread
        with self._lock:
            self._open[id(ticket)] = ticket
        thread.start()
        return ticket

    def _train(self, ticket: Ticket, on_start: StartHook | None) -> None:
        try:
            self._hold_and_train(ticket, on_start)
        except BaseException as exc:
            ticket.error = exc

    def _hold_and_train(self, ticket: Ticket, on_start: StartHook | None) -> None:
        job = ticket.job
        holder = self.pool.hold(job.gpu) if job.gpu else self.pool.any()
        with holder as held:
            ticket.placement = Placement("local", held)
            if on_start is not None:
                on_start(job, ticket.placement)
            ticket.outcome = run_training(
                job.worktree,
                job.train_cmd,
                gpu=held,
                timeout=job.timeout,
                log=job.log,
                run_id=job.run_id,
                metric=job.metric,
                stop=ticket.cancel,
                on_spawn=self.on_spawn,
            )

    def poll(self, ticket: Ticket) -> bool:
        thread = ticket.data["thread"]
        assert isinstance(thread, threading.Thread)
        return not thread.is_alive()

    def cancel(self, ticket: Ticket) -> None:
        ticket.cancel.set()

    def collect(self, ticket: Ticket) -> RunOutcome:
        thread = ticket.data["thread"]
        assert isinstance(thread, threading.Thread)
        thread.join()
        with self._lock:
            self._open.pop(id(ticket), None)
        if ticket.error is not None:
            raise ticket.error
        assert ticket.outcome is not None
        return ticket.outcome

    def in_flight(self) -> list[Ticket]:
        with self._lock:
            return list(self._open.values())
