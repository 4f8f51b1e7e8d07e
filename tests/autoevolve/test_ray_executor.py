"""autoevolve --executor ray on a real multi-node Ray cluster (ray.cluster_utils, fake GPUs)."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from evolve_cmd import PAIR, evolve_args, run_evolve
from evolve_rig import ae_dir
from ray_cluster import NODE, start_cluster, trainings, write_wrapper

from autoevolve.demo import write_demo_repo

ray = pytest.importorskip("ray")
pytestmark = [
    pytest.mark.ray,
    pytest.mark.slow,
    pytest.mark.xdist_group("ray"),  # one cluster: with -n, run these on one worker (loadgroup)
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]

SETUP = (
    f"{sys.executable} -c \"import os; open(os.environ['RAY_TEST_SETUP'], 'a')"
    f".write(os.environ['AUTOEVOLVE_NODE'] + chr(10))\""
)


def on_cluster(
    cluster: Any,
    tag: str,
    train_cmd: str,
    *extra: str,
    strategies: tuple[str, ...] = PAIR,
    experiments: int = 2,
    validate: int = 1,
) -> list[str]:
    """A competition of mock agents on ``cluster`` (one round, ``experiments`` each)."""
    return evolve_args(
        tag,
        "--executor",
        "ray",
        "--ray-address",
        cluster.address,
        "--validate",
        str(validate),
        *extra,
        strategies=strategies,
        experiments=experiments,
        gpus=None,
        train_cmd=train_cmd,
        quiet=True,
    )


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    root = tmp_path_factory.mktemp("ray")
    os.environ["RAY_TEST_SETUP"] = str(root / "setup.log")
    os.environ["DEMO_RUN_SECONDS"] = "0.2"
    os.environ["DEMO_NOISE_SEED"] = "7"  # the nodes' trainings inherit it from their raylet
    yield from start_cluster(root)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One demo repo copied for each competition, so that they all start from one commit."""
    repo = tmp_path_factory.mktemp("pristine") / "demo"
    write_demo_repo(repo, run_seconds=0.2)
    return repo


def log_root() -> Path:
    return Path(os.environ["RAY_TEST_LOG"]).parent


def trainings_since(t0: float) -> list[dict[str, Any]]:
    """The trainings the wrapper logged that started at `t0` or later: a slow training an
    earlier test stopped may still log its end while the next competition runs (seen in CI
    once: 9 logged against 8 trainings the controller started)."""
    return [r for r in trainings(log_root()) if r["start"] >= t0]


def events(repo: Path) -> list[dict[str, Any]]:
    path = ae_dir(repo) / "events.jsonl"
    return [json.loads(x) for x in path.read_text().splitlines()]


def pooled_rows(repo: Path) -> list[tuple[str, ...]]:
    """The pooled rows without the node columns, sorted (agents finish in any order)."""
    lines = (ae_dir(repo) / "results.all.tsv").read_text().splitlines()
    return sorted(tuple(line.split("\t")[:6]) for line in lines[1:])


@pytest.fixture(scope="module")
def finished(
    cluster: Any, pristine: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, subprocess.CompletedProcess[str], list[dict[str, Any]]]:
    """One competition of two mock agents on the 2-node x 2-GPU cluster, with a setup step."""
    repo = tmp_path_factory.mktemp("run") / "demo"
    shutil.copytree(pristine, repo)
    train, t0 = write_wrapper(log_root()), time.time()
    proc = run_evolve(repo, *on_cluster(cluster, "ray1", train, "--setup-cmd", SETUP))
    return repo, proc, trainings_since(t0)


def assert_one_training_per_gpu(runs: list[dict[str, Any]]) -> None:
    """No two of the wrapper-logged trainings overlapped on one GPU of one node."""

    def where(run: dict[str, Any]) -> tuple[str, str]:
        return run["node"], run["cuda"]

    for (node, gpu), group in itertools.groupby(sorted(runs, key=where), key=where):
        spans = sorted((r["start"], r["end"]) for r in group)
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert start >= end, f"two trainings overlapped on {node} GPU {gpu}"


