"""The Ray executor: each training runs in a one-GPU actor somewhere on a Ray cluster.

The head ships the commit as a ``git archive`` through Ray's object store, streams run.log
back into its per-run folder while the training runs, retries once elsewhere when a node is
lost (then reports the crash class ``node_lost``), and takes a node whose setup failed out.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import replace
from pathlib import Path
from typing import Any

from autolab_shared.core.errors import AutolabError
from autolab_shared.core.vocabulary import CrashKind

# Ray (>= 2.47) re-launches workers through `uv run` when the driver ran under `uv run`; that
# builds a fresh environment without Ray or autoevolve. Workers use each node's own install.
os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")

from .executor import Executor, Placement, StartHook, Ticket, TrainJob
from .gitrepo import Git
from .procs import Finished
from .ray_worker import remote_class
from .training import RunOutcome, outcome_of

Notify = Callable[[str, dict[str, Any]], None]
RETRIES = 1  # a training whose node is lost runs once more elsewhere
IDLE_S = 120.0  # an idle actor gives its GPU back after this long (spans a round's close)
CALL_TIMEOUT_S = 60.0


def preflight(address: str) -> None:
    """Before a competition changes anything: reach the cluster, and refuse a GPU-less local Ray."""
    import ray

    connect(address)
    nodes = ray.nodes()  # type: ignore[no-untyped-call]
    gpus = sum(n.get("Resources", {}).get("GPU", 0) for n in nodes if n.get("Alive"))
    if not gpus and not address:
        raise AutolabError(
            "the local Ray instance sees no GPU: start Ray on GPU machines "
            "and pass --ray-address (see docs/ray.md)"
        )


def connect(address: str) -> None:
    """Join the Ray cluster at ``address`` ('' starts a local Ray instance)."""
    import ray

    if ray.is_initialized():
        return
    try:
        ray.init(
            address=address or "local",
            namespace="autoevolve",
            log_to_driver=False,
            configure_logging=False,
        )
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = address or "a new local instance"
        raise AutolabError(f"cannot reach the Ray cluster at {where}: {exc}") from None


class RayExecutor(Executor):
    """Trainings as Ray actors holding one GPU each (``num_gpus=1``)."""

    name = "ray"
    ships_commits = True  # git archive of the commit: a clean checkout on the head is not needed
    preempts = True

    def __init__(
        self, repo: Git, *, address: str = "", setup_cmd: str = "", notify: Notify | None = None
    ) -> None:
        import ray

        connect(address)
        self.ray: Any = ray
        self.repo = repo
        self.setup_cmd = setup_cmd
        self.notify = notify or (lambda kind, data: None)
        self.actor_class = remote_class()
        self.archives: dict[str, Any] = {}
        self.excluded: set[str] = set()  # nodes taken out (setup failed, lost)
        self.idle: list[tuple[Any, dict[str, str], float]] = []  # actor, where, since
        self._check_gpus(address)
        self._open: dict[int, Ticket] = {}
        self._lock = threading.Lock()
        self._seq = itertools.count()
        self._gpus: tuple[float, dict[str, int]] = (0.0, {})  # when counted, GPUs by type
        self._promoted: dict[Path, int] = {}  # run.log -> priority, promoted before submission

    # -- shipping ----------------------------------------------------------------------
    def archive(self, commit: str) -> Any:
        """The commit's tree as a tar in the object store (made once per commit, outside the
        executor's lock: a wave's other trainings are not held up by it)."""
        with self._lock:
            if commit in self.archives:
                return self.archives[commit]
        argv = ["git", "archive", "--format=tar", commit]
        tar = subprocess.run(argv, cwd=self.repo.cwd, capture_output=True, check=False)
        if tar.returncode != 0:
            raise AutolabError(f"git archive {commit[:7]} failed: {tar.stderr.decode()}")
        ref = self.ray.put(tar.stdout)
        with self._lock:
            return self.archives.setdefault(commit, ref)

    # -- the interface -----------------------------------------------------------------
    def submit(self, job: TrainJob, on_start: StartHook | None = None) -> Ticket:
        ticket = Ticket(job)
        ticket.data.update(attempt=0, offset=0, on_start=on_start, seq=next(self._seq))
        job.log.parent.mkdir(parents=True, exist_ok=True)
        job.log.write_bytes(b"")
        self.archive(job.commit)
        with self._lock:  # open before the launch: a waiting ticket is ranked against the others
            raised = self._promoted.pop(job.log, job.priority)
            if raised > job.priority:
                ticket.job = replace(job, priority=raised)
            self._open[id(ticket)] = ticket
        try:
            self._launch(ticket)
        except BaseException:
            with self._lock:
                self._open.pop(id(ticket), None)
            raise
        return ticket

    def _launch(self, ticket: Ticket) -> None:
        job = ticket.job
        options: dict[str, Any] = {"num_gpus": 1, "num_cpus": 0}
        if job.gpu_type:
            options["accelerator_type"] = job.gpu_type
        strategy = self._avoid_excluded(job.gpu_type)
        if strategy is not None:
            options["scheduling_strategy"] = strategy
        actor = self._take_idle(ticket) or self.actor_class.options(**options).remote()
        self._start_on(ticket, actor)
        ticket.placement = None

    def _start_on(self, ticket: Ticket, actor: Any) -> None:
        """Start the ticket's training on ``actor``: its commit's archive and its run spec."""
        job = ticket.job
        spec = {
            "run_id": job.run_id,
            "train_cmd": job.train_cmd,
            "timeout": job.timeout,
            "setup_cmd": self.setup_cmd,
            "env": {},
        }
        ticket.data.update(actor=actor, start=actor.start.remote(self.archive(job.commit), spec))

    def _take_idle(self, ticket: Ticket) -> Any:
        """An idle actor that fits the ticket's training, unless a waiting training that fits
        it ranks higher (see ``rank``), or None."""
        with self._lock:
            now = time.monotonic()
            for actor, _, _ in [i for i in self.idle if now - i[2] > IDLE_S]:
                self.ray.kill(actor)
            self.idle = [i for i in self.idle if now - i[2] <= IDLE_S]
            waiting = [t for t in self._open.values() if _waiting(t) and t is not ticket]
            for item in self.idle:
                actor, where, _ = item
                if not _fits(where, ticket.job.gpu_type) or where["node_id"] in self.excluded:
                    continue
                if any(rank(t) > rank(ticket) and _fits(where, t.job.gpu_type) for t in waiting):
                    continue  # left for the better-ranked training (it takes it when it polls)
                self.idle.remove(item)
                return actor
        return None

    def _avoid_excluded(self, gpu_type: str) -> Any:
        """Pin to a live node that is not excluded, once some node was taken out."""
        if not self.excluded:
            return None
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        good = [
            n["NodeID"]
            for n in self.ray.nodes()
            if n.get("Alive")
            and n.get("Resources", {}).get("GPU", 0) > 0
            and n["NodeID"] not in self.excluded
            and (not gpu_type or f"accelerator_type:{gpu_type}" in n.get("Resources", {}))
        ]
        if not good:
            raise _NoNodes()
        pick = good[int(time.monotonic() * 1000) % len(good)]
        return NodeAffinitySchedulingStrategy(node_id=pick, soft=False)

    def poll(self, ticket: Ticket) -> bool:
        if ticket.outcome is not None:
            return True
        try:
            return self._poll(ticket)
        except _NoNodes:
            self._give_up(ticket, CrashKind.SETUP_FAILED, "no node left whose setup succeeded")
        except self.ray.exceptions.GetTimeoutError:
            return False
        except self.ray.exceptions.RayError as exc:
            self._lost(ticket, exc)
        return ticket.outcome is not None

    def _poll(self, ticket: Ticket) -> bool:
        actor = ticket.data["actor"]
        if ticket.placement is None:
            ready, _ = self.ray.wait([ticket.data["start"]], timeout=0)
            if not ready:
                if not self._swap_for_idle(ticket):
                    self._preempt_for(ticket)
                return False
            self._started(ticket, self.ray.get(ready[0], timeout=CALL_TIMEOUT_S))
        offset = int(str(ticket.data["offset"]))
        chunk, result = self.ray.get(actor.poll.remote(offset), timeout=CALL_TIMEOUT_S)
        if chunk:
            with open(ticket.job.log, "ab") as out:
                out.write(chunk)
            ticket.data["offset"] = offset + len(chunk)
        if result is None:
            return False
        if "setup_failed" in result:
            self._setup_failed(ticket, result["setup_failed"])
            return ticket.outcome is not None
        self._finish(ticket, Finished(**result))
        return True

    def _started(self, ticket: Ticket, where: dict[str, str]) -> None:
        ticket.data["where"] = where
        ticket.started_at = time.time()
        ticket.placement = Placement(where["node"], where["gpu"], where["gpu_type"])
        hook = ticket.data.get("on_start")
        if callable(hook):
            hook(ticket.job, ticket.placement)

    def _finish(self, ticket: Ticket, done: Finished) -> None:
        job, where = ticket.job, ticket.placement or Placement("", "")
        ticket.outcome = outcome_of(
            done,
            job.log,
            run_id=job.run_id,
            gpu=where.gpu,
            timeout=job.timeout,
            metric=job.metric,
            node=where.node,
            gpu_type=where.gpu_type,
        )
        self._release(ticket)

    def _swap_for_idle(self, ticket: Ticket) -> bool:
        """A training still waiting for a new actor takes one that went idle meanwhile (its
        GPU would otherwise stay held while this one waits for a GPU); True if it did."""
        actor = self._take_idle(ticket)
        if actor is None:
            return False
        self.ray.kill(ticket.data["actor"])
        self._start_on(ticket, actor)
        return True

    def _preempt_for(self, ticket: Ticket) -> None:
        """A waiting training on a full cluster stops a running one of priority < 0 and below
        its own that holds a GPU it fits (the lowest-ranked; one at a time per waiter)."""
        victim = ticket.data.get("victim")
        if isinstance(victim, Ticket) and victim.outcome is None:
            return
        kind = ticket.job.gpu_type
        with self._lock:
            fits = [t for t in self._open.values() if _running(t) and _fits(t.data["where"], kind)]
            idle = [i for i in self.idle if _fits(i[1], kind)]
        if len(fits) + len(idle) < self._capacity(kind):
            return  # a GPU is free: the training's own actor gets it
        below = min(0, ticket.job.priority)
        victims = [t for t in fits if t.job.priority < below and not t.data.get("preempted")]
        if not victims:
            return
        victim = min(victims, key=rank)
        victim.data["preempted"] = True
        ticket.data["victim"] = victim
        self.notify("preempted", {"run": victim.job.run_id, "waiting": ticket.job.run_id})
        self.cancel(victim)

    def _capacity(self, gpu_type: str) -> int:
        """GPUs (of ``gpu_type``, or all) on live nodes not taken out; counted every 5 s."""
        counted, by_type = self._gpus
        if time.monotonic() - counted > 5.0:
            by_type = {k: int(n) for k, n in gpus_by_type(self.ray.nodes(), self.excluded).items()}
            self._gpus = (time.monotonic(), by_type)
        return by_type.get(gpu_type, 0) if gpu_type else sum(by_type.values())

    def _release(self, ticket: Ticket, reuse: bool = True) -> None:
        """Clean the worker's folder; keep the actor for the next training when it is sound."""
        actor, where = ticket.data.get("actor"), ticket.data.get("where")
        if actor is None:
            return
        ticket.data["actor"] = None
        try:
            self.ray.get(actor.cleanup.remote(), timeout=CALL_TIMEOUT_S)
        except self.ray.exceptions.RayError:
            reuse = False
        if reuse and where and where["node_id"] not in self.excluded:
            with self._lock:
                self.idle.append((actor, where, time.monotonic()))
        else:
            self.ray.kill(actor)

    def _setup_failed(self, ticket: Ticket, why: str) -> None:
        where = ticket.data.get("where") or {}
        node_id = str(where.get("node_id", ""))
        self.excluded.add(node_id)
        self.notify("node_out", {"node": where.get("node", ""), "reason": why[:300]})
        self._release(ticket, reuse=False)
        self._retry(ticket, CrashKind.SETUP_FAILED, why, count=False)

    def _lost(self, ticket: Ticket, exc: BaseException) -> None:
        where = ticket.data.get("where") or {}  # a dead node gets no more work: no need to pin
        self.notify(
            "node_lost",
            {
                "run": ticket.job.run_id,
                "node": where.get("node", ""),
                "attempt": ticket.data["attempt"],
            },
        )
        with open(ticket.job.log, "ab") as out:
            out.write(
                f"\nautoevolve: node {where.get('node', '?')} lost: {type(exc).__name__}\n".encode()
            )
        self._retry(ticket, CrashKind.NODE_LOST, f"node {where.get('node', '?')} lost twice")

    def _retry(self, ticket: Ticket, crash: CrashKind, detail: str, *, count: bool = True) -> None:
        attempt = int(str(ticket.data["attempt"]))
        if count and attempt >= RETRIES:
            self._give_up(ticket, crash, detail)
            return
        ticket.data["attempt"] = attempt + int(count)
        ticket.data["offset"] = 0
        ticket.job.log.write_bytes(b"")
        try:
            self._launch(ticket)
        except _NoNodes:
            self._give_up(ticket, crash, "no node left to run on")

    def _give_up(self, ticket: Ticket, crash: CrashKind, detail: str) -> None:
        job, where = ticket.job, ticket.placement or Placement("", "")
        seconds = time.time() - ticket.started_at
        ticket.outcome = RunOutcome(
            job.run_id,
            None,
            None,
            crash,
            detail,
            seconds,
            where.gpu,
            str(job.log),
            where.node,
            where.gpu_type,
        )

    def cancel(self, ticket: Ticket) -> None:
        actor = ticket.data.get("actor")
        if actor is None or ticket.outcome is not None:
            return
        if ticket.placement is None:  # never started: nothing to stop but the actor
            self.ray.kill(actor)
            ticket.data["actor"] = None
            self._give_up(ticket, CrashKind.INTERRUPTED, "stopped by autoevolve")
            return
        try:
            self.ray.get(actor.cancel.remote(), timeout=CALL_TIMEOUT_S)
        except self.ray.exceptions.RayError:
            self._give_up(ticket, CrashKind.INTERRUPTED, "stopped by autoevolve")

    def collect(self, ticket: Ticket) -> RunOutcome:
        while not self.poll(ticket):
            time.sleep(0.2)
        with self._lock:
            self._open.pop(id(ticket), None)
        assert ticket.outcome is not None
        return ticket.outcome

    def in_flight(self) -> list[Ticket]:
        with self._lock:
            return list(self._open.values())

    def promote(self, log: Path, priority: int) -> None:
        with self._lock:
            found = [t for t in self._open.values() if t.job.log == log]
            for ticket in found:
                if ticket.job.priority < priority:
                    ticket.job = replace(ticket.job, priority=priority)
            if not found:  # not submitted yet: raised as it is
                self._promoted[log] = priority

    def _check_gpus(self, address: str) -> None:
        """A Ray without GPUs would leave every training waiting: say so (or refuse)."""
        gpus = sum(n.get("Resources", {}).get("GPU", 0) for n in self.ray.nodes() if n.get("Alive"))
        if gpus:
            return
        self.notify("no_gpus", {"address": address, "note": "trainings wait for a GPU node"})

    def gpu_count(self) -> int:
        nodes = self.ray.nodes()
        return int(sum(n.get("Resources", {}).get("GPU", 0) for n in nodes if n.get("Alive")))

    def gpu_types(self) -> dict[str, float]:
        return {k: n for k, n in gpus_by_type(self.ray.nodes()).items() if k}

    def close(self) -> None:
        for ticket in self.in_flight():
            self.cancel(ticket)
        with self._lock:
            for actor, _, _ in self.idle:
                self.ray.kill(actor)
            self.idle.clear()


