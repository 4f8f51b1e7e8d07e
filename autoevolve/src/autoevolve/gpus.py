"""Which GPUs a competition uses, and the per-GPU locks that keep two trainings apart."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

from autolab_shared.core.filelock import lock_file

from .names import UsageProblem

CPU = "cpu"


def parse_gpus(spec: str) -> list[str]:
    """``0,1,2`` → ids; ``auto`` → the GPUs nvidia-smi lists (none found: CPU); ``none`` → CPU."""
    text = spec.strip().lower()
    if text in ("none", "cpu", ""):
        return [CPU]
    if text == "auto":
        return detect_gpus() or [CPU]
    ids = [part.strip() for part in text.split(",") if part.strip()]
    if not ids or not all(i.isdigit() for i in ids) or len(set(ids)) != len(ids):
        raise UsageProblem(f"invalid --gpus {spec!r}: use a list like 0,1,2, 'auto' or 'none'")
    return ids


def detect_gpus() -> list[str]:
    """GPU indices from CUDA_VISIBLE_DEVICES or nvidia-smi; empty when there are none."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return [v.strip() for v in visible.split(",") if v.strip().isdigit()]
    exe = shutil.which("nvidia-smi")
    if not exe:
        return []
    try:
        out = subprocess.run(
            [exe, "--query-gpu=index", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return []
    return [line.strip() for line in out.stdout.splitlines() if line.strip().isdigit()]


def visible_devices(gpu: str) -> str:
    """The CUDA_VISIBLE_DEVICES value for a slot ('' hides every GPU for CPU runs)."""
    return "" if gpu == CPU else gpu


class GpuPool:
    """One lock per GPU: a thread lock in this process plus a flock file other processes see."""

    def __init__(self, lock_dir: Path, gpus: list[str]) -> None:
        self.lock_dir = lock_dir
        self.gpus = list(gpus)
        self._locks = {g: threading.Lock() for g in self.gpus}

    @contextlib.contextmanager
    def hold(self, gpu: str) -> Iterator[str]:
        """Hold ``gpu`` exclusively for one training run."""
        with self._locks[gpu], lock_file(self.lock_dir / f"gpu{gpu}.lock"):
            yield gpu

    @contextlib.contextmanager
    def any(self) -> Iterator[str]:
        """Hold whichever GPU frees up first (used for validation re-runs)."""
        while True:
            for gpu in self.gpus:
                if self._locks[gpu].acquire(blocking=False):
                    self._locks[gpu].release()
                    with self.hold(gpu) as held:
                        yield held
                    return
            threading.Event().wait(0.05)