def test_competition_finishes_on_the_cluster(finished: Any) -> None:
    repo, proc, runs = finished
    assert proc.returncode in (0, 1, 2), proc.stderr
    state = json.loads((ae_dir(repo) / "state.json").read_text())
    assert state["phase"] == "done" and state["config"]["executor"] == "ray"
    done = [e for e in events(repo) if e["kind"] == "train_done"]
    assert len(runs) == len(done) >= 2 + 2 * 2  # baselines, experiments (and validations)


def test_each_training_has_its_own_folder_and_one_gpu(finished: Any) -> None:
    repo, _, runs = finished
    folders = [r["cwd"] for r in runs]
    assert len(set(folders)) == len(folders)
    assert not any(f.startswith(str(repo.parent)) for f in folders)
    assert all(r["cuda"] in ("0", "1") for r in runs)
    assert_one_training_per_gpu(runs)


def test_setup_ran_once_per_node(finished: Any) -> None:
    _, _, runs = finished
    lines = Path(os.environ["RAY_TEST_SETUP"]).read_text().splitlines()
    assert sorted(lines) == sorted({r["node"] for r in runs})


def test_events_and_logs_name_the_node(finished: Any) -> None:
    repo, _, runs = finished
    evs = events(repo)
    started = [e for e in evs if e["kind"] == "train_intent"]
    assert len([e for e in evs if e["kind"] == "train_submitted"]) == len(started) == len(runs)
    assert {e["node"] for e in started} == {r["node"] for r in runs}
    assert {e["gpu_type"] for e in started} == {"H100"}  # screening on the most numerous kind
    for e in started:  # run.log was streamed back into the head's per-run folder
        log = ae_dir(repo) / "runs" / e["run"] / "run.log"
        assert "val_bpb:" in log.read_text()


def test_gpu_type_keeps_trainings_on_that_kind(cluster: Any, tmp_path: Path) -> None:
    repo = tmp_path / "demo"
    write_demo_repo(repo, run_seconds=0.2)
    args = on_cluster(
        cluster,
        "ray2",
        write_wrapper(log_root()),
        "--gpu-type",
        "H200",
        strategies=("conservative",),
        experiments=1,
        validate=0,
    )
    proc = run_evolve(repo, *args)
    assert proc.returncode in (0, 1, 2), proc.stderr
    started = [e for e in events(repo) if e["kind"] == "train_intent"]
    assert started and {e["gpu_type"] for e in started} == {"H200"}


def one_agent(cluster: Any) -> list[str]:
    """The one-agent competition ``ray3`` (its events come in one order every time)."""
    return on_cluster(cluster, "ray3", write_wrapper(log_root()), strategies=("conservative",))


