"""One training run: pinned to a GPU, under a timeout, its run.log parsed by the shared library."""

from __future__ import annotations

import os
import shlex
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from autolab_shared.core.errors import InputError
from autolab_shared.core.vocabulary import CrashKind
from autolab_shared.parsing.runlog import read_runlog

from .gpus import visible_devices
from .procs import Finished, run_group


@dataclass(frozen=True)
class RunOutcome:
    """What one training run produced."""

    run_id: str
    value: float | None
    memory_gb: float | None
    crash: CrashKind | None  # None when it finished
    detail: str
    seconds: float
    gpu: str
    log: str
    node: str = ""  # where it ran ('' on this machine)
    gpu_type: str = ""  # the node's accelerator type ('' unknown)


def train_argv(train_cmd: str) -> list[str]:
    """The training command as argv (split like a shell would, but never run by one)."""
    argv = shlex.split(train_cmd)
    if not argv:
        raise ValueError("empty --train-cmd")
    return argv


def run_training(
    worktree: Path,
    train_cmd: str,
    *,
    gpu: str,
    timeout: float,
    log: Path,
    run_id: str,
    metric: str = "val_bpb",
    env: dict[str, str] | None = None,
    stop: threading.Event | None = None,
    on_spawn: Callable[[int], None] | None = None,
) -> RunOutcome:
    """Run the training command in ``worktree`` with ``CUDA_VISIBLE_DEVICES`` set to ``gpu``."""
    child_env = {
        **os.environ,
        **(env or {}),
        "CUDA_VISIBLE_DEVICES": visible_devices(gpu),
        "AUTOEVOLVE_RUN_ID": run_id,
    }
    done = run_group(
        train_argv(train_cmd),
        cwd=worktree,
        env=child_env,
        timeout=timeout,
        log=log,
        stop=stop,
        on_spawn=on_spawn,
    )
    return outcome_of(done, log, run_id=run_id, gpu=gpu, timeout=timeout, metric=metric)


def outcome_of(
    done: Finished,
    log: Path,
    *,
    run_id: str,
    gpu: str,
    timeout: float,
    metric: str,
    node: str = "",
    gpu_type: str = "",
) -> RunOutcome:
    """What a finished training produced, from how it ended and its run.log."""
    where = {"node": node, "gpu_type": gpu_type}
    if done.timed_out:
        return RunOutcome(
            run_id,
            None,
            None,
            CrashKind.TIMEOUT,
            f"over the {timeout:g} s limit",
            done.seconds,
            gpu,
            str(log),
            **where,
        )
    if done.stopped:
        return RunOutcome(
            run_id,
            None,
            None,
            CrashKind.INTERRUPTED,
            "stopped by autoevolve",
            done.seconds,
            gpu,
            str(log),
            **where,
        )
    try:  # read from its tail: a training log can be hundreds of MB
        parsed = read_runlog(log, metric=metric)
    except InputError as exc:
        return RunOutcome(
            run_id,
            None,
            None,
            CrashKind.CRASH,
            f"run.log unreadable: {exc.message}",
            done.seconds,
            gpu,
            str(log),
            **where,
        )
    value = parsed.metric()
    if parsed.crash is not None or value is None or done.returncode != 0:
        kind = parsed.crash.kind if parsed.crash else CrashKind.CRASH
        detail = parsed.crash.detail if parsed.crash else f"exit code {done.returncode}"
        return RunOutcome(run_id, None, None, kind, detail, done.seconds, gpu, str(log), **where)
    return RunOutcome(
        run_id, value, parsed.memory_gb, None, "", done.seconds, gpu, str(log), **where
    )
