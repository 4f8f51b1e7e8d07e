"""Picking the executor a competition's config names (Ray is imported only when chosen)."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any

from .executor import Executor, LocalExecutor
from .gitrepo import Git
from .gpus import GpuPool
from .names import UsageProblem
from .statefile import Config

EXECUTORS = ("local", "ray")
RAY_INSTALL = 'the ray executor needs Ray: pip install "autolab-evolve[ray]"'


def require_ray() -> None:
    """UsageProblem (exit 4) with the install line when Ray is not installed."""
    try:
        found = importlib.util.find_spec("ray") is not None
    except (ImportError, ValueError):  # a broken or blocked install
        found = False
    if not found:
        raise UsageProblem(RAY_INSTALL)


def make_executor(
    config: Config,
    pool: GpuPool,
    repo: Git,
    on_spawn: Callable[[int], None] | None = None,
    notify: Callable[[str, dict[str, Any]], None] | None = None,
) -> Executor:
    """The executor ``config.executor`` names."""
    if config.executor == "ray":
        require_ray()
        from .executor_ray import RayExecutor

        return RayExecutor(
            repo, address=config.ray_address, setup_cmd=config.setup_cmd, notify=notify
        )
    if config.executor != "local":
        raise UsageProblem(f"unknown executor {config.executor!r}: use one of {EXECUTORS}")
    return LocalExecutor(pool, on_spawn)