@pytest.fixture(scope="module")
def single(cluster: Any, pristine: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An uninterrupted one-agent competition (its events come in one order every time)."""
    repo = tmp_path_factory.mktemp("single") / "demo"
    shutil.copytree(pristine, repo)
    proc = run_evolve(repo, *one_agent(cluster))
    assert proc.returncode in (0, 1, 2), proc.stderr
    return repo


def test_validate_on_reruns_candidates_and_champion_on_that_kind(
    cluster: Any, pristine: Path, tmp_path: Path
) -> None:
    repo = tmp_path / "demo"
    shutil.copytree(pristine, repo)
    train = write_wrapper(log_root())
    args = on_cluster(cluster, "ray4", train, "--gpu-type", "H100", "--validate-on", "H200")
    proc = run_evolve(repo, *args)
    assert proc.returncode in (0, 1, 2), proc.stderr
    started = [e for e in events(repo) if e["kind"] == "train_intent"]
    kinds = {e["run"]: e["gpu_type"] for e in started}
    validations = [r for r in kinds if "-validate-" in r]
    assert validations and any("validate-champion" in r for r in validations)
    assert {kinds[r] for r in validations} == {"H200"}
    assert {k for r, k in kinds.items() if r not in validations} == {"H100"}
    header, *rows = (ae_dir(repo) / "results.all.tsv").read_text().splitlines()
    assert header.split("\t")[-2:] == ["node", "gpu_type"]
    assert all(row.split("\t")[-1] in ("H100", "H200") for row in rows)


def killed_at(seq: int, cluster: Any, pristine: Path, tmp_path: Path) -> Path:
    """A copy of the pristine demo whose one-agent run was SIGKILLed at event ``seq``."""
    repo = tmp_path / "demo"
    shutil.copytree(pristine, repo)
    os.environ["AUTOEVOLVE_FAULT_AT"] = str(seq)
    try:
        killed = run_evolve(repo, *one_agent(cluster))
    finally:
        os.environ.pop("AUTOEVOLVE_FAULT_AT")
    assert killed.returncode == -signal.SIGKILL
    return repo


@pytest.mark.parametrize("kind", ["train_submitted", "train_intent", "train_done", "row_done"])
def test_head_killed_then_resumed_matches_an_uninterrupted_run(
    cluster: Any, single: Path, pristine: Path, tmp_path: Path, kind: str
) -> None:
    repo = killed_at(kill_point(events(single), kind), cluster, pristine, tmp_path)
    assert events(repo)[-1]["kind"] == kind
    out = run_evolve(repo, "resume", "-q")
    assert out.returncode in (0, 1, 2), out.stderr
    assert pooled_rows(repo) == pooled_rows(single)
    state, reference = (json.loads((ae_dir(r) / "state.json").read_text()) for r in (repo, single))
    assert state["champion_sha"] == reference["champion_sha"]


@pytest.mark.parametrize("kind", ["train_submitted", "train_intent"])
def test_head_killed_during_an_early_rerun_then_resumed_matches(
    cluster: Any, single: Path, pristine: Path, tmp_path: Path, kind: str
) -> None:
    """Killed as the round's first validation re-run is submitted or starts (with one agent, a
    speculative or early one: started before the close), a resumed run pools the same rows."""
    evs = events(single)
    close = next(e["seq"] for e in evs if e["kind"] == "round_decided")
    seq = next(
        e["seq"] for e in evs if e["kind"] == kind and "-validate-" in e["run"] and e["seq"] < close
    )
    repo = killed_at(seq, cluster, pristine, tmp_path)
    out = run_evolve(repo, "resume", "-q")
    assert out.returncode in (0, 1, 2), out.stderr
    assert pooled_rows(repo) == pooled_rows(single)


def wrapped_job(git: Any, tmp_path: Path, run_id: str, gpu_type: str) -> Any:
    """A training of the checkout's HEAD through the logging wrapper, on a ``gpu_type`` GPU;
    its run.log in ``tmp_path``."""
    from autoevolve.executor import TrainJob

    train = write_wrapper(log_root())
    return TrainJob(
        run_id, git.head(), git.cwd, tmp_path / "run.log", train, timeout=120, gpu_type=gpu_type
    )


def kill_point(evs: list[dict[str, Any]], kind: str) -> int:
    """The sequence number of the first ``kind`` event of an experiment's training."""
    run = next(e["run"] for e in evs if e["kind"] == "train_submitted" and "-e0-" in e["run"])
    first = next(e["seq"] for e in evs if e["kind"] == "train_submitted" and e["run"] == run)
    return int(next(e["seq"] for e in evs if e["kind"] == kind and e["seq"] >= first))


