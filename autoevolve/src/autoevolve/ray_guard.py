"""Run a training and end it when the Ray actor that started it dies.

``python -m autoevolve.ray_guard -- CMD ...`` runs CMD in the guard's own process group (the
actor starts the guard in a new session) and exits with CMD's exit status. When the actor dies
(its node lost, the head killed, the actor killed) the guard is re-parented; it then ends the
whole group, so an orphaned training never keeps a GPU that Ray has handed to another one.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

GRACE_S = 5.0
POLL_S = 0.2


def main(argv: list[str]) -> int:
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        print("usage: python -m autoevolve.ray_guard -- CMD [ARG...]", file=sys.stderr)
        return 4
    parent = os.getppid()
    try:
        child = subprocess.Popen(argv)
    except OSError as exc:
        print(f"autoevolve: cannot start {argv[0]}: {exc.strerror}", file=sys.stderr)
        return 127
    while child.poll() is None:
        if os.getppid() != parent:  # the actor is gone
            print("\nautoevolve: the Ray actor died: training stopped", file=sys.stderr)
            end_group()
            return 137
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=POLL_S)
    return child.returncode if child.returncode >= 0 else 128 - child.returncode


def end_group() -> None:
    """SIGTERM this process group (the guard ignores it), then SIGKILL what is left."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(0, signal.SIGTERM)
    time.sleep(GRACE_S)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(0, signal.SIGKILL)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
