"""The Ray executor's scheduling on a real test cluster: which waiting training gets a freed GPU,
which running one is stopped for it, and speculative validation re-runs in a competition."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from evolve_cmd import evolve_args, run_evolve
from evolve_rig import ae_dir, validate_rows
from ray_cluster import NODE

from autoevolve.demo import write_demo_repo

ray = pytest.importorskip("ray")
pytestmark = [
    pytest.mark.ray,
    pytest.mark.slow,
    pytest.mark.xdist_group("ray"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]
GPUS = 4  # 2 nodes x 2 GPUs


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    from ray.cluster_utils import Cluster

    os.environ["DEMO_RUN_SECONDS"] = "0.2"
    os.environ["DEMO_NOISE_SEED"] = "3"
    cluster = Cluster(initialize_head=True, head_node_args={**NODE, "num_gpus": 0})
    try:
        for _ in range(GPUS // 2):
            cluster.add_node(**NODE, num_gpus=2)
        cluster.wait_for_nodes()
        yield cluster
    finally:
        cluster.shutdown()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("sched") / "demo"
    write_demo_repo(repo, run_seconds=0.2)
    return repo


class Trainings:
    """Trainings submitted through one RayExecutor, each waited for on its own thread (as the
    competition does); start and end times by run id."""

    def __init__(self, cluster: Any, repo: Path) -> None:
        from autoevolve.executor_ray import RayExecutor
        from autoevolve.gitrepo import Git

        ray.init(address=cluster.address)
        self.git = Git(repo)
        self.notes: list[tuple[str, dict[str, Any]]] = []
        self.ex = RayExecutor(self.git, address=cluster.address, notify=self.note)
        self.started: dict[str, float] = {}
        self.ended: dict[str, float] = {}
        self.outcomes: dict[str, Any] = {}
        self.threads: list[threading.Thread] = []
        self.stop = threading.Event()

    def note(self, kind: str, data: dict[str, Any]) -> None:
        self.notes.append((kind, data))

    def submit(self, run_id: str, priority: int, tmp: Path, gate: Path | None = None) -> None:
        """A 0.2 s training; with a ``gate``, one that waits for that file first."""
        from autoevolve.executor import TrainJob

        cmd = f"{sys.executable} train.py"
        if gate is not None:
            wait = f"while [ ! -e {gate} ]; do sleep 0.05; done; exec {cmd}"
            cmd = f"sh -c {shlex.quote(wait)}"
        job = TrainJob(
            run_id, self.git.head(), self.git.cwd, tmp / run_id / "run.log", cmd, 120.0,
            priority=priority,
        )  # fmt: skip

        def one() -> None:
            def on_start(job: Any, _: Any) -> None:
                assert job.run_id not in self.started, f"{job.run_id} started twice"
                self.started[job.run_id] = time.monotonic()

            self.outcomes[run_id] = self.ex.run(job, self.stop, on_start)
            self.ended[run_id] = time.monotonic()

        thread = threading.Thread(target=one, daemon=True)
        self.threads.append(thread)
        thread.start()

    def wait_started(self, *runs: str) -> None:
        deadline = time.monotonic() + 60
        while not all(r in self.started for r in runs) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert all(r in self.started for r in runs), self.started

    def finish(self) -> None:
        for thread in self.threads:
            thread.join(timeout=120)
        self.ex.close()
        ray.shutdown()


@pytest.fixture
def trainings(cluster: Any, demo: Path) -> Iterator[Trainings]:
    runs = Trainings(cluster, demo)
    try:
        yield runs
    finally:
        runs.stop.set()
        runs.finish()


def fill(runs: Trainings, tmp: Path, priority: int = 0, gpus: int = GPUS) -> list[Path]:
    """One training per GPU, each until its gate file appears; the gates once all started."""
    gates = [tmp / f"gate-{i}" for i in range(gpus)]
    for i, gate in enumerate(gates):
        runs.submit(f"r1-block-{i}", priority, tmp, gate)
    runs.wait_started(*(f"r1-block-{i}" for i in range(gpus)))
    return gates


def open_gates(gates: list[Path]) -> None:
    for gate in gates:
        gate.touch()


def test_a_freed_gpu_goes_to_the_waiting_training_with_most_work_left(
    trainings: Trainings, tmp_path: Path
) -> None:
    gates = fill(trainings, tmp_path)
    for run_id, priority in (("r1-spec", -1), ("r1-low", 1), ("r1-high", 3)):
        trainings.submit(run_id, priority, tmp_path)  # submitted lowest-ranked first
    time.sleep(1.0)
    assert not any(r in trainings.started for r in ("r1-spec", "r1-low", "r1-high"))
    open_gates(gates[:1])  # one GPU frees: the three take it in turn, best-ranked first
    trainings.wait_started("r1-spec")
    open_gates(gates[1:])
    trainings.finish()
    started = trainings.started
    assert started["r1-high"] < started["r1-low"] < started["r1-spec"]
    assert not trainings.notes  # nothing of priority < 0 was running: nothing stopped
    assert sorted(trainings.outcomes) == sorted(started) == sorted(trainings.ended)
    assert all(o.value is not None for o in trainings.outcomes.values())


def test_a_waiting_training_stops_a_speculative_one_on_a_full_cluster(
    trainings: Trainings, tmp_path: Path
) -> None:
    gates = fill(trainings, tmp_path, gpus=GPUS - 1)
    trainings.submit("r1-spec", -1, tmp_path, tmp_path / "never")
    trainings.wait_started("r1-spec")
    trainings.submit("r1-wave", 0, tmp_path)
    trainings.wait_started("r1-wave")  # while every block still holds its GPU
    open_gates(gates)
    trainings.finish()
    outcomes = trainings.outcomes
    assert outcomes["r1-spec"].crash == "interrupted"
    assert trainings.notes == [("preempted", {"run": "r1-spec", "waiting": "r1-wave"})]
    assert all(outcomes[f"r1-block-{i}"].value is not None for i in range(GPUS - 1))
    assert outcomes["r1-wave"].value is not None


def test_a_speculative_training_never_stops_another(trainings: Trainings, tmp_path: Path) -> None:
    gates = fill(trainings, tmp_path, priority=-1)
    trainings.submit("r1-spec", -1, tmp_path)
    time.sleep(1.5)
    assert "r1-spec" not in trainings.started and not trainings.notes
    open_gates(gates[:1])
    trainings.wait_started("r1-spec")
    open_gates(gates[1:])
    trainings.finish()
    assert not trainings.notes
    assert all(o.value is not None for o in trainings.outcomes.values())


def on_ray_and_local(
    cluster: Any, demo: Path, tmp_path: Path, *options: str, **kw: Any
) -> dict[str, Path]:
    """One round of the same competition on the test cluster and on one local GPU (the demo
    copied for each): their autoevolve folders by name."""
    homes = {}
    for name, extra in (
        ("ray", ["--executor", "ray", "--ray-address", cluster.address]),
        ("local", ["--gpus", "0"]),
    ):
        repo = tmp_path / name
        shutil.copytree(demo, repo)
        args = evolve_args(
            None, *options, *extra, rounds=1, experiments=2, gpus=None, quiet=True, **kw
        )
        proc = run_evolve(repo, *args, timeout=300)
        assert proc.returncode in (0, 1, 2), proc.stderr
        homes[name] = ae_dir(repo)
    return homes


def test_speculative_reruns_keep_the_decisions_of_one_gpu(
    cluster: Any, demo: Path, tmp_path: Path
) -> None:
    """--parallel 3 on the cluster (tips re-run as last turns start) decides as on 1 local GPU."""
    homes = on_ray_and_local(
        cluster, demo, tmp_path, "--seed", "2", "--validate", "1", "--parallel", "3",
        strategies=("conservative", "random", "aggressive"),
    )  # fmt: skip
    ray_state, local = (json.loads((homes[n] / "state.json").read_text()) for n in homes)
    assert [r["winner"] for r in ray_state["rounds"]] == [r["winner"] for r in local["rounds"]]
    assert ray_state["champion_sha"] == local["champion_sha"]
    assert validate_rows(homes["ray"]) == validate_rows(homes["local"])
    assert validate_rows(homes["ray"]), "no round validated a candidate: the test shows nothing"
    evs = [json.loads(x) for x in (homes["ray"] / "events.jsonl").read_text().splitlines()]
    assert speculated(evs), "no tip was re-run before its agent's last turn ended"


def speculated(evs: list[dict[str, Any]]) -> list[str]:
    """Validation re-runs submitted before their agent's last turn of the round ended."""
    out, last_turn, round_ = [], {}, 1
    for e in evs:
        if e["kind"] == "experiment_done":
            last_turn[(round_, e["agent"])] = e["seq"]
        elif e["kind"] == "round_done":
            round_ += 1
    for e in evs:
        if e["kind"] == "train_submitted" and "-validate-" in e["run"]:
            k, agent = int(e["run"][1]), e["run"].split("-")[2]
            if e["seq"] < last_turn.get((k, agent), -1):
                out.append(e["run"])
    return out


