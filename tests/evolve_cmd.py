"""autoevolve command lines for the tests: one builder of a competition's options, two runners."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from support import console_script

TRAIN_CMD = f"{sys.executable} train.py"
PAIR = ("conservative", "random")


def evolve_args(
    tag: str | None = None,
    *extra: str,
    strategies: Sequence[str] = PAIR,
    rounds: int | None = 1,
    experiments: int | None = 2,
    gpus: str | None = "none",
    agent: str = "mock",
    train_cmd: str | None = TRAIN_CMD,
    quiet: bool = False,
) -> list[str]:
    """The options of one competition (`experiments` per round); None leaves an option to
    autoevolve's default; `extra` options come after these, then `-q` when `quiet`."""
    args = ["--strategies", *strategies]
    for flag, value in (
        ("--rounds", rounds),
        ("--experiments-per-round", experiments),
        ("--gpus", gpus),
        ("--agent", agent),
        ("--train-cmd", train_cmd),
        ("--tag", tag),
    ):
        if value is not None:
            args += [flag, str(value)]
    return [*args, *extra, *(["-q"] if quiet else [])]


def _env(env: Mapping[str, str] | None) -> dict[str, str]:
    return {**os.environ, **(env or {})}


def run_evolve(
    cwd: Path, *args: str, env: Mapping[str, str] | None = None, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    """The installed `autoevolve` run to its end in `cwd`, `env` over this environment."""
    return subprocess.run(
        [console_script("autoevolve"), *args],
        cwd=cwd,
        env=_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_evolve(
    cwd: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    output: int | None = subprocess.PIPE,
) -> subprocess.Popen[str]:
    """The installed `autoevolve` started in `cwd`; its stdout and stderr go to `output`."""
    return subprocess.Popen(
        [console_script("autoevolve"), *args],
        cwd=cwd,
        env=_env(env),
        stdout=output,
        stderr=output,
        text=True,
    )
