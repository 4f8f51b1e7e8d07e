"""What a competition is started with, and the one place its defaults are defined (the CLI's
option defaults are read from here)."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_EDITABLE = ("train.py",)  # the autoresearch layout: everything else is read-only


@dataclass(frozen=True)
class StartOptions:
    """What the seed command was given."""

    strategies: tuple[str, ...]
    agent: str = "claude"
    gpus: str = "auto"
    rounds: int = 3
    experiments_per_round: int = 5
    round_minutes: float | None = None
    train_cmd: str = "uv run train.py"
    timeout: float = 600.0
    agent_timeout: float = 1800.0
    tag: str | None = None
    base: str | None = None
    propagate: str = "all"
    seed: int = 0
    validate: int = 1
    max_retests: int = 2
    editable: tuple[str, ...] = DEFAULT_EDITABLE
    max_violations: int = 2
    crossover: int = 2
    mode: str = "harness"
    executor: str = "local"
    ray_address: str = ""
    setup_cmd: str = ""
    gpu_type: str = ""
    validate_on: str = ""
    parallel: int = 1


DEFAULTS = StartOptions(strategies=())
