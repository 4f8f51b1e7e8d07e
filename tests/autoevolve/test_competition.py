"""End-to-end competitions on real git repos with real subprocess agents and fake GPUs."""

from __future__ import annotations

import itertools
import json
import subprocess
from pathlib import Path

import pytest
from evolve_cmd import evolve_args, run_evolve
from evolve_rig import ae_dir, argv_log, git, gpu_intervals, make_agent, make_repo, rig_env

Done = tuple[Path, Path, subprocess.CompletedProcess[str]]
AGENT = "rig-agent {prompt_file}"


@pytest.fixture(scope="module")
def finished(
    tmp_path_factory: pytest.TempPathFactory,
) -> Done:
    """One 2-round competition of three agents on two fake GPUs (shared by the tests below)."""
    root = tmp_path_factory.mktemp("evolve")
    repo = make_repo(root)
    make_agent(root, "rig-agent")
    three = ("conservative", "aggressive", "random")
    args = evolve_args("t1", strategies=three, rounds=2, experiments=3, gpus="0,1", agent=AGENT)
    proc = run_evolve(repo, *args, env=rig_env(root))
    return root, repo, proc


def test_runs_and_exits_with_a_verdict(
    finished: Done,
) -> None:
    _, repo, proc = finished
    assert proc.returncode in (0, 1, 2), proc.stderr
    state = json.loads((ae_dir(repo) / "state.json").read_text())
    assert state["phase"] == "done"
    assert state["exit_code"] == proc.returncode
    assert [r["round"] for r in state["rounds"]] == [1, 2]
    assert "Leaderboard t1" in proc.stdout


def test_no_two_trainings_share_a_gpu(
    finished: Done,
) -> None:
    root, _, _ = finished
    runs = gpu_intervals(root)
    assert {gpu for gpu, _, _ in runs} == {"0", "1"}
    for gpu in ("0", "1"):
        spans = sorted((s, e) for g, s, e in runs if g == gpu)
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert start >= end, f"two runs overlapped on GPU {gpu}"


def test_agents_are_pinned_and_never_see_a_gpu(
    finished: Done,
) -> None:
    root, repo, _ = finished
    calls = argv_log(root)
    assert calls, "the stand-in agent was never called"
    assert all(c["cuda"] == "" for c in calls)
    assert {Path(str(c["cwd"])).name for c in calls} == {
        "t1-conservative",
        "t1-aggressive",
        "t1-random",
    }
    state = json.loads((ae_dir(repo) / "state.json").read_text())
    assert [a["gpu"] for a in state["agents"]] == ["0", "1", "0"]


def test_branches_worktrees_and_excludes(
    finished: Done,
) -> None:
    _, repo, _ = finished
    branches = git(repo, "branch", "--format=%(refname:short)").split()
    for name in ("champion", "conservative", "aggressive", "random"):
        assert f"autoresearch/t1-{name}" in branches
    assert (repo / "worktrees" / "t1-random" / "train.py").exists()
    exclude = (repo / ".git" / "info" / "exclude").read_text()
    assert "results.tsv.lock" in exclude.split() and "/worktrees/" in exclude.split()
    assert git(repo, "status", "--porcelain") == ""  # nothing of ours shows as untracked
    for name in ("conservative", "random"):  # nor in a worktree (an agent's `git add -A`)
        assert git(repo / "worktrees" / f"t1-{name}", "status", "--porcelain") == ""
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD") == "master"


def test_every_experiment_commit_stays_reachable(
    finished: Done,
) -> None:
    _, repo, _ = finished
    pooled = (ae_dir(repo) / "results.all.tsv").read_text().splitlines()
    header = pooled[0].split("\t")
    assert header == [
        "commit",
        "val_bpb",
        "memory_gb",
        "status",
        "description",
        "agent",
        "strategy",
        "round",
    ]
    refs = git(repo, "for-each-ref", "--format=%(objectname)", "refs/autoevolve/t1/exp/").split()
    for line in pooled[1:]:
        commit = line.split("\t")[0]
        assert any(r.startswith(commit) for r in refs) or line.split("\t")[4].startswith("baseline")
    discarded = [line.split("\t")[0] for line in pooled[1:] if "\tdiscard\t" in line]
    for commit in discarded:
        assert git(repo, "cat-file", "-t", commit) == "commit"
    tags = git(repo, "tag", "--list", "autoevolve/t1/*").split()
    assert len(tags) == 6  # 3 agents x 2 rounds


def test_results_files_per_agent_and_pooled(
    finished: Done,
) -> None:
    _, repo, _ = finished
    pooled = (ae_dir(repo) / "results.all.tsv").read_text().splitlines()[1:]
    agents = {line.split("\t")[5] for line in pooled}
    assert agents == {"conservative", "aggressive", "random"}
    assert sum("\tbaseline (" in line for line in pooled) == 3
    for name in agents:
        own = (repo / "worktrees" / f"t1-{name}" / "results.tsv").read_text().splitlines()
        assert own[0] == "commit\tval_bpb\tmemory_gb\tstatus\tdescription"
        assert sum("\tbaseline" in line for line in own) == 3  # every baseline replicate
        mine = [line for line in pooled if line.split("\t")[5] == name]
        assert len(own) - 1 >= len(mine)