def test_a_likelier_speculative_training_stops_a_less_likely_one(
    trainings: Trainings, tmp_path: Path
) -> None:
    """A tip's speculative re-run (-1) waiting on a full cluster stops a variant's (-2)."""
    gates = fill(trainings, tmp_path, gpus=GPUS - 1)
    trainings.submit("r1-variant", -2, tmp_path, tmp_path / "never")
    trainings.wait_started("r1-variant")
    trainings.submit("r1-tip", -1, tmp_path)
    trainings.wait_started("r1-tip")  # while every block still holds its GPU
    open_gates(gates)
    trainings.finish()
    assert trainings.notes == [("preempted", {"run": "r1-variant", "waiting": "r1-tip"})]
    assert trainings.outcomes["r1-variant"].crash == "interrupted"
    assert trainings.outcomes["r1-tip"].value is not None


def test_a_promoted_speculative_training_stops_another_speculative_one(
    trainings: Trainings, tmp_path: Path
) -> None:
    """A speculative re-run whose tip turned out final (``promote``) is no longer one: waiting
    on a full cluster it stops a speculative training; promoted before its submission, too."""
    gates = fill(trainings, tmp_path, gpus=GPUS - 1)
    trainings.submit("r1-other", -1, tmp_path, tmp_path / "never")
    trainings.wait_started("r1-other")
    trainings.submit("r1-tip", -1, tmp_path)
    time.sleep(1.0)
    assert "r1-tip" not in trainings.started and not trainings.notes
    trainings.ex.promote(tmp_path / "r1-tip" / "run.log", 1)
    trainings.wait_started("r1-tip")  # while every block still holds its GPU
    trainings.submit("r1-spec", -1, tmp_path, tmp_path / "never")  # on r1-tip's GPU, once free
    trainings.wait_started("r1-spec")
    trainings.ex.promote(tmp_path / "r1-late" / "run.log", 1)
    trainings.submit("r1-late", -1, tmp_path)
    trainings.wait_started("r1-late")
    open_gates(gates)
    trainings.finish()
    outcomes = trainings.outcomes
    assert trainings.notes == [
        ("preempted", {"run": "r1-other", "waiting": "r1-tip"}),
        ("preempted", {"run": "r1-spec", "waiting": "r1-late"}),
    ]
    assert outcomes["r1-other"].crash == outcomes["r1-spec"].crash == "interrupted"
    assert outcomes["r1-tip"].value is not None and outcomes["r1-late"].value is not None