def test_a_lost_node_is_retried_once_elsewhere_then_a_node_lost_crash(
    cluster: Any, tmp_path: Path
) -> None:
    from autoevolve.executor_ray import RayExecutor
    from autoevolve.gitrepo import Git

    spares = [
        cluster.add_node(**NODE, num_gpus=1, resources={"accelerator_type:SPARE": 1})
        for _ in range(2)
    ]
    cluster.wait_for_nodes()
    repo = tmp_path / "demo"
    write_demo_repo(repo, run_seconds=0.2)
    (log_root() / "slow").write_text("2")
    notes: list[tuple[str, dict[str, Any]]] = []
    git = Git(repo)
    ray.init(address=cluster.address)
    try:
        ex = RayExecutor(git, address=cluster.address, notify=lambda k, d: notes.append((k, d)))
        ticket = ex.submit(wrapped_job(git, tmp_path, "r1-lost", "SPARE"))
        for _ in spares:
            wait_started(ex, ticket)
            victim = ticket.data["where"]["node_id"]
            cluster.remove_node(next(n for n in spares if n.node_id == victim))
            while ex.poll(ticket) is False and ticket.placement is not None:
                time.sleep(0.1)  # until the loss is seen and the training resubmitted
        outcome = ex.collect(ticket)
    finally:
        ray.shutdown()
    assert [k for k, _ in notes] == ["node_lost", "node_lost"]
    assert notes[0][1]["node"] != notes[1][1]["node"]
    pids = [int(p) for p in (log_root() / "slow.pids").read_text().split()]
    assert len(pids) == 2 and all(gone(pid) for pid in pids)  # no orphan keeps its GPU
    assert outcome.crash == "node_lost" and outcome.value is None
    assert "lost" in (tmp_path / "run.log").read_text()


def gone(pid: int, timeout: float = 10.0) -> bool:
    """True once process ``pid`` has ended (the guard ends a dead actor's training)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state == "Z":  # ended, not yet reaped by whoever adopted it
            return True
        time.sleep(0.2)
    return False


def wait_started(ex: Any, ticket: Any) -> None:
    deadline = time.monotonic() + 60
    while ticket.placement is None and time.monotonic() < deadline:
        ex.poll(ticket)
        time.sleep(0.1)
    assert ticket.placement is not None


def test_a_node_whose_setup_fails_is_taken_out(cluster: Any, tmp_path: Path) -> None:
    from autoevolve.executor_ray import RayExecutor
    from autoevolve.gitrepo import Git

    repo = tmp_path / "demo"
    write_demo_repo(repo, run_seconds=0.2)
    script = tmp_path / "setup.py"  # fails the first time it runs, on whichever node that is
    flag = tmp_path / "setup-failed-once"
    script.write_text(
        f"import os, sys\nif not os.path.exists({str(flag)!r}):\n"
        f"    open({str(flag)!r}, 'w').close()\n    sys.exit(5)\n"
    )
    setup = f"{sys.executable} {script}"
    notes: list[tuple[str, dict[str, Any]]] = []
    git = Git(repo)
    ray.init(address=cluster.address)
    try:
        ex = RayExecutor(
            git, address=cluster.address, setup_cmd=setup, notify=lambda k, d: notes.append((k, d))
        )
        outcome = ex.collect(ex.submit(wrapped_job(git, tmp_path, "r1-setup", "H100")))
    finally:
        ray.shutdown()
    assert [k for k, _ in notes] == ["node_out"]
    assert "exited 5" in notes[0][1]["reason"]
    assert outcome.crash is None and outcome.value is not None
    assert outcome.node != notes[0][1]["node"] and outcome.gpu_type == "H100"


# --parallel 3 on the cluster: random's trainings take 4 s, conservative's 0.5 s, so that the
# quick agent's turns fall inside the slow agent's trainings unless one waits for the other.
UNEVEN = """\
import os, sys
slow = "-random-" in os.environ.get("AUTOEVOLVE_RUN_ID", "")
os.environ["DEMO_RUN_SECONDS"] = "4" if slow else "0.5"
os.execv(sys.executable, [sys.executable, {wrap!r}])
"""


@pytest.fixture(scope="module")
def waves(
    cluster: Any, pristine: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, subprocess.CompletedProcess[str], list[dict[str, Any]]]:
    """Two mock agents, 2 turns of 3 variants each, on the cluster's 4 H100 GPUs."""
    repo = tmp_path_factory.mktemp("waves") / "demo"
    shutil.copytree(pristine, repo)
    write_wrapper(log_root())
    uneven = repo.parent / "uneven_train.py"
    uneven.write_text(UNEVEN.format(wrap=str(log_root() / "wrap_train.py")))
    train, t0 = f"{sys.executable} {uneven}", time.time()
    proc = run_evolve(repo, *on_cluster(cluster, "ray5", train, "--parallel", "3", validate=0))
    return repo, proc, trainings_since(t0)


