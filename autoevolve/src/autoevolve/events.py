"""The append-only event log of every side effect (one JSON object per line, fsync'd)."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

FAULT_ENV = "AUTOEVOLVE_FAULT_AT"  # kill the controller right after writing event N (tests)


class EventLog:
    """Appends numbered events to ``events.jsonl``; safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.RLock()
        self.lines = _raw_lines(path)  # everything in the file: the guard's record of it
        self.seq = sum(1 for _ in read_events(path))
        self.fault_at = int(os.environ.get(FAULT_ENV, "0") or 0)

    def append(self, kind: str, **data: Any) -> int:
        """Write one event durably and return its sequence number."""
        with self.lock:
            self.seq += 1
            line = json.dumps({"seq": self.seq, "t": round(time.time(), 3), "kind": kind, **data})
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as out:
                out.write(line + "\n")
                out.flush()
                os.fsync(out.fileno())
            self.lines.append(line + "\n")
            if self.seq == self.fault_at:
                os.kill(os.getpid(), signal.SIGKILL)  # fault injection (tests only)
            return self.seq


def _raw_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines(keepends=True)
    except FileNotFoundError:
        return []


def read_events(path: Path) -> list[dict[str, Any]]:
    """Every complete event in the log (a torn last line from a crash is skipped)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    events = []
    for line in text.splitlines():
        try:
            events.append(json.loads(line))
        except ValueError:
            continue
    return events