# Trainings of the last turn (e1) and validation re-runs take 2 s, the rest 0.2 s: the
# variants' speculative re-runs start on the free GPUs while the wave trains.
LAST_TURN_SLOW = """\
import os, sys
run = os.environ.get("AUTOEVOLVE_RUN_ID", "")
os.environ["DEMO_RUN_SECONDS"] = "2" if "-e1-" in run or "-validate-" in run else "0.2"
os.execv(sys.executable, [sys.executable, "train.py"])
"""


def test_a_tip_moved_in_the_last_turn_was_validated_while_the_wave_trained(
    cluster: Any, demo: Path, tmp_path: Path
) -> None:
    """Seed 14: conservative keeps nothing in its first turn and a variant in its last. That
    variant's validation re-run ran beside the wave (speculatively, same run id) and the close
    took it: one training of it, the decisions and validation rows of one local GPU."""
    (tmp_path / "slow_train.py").write_text(LAST_TURN_SLOW)
    homes = on_ray_and_local(
        cluster, demo, tmp_path, "--seed", "14", "--validate", "1", "--parallel", "2",
        strategies=("conservative",),
        train_cmd=f"{sys.executable} {tmp_path / 'slow_train.py'}",
    )  # fmt: skip
    ray_state, local = (json.loads((homes[n] / "state.json").read_text()) for n in homes)
    assert ray_state["champion_sha"] == local["champion_sha"]
    assert validate_rows(homes["ray"]) == validate_rows(homes["local"])
    evs = [json.loads(x) for x in (homes["ray"] / "events.jsonl").read_text().splitlines()]
    starts = [e["start"] for e in evs if e["kind"] == "experiment_intent"]
    tip = ray_state["rounds"][0]["tips"]["conservative"]
    assert starts[-1] == starts[0] != tip, "the tip did not move in the last turn only"
    run = "r1-validate-conservative-0"
    began = [e for e in evs if e["kind"] == "train_intent" and e["run"] == run]
    ended = [e for e in evs if e["kind"] == "train_done" and e["run"] == run]
    last_turn = max(e["seq"] for e in evs if e["kind"] == "experiment_done")
    of_tip = [e for e in began if e["commit"] == tip]
    assert len(of_tip) == 1 and of_tip[0]["seq"] < last_turn  # ran while the wave trained
    assert [e.get("crash") for e in ended if e["commit"] == tip] == [None]
    assert {e["commit"] for e in began} - {tip}, "no other variant was re-run speculatively"
    runs = homes["ray"] / "runs" / run
    assert (runs / "run.log").read_text() == (runs / "early" / tip[:7] / "run.log").read_text()
