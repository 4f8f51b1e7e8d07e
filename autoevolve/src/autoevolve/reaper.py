"""Ending a whole process tree: the child's process group, and strays that left it.

Every agent and training run gets a unique ``AUTOEVOLVE_TURN`` token in its environment. A
process that starts its own session (a server, ``setsid``, a daemonised training) leaves the
group but normally keeps the environment, so a sweep of /proc for the token finds it. A process
that also scrubs its environment escapes; cgroups would be needed for that (not used here).
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
import uuid
from pathlib import Path

TOKEN_ENV = "AUTOEVOLVE_TURN"


def new_token() -> str:
    """A fresh token for one agent turn or training run."""
    return uuid.uuid4().hex


def token_of(pid: int) -> str:
    """The ``AUTOEVOLVE_TURN`` token in a running process's environment ('' when none)."""
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return ""
    prefix = f"{TOKEN_ENV}=".encode()
    found = next((item for item in environ.split(b"\0") if item.startswith(prefix)), b"")
    return found[len(prefix) :].decode(errors="replace")


def carriers(token: str) -> list[int]:
    """Pids of this user's processes whose environment holds ``AUTOEVOLVE_TURN=token``."""
    needle = f"{TOKEN_ENV}={token}".encode()
    found = []
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if needle in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


def reap(pgid: int | None, token: str) -> list[int]:
    """SIGKILL what is left of group ``pgid`` and every carrier of ``token``; the pids hit."""
    if pgid is not None and pgid > 1:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
    hit: list[int] = []
    for _ in range(3 if token else 0):  # a stray may fork while we look: sweep until none is left
        strays = carriers(token)
        if not strays:
            break
        for pid in strays:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
                hit.append(pid)
        time.sleep(0.05)
    return hit
