"""The executor interface with the local executor, and the --executor options' usage errors."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from evolve_cmd import evolve_args, run_evolve, start_evolve
from evolve_rig import demo_repo

from autoevolve.cli import cli
from autoevolve.executor import LocalExecutor, Placement, TrainJob
from autoevolve.gpus import GpuPool

TRAIN = """\
import os, sys, time
time.sleep(float(sys.argv[1]))
print("---")
print("val_bpb:          0.987654")
print("peak_vram_mb:     2048.0")
print("gpu", os.environ["CUDA_VISIBLE_DEVICES"], os.environ["AUTOEVOLVE_RUN_ID"])
"""


def job(tmp_path: Path, run_id: str, seconds: float, gpu: str | None = None) -> TrainJob:
    script = tmp_path / "train.py"
    script.write_text(TRAIN)
    return TrainJob(
        run_id,
        "0" * 40,
        tmp_path,
        tmp_path / run_id / "run.log",
        f"{sys.executable} {script} {seconds}",
        timeout=60,
        gpu=gpu,
    )


def test_local_executor_runs_reports_where_and_collects(tmp_path: Path) -> None:
    ex = LocalExecutor(GpuPool(tmp_path / "locks", ["0", "1"]))
    started: list[tuple[str, Placement]] = []
    ticket = ex.submit(job(tmp_path, "r1-a", 0.1, "1"), lambda j, p: started.append((j.run_id, p)))
    assert ex.in_flight() == [ticket]
    outcome = ex.collect(ticket)
    assert ex.poll(ticket) and ex.in_flight() == []
    assert started == [("r1-a", Placement("local", "1"))]
    assert outcome.value == pytest.approx(0.987654) and outcome.crash is None
    assert "gpu 1 r1-a" in (tmp_path / "r1-a" / "run.log").read_text()


def test_cancel_interrupts_and_run_honours_stop(tmp_path: Path) -> None:
    ex = LocalExecutor(GpuPool(tmp_path / "locks", ["0"]))
    ticket = ex.submit(job(tmp_path, "r1-b", 30))
    assert not ex.poll(ticket)
    ex.cancel(ticket)
    assert ex.collect(ticket).crash == "interrupted"
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    assert ex.run(job(tmp_path, "r1-c", 30), stop).crash == "interrupted"


def test_two_trainings_on_one_gpu_take_turns(tmp_path: Path) -> None:
    ex = LocalExecutor(GpuPool(tmp_path / "locks", ["0"]))
    first, second = ex.submit(job(tmp_path, "r1-d", 0.3)), ex.submit(job(tmp_path, "r1-e", 0.3))
    a, b = ex.collect(first), ex.collect(second)
    assert a.crash is None and b.crash is None
    assert ex.in_flight() == []


def test_executor_ray_without_ray_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # as if the extra were not installed
    out = CliRunner().invoke(cli, ["--strategies", "conservative", "--executor", "ray"])
    assert out.exit_code == 4
    assert 'pip install "autolab-evolve[ray]"' in out.output


@pytest.mark.parametrize(
    "option", [["--ray-address", "auto"], ["--setup-cmd", "true"], ["--gpu-type", "H100"]]
)
def test_ray_options_need_the_ray_executor(option: list[str]) -> None:
    out = CliRunner().invoke(cli, ["--strategies", "conservative", *option])
    assert out.exit_code == 4 and "need --executor ray" in out.output


def test_status_lists_the_trainings_in_flight(tmp_path: Path) -> None:
    import jsonschema

    repo = demo_repo(tmp_path)
    args = evolve_args(None, strategies=("conservative",), experiments=1, gpus="3", quiet=True)
    env = {"DEMO_RUN_SECONDS": "30"}
    proc = start_evolve(repo, *args, env=env, output=subprocess.DEVNULL)
    try:
        doc = wait_for_training(repo)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    schema = Path(__file__).resolve().parents[2] / "docs" / "schema" / "evolve-status.v1.json"
    jsonschema.validate(doc["data"], json.loads(schema.read_text()))
    [run] = doc["data"]["trainings"]
    assert doc["data"]["executor"] == "local"
    assert (run["agent"], run["node"], run["gpu"], run["executor"]) == (
        "conservative",
        "local",
        "3",
        "local",
    )
    assert run["run"].startswith("r0-baseline") and run["elapsed_s"] >= 0


def wait_for_training(repo: Path) -> dict[str, Any]:
    """`autoevolve status --format json` once it shows a training in flight."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        out = run_evolve(repo, "status", "--format", "json")
        if out.returncode == 0:
            doc: dict[str, Any] = json.loads(out.stdout)
            if doc["data"]["trainings"]:
                return doc
        time.sleep(0.3)
    raise AssertionError("no training showed up in status")


def test_the_live_table_shows_each_trainings_node_gpu_and_elapsed_time() -> None:
    import time

    from rich.console import Console

    from autoevolve.display import agent_table
    from autoevolve.statefile import AgentState, Config, State

    config = Config(
        ["greedy", "greedy"],
        "mock",
        ["0", "1"],
        1,
        2,
        None,
        "python train.py",
        60.0,
        60.0,
        "all",
        1,
    )
    agents = [AgentState(n, "greedy", "auto", "b", "w", g) for n, g in (("a1", "0"), ("a2", "1"))]
    state = State("t", "main", "c" * 40, config, agents, round=1, phase="running")
    now = time.time()
    state.trainings = {
        "r1-a1-e0-v0": {
            "run": "r1-a1-e0-v0",
            "agent": "a1",
            "node": "n1:ab12",
            "gpu": "3",
            "started_at": now - 41.2,
        },
        "r1-a1-e0-v1": {
            "run": "r1-a1-e0-v1",
            "agent": "a1",
            "node": "n2:cd34",
            "gpu": "0",
            "started_at": now - 7.0,
        },
        "r1-a2-e0-v0": {
            "run": "r1-a2-e0-v0",
            "agent": "a2",
            "node": "local",
            "gpu": "1",
            "started_at": now - 2.0,
        },
    }
    console = Console(width=200, record=True, color_system=None)
    console.print(agent_table(state))
    rows = {
        line.split("│")[1].strip(): line
        for line in console.export_text().splitlines()
        if line.count("│") > 2 and line.split("│")[1].strip() in ("a1", "a2")
    }
    assert "n1:ab12 gpu3 41s, n2:cd34 gpu0 7s" in rows["a1"]
    assert "gpu1 2s" in rows["a2"] and "local" not in rows["a2"]