def test_champion_was_validated_and_propagated(
    finished: Done,
) -> None:
    _, repo, _ = finished
    state = json.loads((ae_dir(repo) / "state.json").read_text())
    champion = git(repo, "rev-parse", "autoresearch/t1-champion")
    assert champion == state["champion_sha"]
    pooled = (ae_dir(repo) / "results.all.tsv").read_text()
    winners = [r for r in state["rounds"] if r["winner"]]
    for won in winners:
        assert f"{won['champion'][:7]}\t" in pooled
        assert "validate r" in pooled  # the crowned commit was re-run first
    if winners and state["rounds"][-1]["winner"]:
        last = state["rounds"][-1]
        for agent in state["agents"]:
            assert (
                git(repo / "worktrees" / f"t1-{agent['name']}", "rev-parse", "HEAD")
                == last["champion"]
            )
            own = (repo / "worktrees" / f"t1-{agent['name']}" / "results.tsv").read_text()
            assert agent["name"] == last["winner"] or "adopt: champion r2" in own


def test_status_leaderboard_and_export(
    finished: Done,
) -> None:
    root, repo, _ = finished
    status = run_evolve(repo, "status", "--format", "json", env=rig_env(root))
    doc = json.loads(status.stdout)
    assert status.returncode == 0 and doc["data"]["phase"] == "done"
    assert {a["name"] for a in doc["data"]["agents"]} == {"conservative", "aggressive", "random"}
    board = json.loads(
        run_evolve(repo, "leaderboard", "--format", "json", env=rig_env(root)).stdout
    )
    ranks = board["data"]["standings"]
    assert [s["rank"] for s in ranks] == [1, 2, 3]
    bests = [s["best"] for s in ranks if s["best"] is not None]
    assert bests == sorted(bests)
    tsv = run_evolve(repo, "export", "--format", "tsv", env=rig_env(root)).stdout.splitlines()
    assert tsv[0].endswith("agent\tstrategy\tround")
    rows = json.loads(run_evolve(repo, "export", "--format", "json", env=rig_env(root)).stdout)
    assert len(rows["data"]["rows"]) == len(tsv) - 1
    from_sub = run_evolve(repo / "worktrees" / "t1-random", "status", env=rig_env(root))
    assert from_sub.returncode == 0 and "champion" in from_sub.stdout


def test_cleanup_keeps_the_champion_and_every_tip(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    make_agent(tmp_path, "rig-agent")
    env = rig_env(tmp_path)
    proc = run_evolve(repo, *evolve_args("c1", agent=AGENT), env=env)
    assert proc.returncode in (0, 1, 2), proc.stderr
    tips = {n: git(repo, "rev-parse", f"autoresearch/c1-{n}") for n in ("conservative", "random")}
    champion = git(repo, "rev-parse", "autoresearch/c1-champion")
    out = run_evolve(repo, "cleanup", env=env)
    assert out.returncode == 0, out.stderr
    assert not (repo / "worktrees").exists()
    branches = git(repo, "branch", "--format=%(refname:short)").split()
    assert "autoresearch/c1-champion" in branches and "autoresearch/c1-random" not in branches
    assert git(repo, "rev-parse", "autoresearch/c1-champion") == champion
    for name, tip in tips.items():
        assert git(repo, "rev-parse", f"refs/autoevolve/c1/archive/{name}/final") == tip


def test_json_outputs_match_the_schemas(finished: Done) -> None:
    import jsonschema

    root, repo, _ = finished
    schemas = Path(__file__).resolve().parents[2] / "docs" / "schema"
    for args, schema in (
        (["status"], "evolve-status"),
        (["leaderboard"], "evolve-leaderboard"),
        (["export"], "evolve-export"),
    ):
        out = run_evolve(repo, *args, "--format", "json", env=rig_env(root))
        doc = json.loads(out.stdout)
        jsonschema.validate(doc, json.loads((schemas / "envelope.v1.json").read_text()))
        jsonschema.validate(doc["data"], json.loads((schemas / f"{schema}.v1.json").read_text()))
        assert doc["command"] == args[0]


def test_agent_logs_keep_every_call_of_a_round(finished: Done) -> None:
    _, repo, _ = finished
    logs = sorted(ae_dir(repo).rglob("*.agent.log"))
    assert logs
    for log in logs:
        text = log.read_text()
        calls = [line for line in text.splitlines() if line.startswith("===== autoevolve: ")]
        assert len(calls) >= 3, (log, text[:300])  # three experiments per round, one file
        numbers = [int(c.split(" experiment ")[1].split()[0]) for c in calls]
        assert numbers == sorted(set(numbers)), calls  # one block per call, in order


def test_free_mode_lets_claude_bash_run_a_whole_training() -> None:
    from autoevolve.freemode import claude_bash_timeouts

    env = claude_bash_timeouts(600.0)
    assert env == {"BASH_DEFAULT_TIMEOUT_MS": "660000", "BASH_MAX_TIMEOUT_MS": "660000"}
