"""A real multi-node Ray cluster on this machine for the executor tests (fake GPUs, 127.0.0.1)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# Ray would advertise the machine's outward address, which sandboxes may not route back to
# itself: keep every node (and the drivers the tests start) on the loopback address.
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")  # tests run under `uv run` (dev.py)

MB = 1024**2
NODE = {"num_cpus": 1, "object_store_memory": 80 * MB, "node_ip_address": "127.0.0.1"}

WRAP = """\
import json, os, subprocess, sys, time
start = time.time()
flag = os.path.join(os.path.dirname(os.environ["RAY_TEST_LOG"]), "slow")
try:  # the file holds how many of the next trainings are slow
    left = int(open(flag).read() or 0)
except FileNotFoundError:
    left = 0
slow = left > 0
if slow:
    open(flag, "w").write(str(left - 1))
    with open(flag + ".pids", "a") as pids:
        pids.write(f"{os.getpid()}\\n")
env = dict(os.environ, DEMO_RUN_SECONDS="30" if slow else os.environ.get("DEMO_RUN_SECONDS", "0"))
code = subprocess.call([sys.executable, "train.py"], env=env)
with open(os.environ["RAY_TEST_LOG"], "a") as log:
    log.write(json.dumps({"node": os.environ.get("AUTOEVOLVE_NODE"), "cwd": os.getcwd(),
                          "cuda": os.environ.get("CUDA_VISIBLE_DEVICES"),
                          "run": os.environ.get("AUTOEVOLVE_RUN_ID"),
                          "start": start, "end": time.time()}) + "\\n")
sys.exit(code)
"""


def write_wrapper(root: Path) -> str:
    """A train command that runs the demo's train.py and logs node, GPU, folder and times."""
    path = root / "wrap_train.py"
    path.write_text(WRAP)
    return f"{sys.executable} {path}"


def trainings(root: Path) -> list[dict[str, Any]]:
    """Every training the wrapper logged."""
    log = root / "trainings.jsonl"
    return [json.loads(x) for x in log.read_text().splitlines()] if log.exists() else []


def start_cluster(
    root: Path, gpu_types: tuple[str, ...] = ("H100", "H100", "H200")
) -> Iterator[Any]:
    """A head without GPUs and one 2-GPU node per accelerator type; shut down afterwards."""
    from ray.cluster_utils import Cluster

    os.environ["RAY_TEST_LOG"] = str(root / "trainings.jsonl")
    cluster = Cluster(initialize_head=True, head_node_args={**NODE, "num_gpus": 0})
    try:
        for kind in gpu_types:
            cluster.add_node(**NODE, num_gpus=2, resources={f"accelerator_type:{kind}": 1})
        cluster.wait_for_nodes()
        yield cluster
    finally:
        cluster.shutdown()