def wave_runs(runs: list[dict[str, Any]], agent: str) -> dict[str, list[dict[str, Any]]]:
    """An agent's wave trainings by turn (``r1-<agent>-e<i>``), as the wrapper logged them."""
    out: dict[str, list[dict[str, Any]]] = {}
    for r in runs:
        if r["run"].startswith(f"r1-{agent}-e"):
            out.setdefault(r["run"].rsplit("-v", 1)[0], []).append(r)
    return out


def test_parallel_waves_train_at_once_on_distinct_gpus(waves: Any) -> None:
    _, proc, runs = waves
    assert proc.returncode in (0, 1, 2), proc.stderr
    slow = wave_runs(runs, "random")
    assert len(slow) == 2 and all(len(v) == 3 for v in slow.values()), slow
    for variants in slow.values():  # all three ran at once, each on its own GPU
        assert max(r["start"] for r in variants) < min(r["end"] for r in variants), variants
        assert len({(r["node"], r["cuda"]) for r in variants}) == 3
    assert len({r["node"] for r in runs}) >= 2  # the waves spread over the nodes
    assert_one_training_per_gpu(runs)


def test_parallel_waves_record_every_variant_once(waves: Any) -> None:
    repo, _, runs = waves
    header, *lines = (ae_dir(repo) / "results.all.tsv").read_text().splitlines()
    cols = header.split("\t")
    rows = [dict(zip(cols, line.split("\t"), strict=True)) for line in lines]
    for agent in ("conservative", "random"):
        own = [
            r
            for r in rows
            if r["agent"] == agent and not r["description"].startswith(("baseline", "validate"))
        ]
        assert len(own) == 6 and len({r["commit"] for r in own}) == 6, own
        assert len(wave_runs(runs, agent)) == 2
    done = [e["run"] for e in events(repo) if e["kind"] == "train_done"]
    assert len(done) == len(set(done)) == len(runs)  # no training run twice or lost


def test_parallel_waves_agent_sees_all_k_verdicts_and_never_waits(waves: Any) -> None:
    repo, _, _ = waves
    evs = events(repo)
    turns = [e for e in evs if e["kind"] == "experiment_intent" and e["round"] == 1]
    for agent in ("conservative", "random"):
        second = next(e for e in turns if e["agent"] == agent and e["index"] == 1)
        rows = [
            e
            for e in evs
            if e["kind"] == "row_done"
            and e["agent"] == agent
            and second["seq"] > e["seq"] > turns[0]["seq"]
        ]
        assert len(rows) == 3  # the whole first wave was judged before the next turn
        prompt = (ae_dir(repo) / "rounds" / "r001" / f"{agent}.prompt.md").read_text()
        assert all(r["commit"] in prompt for r in rows)  # and the agent was shown all three
    started = {e["run"]: e["t"] for e in evs if e["kind"] == "train_intent"}
    ended = {e["run"]: e["t"] for e in evs if e["kind"] == "train_done"}
    quick = next(e["t"] for e in turns if e["agent"] == "conservative" and e["index"] == 1)
    slow = [r for r in started if r.startswith("r1-random-e0-")]
    assert any(started[r] < quick < ended[r] for r in slow)  # its turn came mid-wave of random