def gpus_by_type(nodes: list[dict[str, Any]], excluded: Collection[str] = ()) -> dict[str, float]:
    """GPUs of the live nodes not in ``excluded``, by accelerator type ('' for a node that
    names none)."""
    by_type: dict[str, float] = {}
    for node in nodes:
        resources = node.get("Resources", {}) if node.get("Alive") else {}
        if node.get("NodeID") in excluded:
            continue
        kinds = [k.split(":", 1)[1] for k in resources if k.startswith("accelerator_type:")]
        for kind in kinds or [""]:
            by_type[kind] = by_type.get(kind, 0.0) + float(resources.get("GPU", 0.0))
    return by_type


def rank(ticket: Ticket) -> tuple[int, int]:
    """Which waiting training starts first: the highest priority, then the first submitted."""
    return ticket.job.priority, -int(str(ticket.data["seq"]))


def _fits(where: dict[str, str], gpu_type: str) -> bool:
    return not gpu_type or where.get("gpu_type") == gpu_type


def _waiting(ticket: Ticket) -> bool:
    """Submitted, not yet started on a GPU, not ended."""
    return ticket.placement is None and ticket.outcome is None


def _running(ticket: Ticket) -> bool:
    """Started on a GPU, not yet ended."""
    return ticket.placement is not None and ticket.outcome is None and "where" in ticket.data


class _NoNodes(Exception):
    """Every node with GPUs was taken out."""
