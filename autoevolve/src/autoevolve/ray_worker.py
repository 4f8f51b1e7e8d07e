"""The worker side of the Ray executor: one actor per training, holding one GPU.

The actor materialises the shipped commit in a fresh directory, runs the node's setup command
once (marker + lock per node), runs the training there and hands its run.log back in chunks.
This module imports Ray lazily so that autoevolve works without the extra.
"""

from __future__ import annotations

import hashlib
import io
import os
import shlex
import shutil
import socket
import sys
import tarfile
import tempfile
import threading
from dataclasses import asdict
from pathlib import Path
from typing import Any

from autolab_shared.core.filelock import lock_file

from .procs import Finished, run_group

SETUP_TIMEOUT_S = 3600.0
CHUNK = 1 << 20


def setup_dir(setup_cmd: str, node_id: str) -> Path:
    """The per-node folder that holds the setup marker, lock and log."""
    key = hashlib.sha1(setup_cmd.encode()).hexdigest()[:10]
    return Path(tempfile.gettempdir()) / "autoevolve-setup" / f"{key}-{node_id[:12]}"


def node_setup(setup_cmd: str, node_id: str, code: Path, env: dict[str, str]) -> str | None:
    """Run ``setup_cmd`` once on this node; None when it is done, else why it failed."""
    base = setup_dir(setup_cmd, node_id)
    base.mkdir(parents=True, exist_ok=True)
    with lock_file(base / "lock"):
        if (base / "done").exists():
            return None
        if (base / "failed").exists():
            return (base / "failed").read_text(encoding="utf-8")
        done = run_group(
            shlex.split(setup_cmd),
            cwd=code,
            env=env,
            timeout=SETUP_TIMEOUT_S,
            log=base / "setup.log",
        )
        if done.returncode == 0:
            (base / "done").write_text(setup_cmd + "\n", encoding="utf-8")
            return None
        tail = (base / "setup.log").read_text(encoding="utf-8", errors="replace")[-400:]
        why = f"setup `{setup_cmd}` exited {done.returncode} (log {base / 'setup.log'}): {tail}"
        (base / "failed").write_text(why, encoding="utf-8")
        return why


def materialise(archive: bytes, dest: Path) -> None:
    """Unpack the shipped commit (a tar of ``git archive``) into ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:") as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(dest, filter="data")
        else:  # pragma: no cover - Python without the extraction filters
            tar.extractall(dest)


def node_gpu_type(node_id: str) -> str:
    """The accelerator type Ray lists for this node ('' when none)."""
    import ray

    for node in ray.nodes():  # type: ignore[no-untyped-call]
        if node.get("NodeID") == node_id:
            for key in node.get("Resources", {}):
                if key.startswith("accelerator_type:"):
                    return str(key.split(":", 1)[1])
    return ""


class TrainingWorker:
    """Trainings one after another on one GPU of one node (a Ray actor; see ``remote_class``).

    The head reuses an actor for its next training (no new worker process to start); every
    training still gets a fresh folder.
    """

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.result: dict[str, Any] | None = None
        self.dir = Path(tempfile.gettempdir())
        self.log = self.dir / "run.log"

    def start(self, archive: bytes, job: dict[str, Any]) -> dict[str, str]:
        """Begin the training in a thread; return where it runs (node, GPU ids, type)."""
        import ray

        self.stop, self.result = threading.Event(), None
        self.dir = Path(tempfile.mkdtemp(prefix="autoevolve-run-"))
        self.log = self.dir / "run.log"

        node_id = ray.get_runtime_context().get_node_id()
        gpus = ",".join(str(g) for g in ray.get_gpu_ids())
        where = {
            "node": f"{socket.gethostname()}:{node_id[:8]}",
            "node_id": node_id,
            "gpu": gpus,
            "gpu_type": node_gpu_type(node_id),
            "dir": str(self.dir),
        }
        args = (archive, job, node_id, where["node"])
        threading.Thread(target=self._run, args=args, daemon=True).start()
        return where

    def _run(self, archive: bytes, job: dict[str, Any], node_id: str, node: str) -> None:
        try:
            code = self.dir / "code"
            materialise(archive, code)
            env = {
                **os.environ,
                **job["env"],
                "AUTOEVOLVE_RUN_ID": job["run_id"],
                "AUTOEVOLVE_NODE": node,
            }
            if job["setup_cmd"]:
                why = node_setup(job["setup_cmd"], node_id, code, env)
                if why is not None:
                    self.log.write_text(f"autoevolve: {why}\n", encoding="utf-8")
                    self.result = {"setup_failed": why}
                    return
            guard = [sys.executable, "-m", "autoevolve.ray_guard", "--"]  # dies with the actor
            done = run_group(
                [*guard, *shlex.split(job["train_cmd"])],
                cwd=code,
                env=env,
                timeout=job["timeout"],
                log=self.log,
                stop=self.stop,
            )
            self.result = asdict(done)
        except Exception as exc:  # reported to the head as a crash, never lost
            with open(self.log, "a", encoding="utf-8") as out:
                out.write(f"\nautoevolve: worker error: {exc}\n")
            self.result = asdict(Finished(3, False, False, 0.0))

    def poll(self, offset: int) -> tuple[bytes, dict[str, Any] | None]:
        """run.log from ``offset`` (at most 1 MiB) and the result once all of it was sent."""
        result = self.result  # read first: a result seen means the log is complete
        data = b""
        if self.log.exists():
            with open(self.log, "rb") as f:
                f.seek(offset)
                data = f.read(CHUNK)
        complete = result is not None and offset + len(data) >= self.log_size()
        return data, result if complete else None

    def log_size(self) -> int:
        return self.log.stat().st_size if self.log.exists() else 0

    def cancel(self) -> None:
        """Stop the training (its process group is killed)."""
        self.stop.set()

    def cleanup(self) -> None:
        """Remove the run's directory on the worker."""
        shutil.rmtree(self.dir, ignore_errors=True)


def remote_class() -> Any:
    """The Ray actor class for ``TrainingWorker`` (made on first use, so Ray stays optional)."""
    import ray

    return ray.remote(max_restarts=0, max_task_retries=0)(TrainingWorker)
