"""Child processes in their own process group, with a timeout that kills the whole group."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .reaper import TOKEN_ENV, new_token, reap

GRACE_S = 5.0


@dataclass(frozen=True)
class Finished:
    """How a child process ended."""

    returncode: int
    timed_out: bool
    stopped: bool
    seconds: float


def run_group(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float,
    log: Path,
    stop: threading.Event | None = None,
    on_spawn: Callable[[int], None] | None = None,
    header: str | None = None,
) -> Finished:
    """Run ``argv`` (no shell) with stdout and stderr to ``log``; kill its group on timeout/stop.

    With a ``header``, the log is appended to after that separator line instead of replaced.
    When it ends, for whatever reason, whatever it started is ended too (see reaper).
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    token = new_token()
    with open(log, "ab" if header is not None else "wb") as out:
        if header is not None:
            out.write(f"\n===== {header} =====\n".encode())
            out.flush()
        try:
            proc = subprocess.Popen(
                list(argv),
                cwd=cwd,
                env={**env, TOKEN_ENV: token},
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError as exc:
            out.write(f"autoevolve: cannot start {argv[0]}: {exc.strerror}\n".encode())
            return Finished(127, False, False, 0.0)
        if on_spawn is not None:
            on_spawn(proc.pid)
        timed_out = stopped = False
        while proc.poll() is None:
            if time.monotonic() - start > timeout:
                timed_out = True
            elif stop is not None and stop.is_set():
                stopped = True
            if timed_out or stopped:
                kill_group(proc)
                break
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=0.05)
        code = proc.wait()
        strays = reap(proc.pid, token)
        if timed_out:
            out.write(f"\nautoevolve: killed after the {timeout:g} s timeout\n".encode())
        if strays:
            out.write(f"\nautoevolve: ended {len(strays)} leftover process(es)\n".encode())
    return Finished(code, timed_out, stopped, time.monotonic() - start)


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the child's process group, then SIGKILL it after a grace period."""
    for sig, wait in ((signal.SIGTERM, GRACE_S), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue
