"""autoevolve's command line: refusals, locks, agent templates, exit codes."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from evolve_cmd import evolve_args, run_evolve
from evolve_rig import ae_dir, argv_log, git, make_agent, make_repo, rig_env
from support import console_script

from autoevolve.agents import CLAUDE_TOOLS
from autoevolve.cli import spread_multi
from autoevolve.procs import run_group
from autoevolve.training import run_training


def test_strategies_take_several_values() -> None:
    args = ["--strategies", "a", "b", "c", "--rounds", "3", "status"]
    assert spread_multi(args, {"status"}) == [
        "--strategies",
        "a",
        "--strategies",
        "b",
        "--strategies",
        "c",
        "--rounds",
        "3",
        "status",
    ]


@pytest.mark.parametrize("cli_name", ["claude", "codex"])
def test_builtin_agent_templates_exact_argv(tmp_path: Path, cli_name: str) -> None:
    repo = make_repo(tmp_path)
    make_agent(tmp_path, cli_name)
    proc = run_evolve(repo, *evolve_args("a1", agent=cli_name), env=rig_env(tmp_path))
    assert proc.returncode in (0, 1, 2), proc.stderr
    calls = argv_log(tmp_path)
    assert len(calls) == 4  # 2 agents x 2 experiments
    for call in calls:
        argv = call["argv"]
        assert isinstance(argv, list)
        if cli_name == "claude":
            assert argv[0] == "-p" and argv[2:] == [
                "--permission-mode",
                "acceptEdits",
                "--allowedTools",
                CLAUDE_TOOLS,
            ]
            prompt = argv[1]
        else:
            wt = Path(str(call["cwd"]))
            common = repo / ".git"
            assert argv[:5] == ["exec", "--sandbox", "workspace-write", "--cd", str(wt)]
            shared = (common / d for d in ("objects", "refs", "logs"))
            dirs = [common / "worktrees" / wt.name, *shared]
            assert argv[5:13] == [x for d in dirs for x in ("--add-dir", str(d))]
            assert len(argv) == 14 and "autoevolve" not in " ".join(argv[:13])
            prompt = argv[13]
        assert "exactly ONE experimental change to `train.py`" in prompt
        assert "## Your strategy" in prompt and "Only edit train.py." in prompt
    experiments = [
        line
        for line in (ae_dir(repo) / "results.all.tsv").read_text().splitlines()
        if "\tbaseline (" not in line
    ][1:]
    tried = {e.split("\t")[0] for e in experiments if not e.split("\t")[4].startswith("validate")}
    assert len(tried) == 4  # retests re-use their commit


def test_refuses_a_dirty_checkout(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    (repo / "train.py").write_text("X = 2\n")
    proc = run_evolve(repo, *evolve_args("d1"), env=rig_env(tmp_path))
    assert proc.returncode == 3
    assert "uncommitted changes (train.py)" in proc.stderr
    assert not (repo / "worktrees").exists()


def test_second_controller_fails_fast(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    lock = repo / ".git" / "autoevolve" / "lock"
    lock.parent.mkdir()
    with open(lock, "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        held.write("4242\n")
        held.flush()
        start = time.monotonic()
        proc = run_evolve(repo, *evolve_args("l1"), env=rig_env(tmp_path))
    assert proc.returncode == 3 and time.monotonic() - start < 10
    assert "another autoevolve controller (pid 4242)" in proc.stderr


def test_refuses_existing_branches_and_bad_names(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    git(repo, "branch", "autoresearch/b1-random")
    proc = run_evolve(repo, *evolve_args("b1"), env=rig_env(tmp_path))
    assert proc.returncode == 3 and "autoresearch/b1-random already exists" in proc.stderr
    for bad in (
        ["--tag", "../x"],
        ["--tag", "-x"],
        ["--gpus", "a,b"],
        ["--strategies", "nonsense"],
        ["--agent", "my-agent --no-placeholder"],
    ):
        proc = run_evolve(repo, *evolve_args("b2"), *bad, env=rig_env(tmp_path))
        assert proc.returncode == 4, (bad, proc.stderr)
        assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_outside_a_repository(tmp_path: Path) -> None:
    proc = run_evolve(tmp_path, *evolve_args("o1"))
    assert proc.returncode == 3 and "not inside a git checkout" in proc.stderr
    assert run_evolve(tmp_path, "status").returncode == 3


def test_agent_that_never_commits_means_no_improvement(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    proc = run_evolve(repo, *evolve_args("n1", agent="true {prompt_file}"), env=rig_env(tmp_path))
    assert proc.returncode == 1, proc.stderr
    assert "made no commit" in proc.stdout
    assert git(repo, "rev-parse", "autoresearch/n1-champion") == git(repo, "rev-parse", "master")


def test_uncommitted_edits_are_committed_and_crashes_reset(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    code = "s=open('train.py').read();open('train.py','w').write(s.replace('X = 1.0','X = 99.0'))"
    agent = f'{sys.executable} -c "{code}" {{prompt_file}}'
    proc = run_evolve(repo, *evolve_args("u1", agent=agent), env=rig_env(tmp_path))
    assert proc.returncode == 1, proc.stderr
    rows = (repo / "worktrees" / "u1-random" / "results.tsv").read_text().splitlines()
    crashes = [r for r in rows if "\tcrash\t" in r]
    assert crashes and all(r.split("\t")[1] == "0.000000" for r in crashes)
    assert "autoevolve: uncommitted edit by random" in crashes[0]
    wt = repo / "worktrees" / "u1-random"
    assert git(wt, "rev-parse", "HEAD") == git(repo, "rev-parse", "master")
    assert git(wt, "status", "--porcelain", "--untracked-files=no") == ""
    sha = crashes[0].split("\t")[0]
    refs = git(repo, "for-each-ref", "--format=%(refname)", "refs/autoevolve/u1/exp/")
    assert sum(ref.rsplit("/", 1)[1].startswith(sha) for ref in refs.split()) == 1
    export = run_evolve(repo, "export")
    assert export.returncode == 0, export.stderr
    exported = [r.split("\t") for r in export.stdout.splitlines()[1:] if "\tcrash\t" in r]
    assert exported and all(r[1:3] == ["0.000000", "0.0"] for r in exported)
    (tmp_path / "export.tsv").write_text(export.stdout)  # the export reads back without warnings
    back = run_evolve(repo, "--results", str(tmp_path / "export.tsv"), "--format", "json")
    assert back.returncode == 0 and '"warnings": []' in back.stdout.replace("\n", ""), back.stdout


@pytest.mark.parametrize("agent", ["claude", "codex", "no-such-agent-xyz {prompt_file}"])
def test_a_missing_agent_program_is_a_usage_error_before_any_setup(
    tmp_path: Path, agent: str
) -> None:
    repo = make_repo(tmp_path)
    env = {"PATH": str(Path(sys.executable).parent) + os.pathsep + "/usr/bin:/bin"}
    proc = run_evolve(repo, *evolve_args("x1", agent=agent), env=env)
    assert proc.returncode == 4, proc.stderr
    assert "not found on PATH" in proc.stderr and "Traceback" not in proc.stderr
    if agent in ("claude", "codex"):
        assert "npm install -g" in proc.stderr
    assert not (repo / "worktrees").exists()
    assert git(repo, "branch", "--list", "autoresearch/*") == ""


def test_training_timeout_kills_the_whole_group(tmp_path: Path) -> None:
    marker = tmp_path / "grandchild.pid"
    script = (
        f"import subprocess,sys,time;p=subprocess.Popen([sys.executable,'-c',"
        f"'import time; time.sleep(60)']);open({str(marker)!r},'w').write(str(p.pid));"
        "time.sleep(60)"
    )
    (tmp_path / "train.py").write_text(script)
    start = time.monotonic()
    out = run_training(
        tmp_path,
        f"{sys.executable} train.py",
        gpu="3",
        timeout=1.0,
        log=tmp_path / "run.log",
        run_id="x",
    )
    assert out.crash == "timeout" and out.value is None and time.monotonic() - start < 15
    pid = int(marker.read_text())
    time.sleep(0.2)
    assert not alive(pid), "the training's child survived the timeout"


def alive(pid: int) -> bool:
    """True for a running process (a zombie waiting for init to reap it is dead)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def test_run_group_reports_a_missing_program(tmp_path: Path) -> None:
    done = run_group(
        ["/nonexistent/agent"], cwd=tmp_path, env={}, timeout=5, log=tmp_path / "a.log"
    )
    assert done.returncode == 127
    assert "cannot start" in (tmp_path / "a.log").read_text()


def test_help_lists_options_and_exit_codes() -> None:
    proc = subprocess.run(
        [console_script("autoevolve"), "--help"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0
    for needle in (
        "--strategies",
        "--agent",
        "--gpus",
        "--experiments-per-round",
        "--round-minutes",
        "--train-cmd",
        "--timeout",
        "--tag",
        "--base",
        "--propagate",
        "status",
        "leaderboard",
        "export",
        "cleanup",
        "demo",
        "Exit codes",
    ):
        assert needle in proc.stdout


def test_claude_in_free_mode_may_run_its_own_loop() -> None:
    from autoevolve.agents import agent_command

    claude = agent_command("claude")
    harness = claude.argv({"prompt": "p"})
    free = claude.for_free_mode().argv({"prompt": "p"})
    assert harness[:2] == free[:2] == ["claude", "-p"]
    assert "Bash(uv run:*)" in free[-1] and "Bash(uv run:*)" not in harness[-1]
    assert agent_command("codex").for_free_mode() == agent_command("codex")


def test_rounds_close_by_time_when_minutes_come_first(tmp_path: Path) -> None:
    import json

    repo = make_repo(tmp_path)
    make_agent(tmp_path, "rig-agent")
    agent = "rig-agent {prompt_file}"
    args = evolve_args("m1", "--round-minutes", "0.02", rounds=2, experiments=500, agent=agent)
    start = time.monotonic()
    proc = run_evolve(repo, *args, env=rig_env(tmp_path))
    assert proc.returncode in (0, 1, 2), proc.stderr
    assert time.monotonic() - start < 60
    state = json.loads((ae_dir(repo) / "state.json").read_text())
    assert [r["round"] for r in state["rounds"]] == [1, 2]
    assert all(0 < a["total"] < 2 * 500 for a in state["agents"])


def test_an_agent_killed_mid_commit_does_not_wedge_the_worktree(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    code = (
        "import subprocess,time;"
        "s=open('train.py').read();open('train.py','w').write(s.replace('X = 1.0','X = 1.5'));"
        "d=subprocess.run(['git','rev-parse','--git-dir'],capture_output=True,text=True)"
        ".stdout.strip();open(d+'/index.lock','w').close();time.sleep(30)"
    )
    agent = f'{sys.executable} -c "{code}" {{prompt_file}}'
    proc = run_evolve(
        repo, *evolve_args("w1", "--agent-timeout", "1", agent=agent), env=rig_env(tmp_path)
    )
    assert proc.returncode in (0, 1, 2), proc.stderr
    assert "(timeout)" in proc.stdout
    assert "autoevolve: uncommitted edit by random" in proc.stdout  # committed after the kill
    assert not list((repo / ".git" / "worktrees").glob("*/index.lock"))
    wt = repo / "worktrees" / "w1-random"
    assert git(wt, "status", "--porcelain", "--untracked-files=no") == ""
