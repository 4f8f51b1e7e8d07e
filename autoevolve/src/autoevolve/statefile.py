"""The competition's state on disk: one JSON file written atomically, and the controller lock."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from autolab_shared.core.errors import AutolabError
from autolab_shared.core.filelock import try_lock
from autolab_shared.files.atomicwrite import write_atomic as atomic_write

from .layout import Layout
from .names import UsageProblem, check_name
from .roundplan import RoundPlan, RoundRecord

STATE_VERSION = 1


class Busy(AutolabError):
    """Another controller holds the lock."""


@dataclass
class AgentState:
    """One agent of the competition."""

    name: str
    strategy: str
    steer: str
    branch: str
    worktree: str
    gpu: str
    done: int = 0  # experiments finished this round
    total: int = 0
    keeps: int = 0
    crashes: int = 0
    best_value: float | None = None
    best_sha: str = ""
    start_sha: str = ""  # where the agent started this round
    status: str = "idle"  # idle | thinking | training | judging | done
    current: str = ""
    attempt: int = 0  # index of the experiment in flight (or next) this round
    exp_start: str = ""  # where the in-flight experiment started ('' when none)
    exp_commit: str = ""  # the in-flight experiment's commit once the agent made one
    tip: str = ""  # where the controller last left its worktree (guarded until its next turn)
    violations: int = 0  # turns in which it touched what agents must not (see integrity)
    retired: bool = False  # too many violations: it gets no more turns


@dataclass
class Config:
    """The options a competition was started with."""

    strategies: list[str]
    agent: str
    gpus: list[str]
    rounds: int
    experiments_per_round: int
    round_minutes: float | None
    train_cmd: str
    timeout: float
    agent_timeout: float
    propagate: str
    seed: int
    validate: int = 1
    max_retests: int = 2
    metric: str = "val_bpb"
    mode: str = "harness"
    crossover: int = 0
    editable: list[str] = field(default_factory=lambda: ["train.py"])
    max_violations: int = 2
    executor: str = "local"  # local | ray (where trainings run)
    ray_address: str = ""  # '' starts a local Ray instance; 'auto' or ray://host:10001
    setup_cmd: str = ""  # run once per node before its first training (ray)
    gpu_type: str = ""  # accelerator type trainings run on ('' any)
    validate_on: str = ""  # accelerator type the champion candidates are re-run on ('' same)
    parallel: int = 1  # commits an agent may make per turn, trained at once (--parallel)


@dataclass
class State:
    """Everything needed to report on, or continue, a competition."""

    tag: str
    base: str
    base_sha: str
    config: Config
    agents: list[AgentState]
    round: int = 0
    phase: str = "setup"  # setup | baseline | running | closing | done
    champion_sha: str = ""
    champion_value: float | None = None
    champion_agent: str = ""
    baseline_value: float | None = None
    rounds: list[RoundRecord] = field(default_factory=list)
    round_plan: RoundPlan | None = None  # the round end being carried out (write-ahead)
    interrupted: list[dict[str, Any]] = field(default_factory=list)
    crossover: dict[str, list[str]] = field(default_factory=dict)  # agent -> commits to pick
    trainings: dict[str, dict[str, Any]] = field(default_factory=dict)  # in flight: run -> where
    exit_code: int | None = None
    verdict: str = ""
    started_at: float = 0.0
    updated_at: float = 0.0
    version: int = STATE_VERSION

    def agent(self, name: str) -> AgentState:
        """The agent called ``name``."""
        return next(a for a in self.agents if a.name == name)


def save_state(path: Path, state: State) -> str:
    """Write ``state`` to ``path`` atomically (temp file, fsync, rename); the text written."""
    text = json.dumps(state_json(state), indent=1, sort_keys=True) + "\n"
    write_atomic(path, text)
    return text


def state_json(state: State) -> dict[str, Any]:
    """The state as the file holds it (the round records as their JSON)."""
    raw = asdict(replace(state, rounds=[], round_plan=None))
    raw["rounds"] = [r.to_json() for r in state.rounds]
    raw["round_plan"] = state.round_plan.to_json() if state.round_plan is not None else None
    return raw


def read_or_empty(path: Path) -> bytes:
    """The file's bytes, or b"" when it cannot be read (missing, removed, a directory)."""
    try:
        return path.read_bytes()
    except OSError:
        return b""


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` so readers see the old or the new file, never a mix (the
    library's one atomic writer: temp file, fsync, rename, directory fsync)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(str(path), text.encode("utf-8"))


def load_state(path: Path, layout: Layout | None = None) -> State:
    """Read a state file written by save_state.

    With ``layout``, each agent's branch and worktree are derived from its (checked) name and the
    layout, never taken from the file: an agent that edits the file cannot point autoevolve at
    a branch or a folder it did not create.
    """
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AutolabError(f"no autoevolve run here ({path} is missing)") from None
    except (OSError, ValueError) as exc:
        raise AutolabError(f"{path}: unreadable state ({exc})") from None
    if raw.get("version") != STATE_VERSION:
        raise AutolabError(f"{path}: state version {raw.get('version')} is not supported")
    raw["config"] = Config(**raw["config"])
    raw["agents"] = [AgentState(**a) for a in raw["agents"]]
    raw["rounds"] = [RoundRecord.from_json(r) for r in raw.get("rounds") or ()]
    plan = raw.get("round_plan")
    raw["round_plan"] = RoundPlan.from_json(plan) if plan is not None else None
    state = State(**raw)
    if layout is not None:
        trusted_paths(state, layout, path)
    return state


def trusted_paths(state: State, layout: Layout, path: Path) -> None:
    """Re-derive the agents' branches and worktrees from the layout (see load_state)."""
    try:
        if state.tag != layout.tag:
            raise UsageProblem(f"it names tag {state.tag!r}, not {layout.tag!r}")
        for agent in state.agents:
            check_name(agent.name, "agent name")
            agent.branch, agent.worktree = (
                layout.branch(agent.name),
                str(layout.worktree(agent.name)),
            )
    except UsageProblem as exc:
        raise AutolabError(f"{path}: modified outside autoevolve ({exc})") from None


@contextlib.contextmanager
def controller_lock(path: Path) -> Iterator[None]:
    """Hold the one-controller-per-checkout lock; Busy at once if another process has it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if not try_lock(fd):
            other = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            raise Busy(
                f"another autoevolve controller (pid {other}) is running in this "
                "checkout; wait for it or run `autoevolve stop`"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)


def controller_running(path: Path) -> bool:
    """True while a controller holds the lock at ``path`` (a probe: the lock is not kept)."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        return False
    try:
        return not try_lock(fd)
    finally:
        os.close(fd)
