"""The documented seed command, exactly, in a checkout laid out like karpathy/autoresearch."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
from pathlib import Path

import pytest
from evolve_rig import TRAIN, ae_dir, argv_log, git, make_agent, rig_env
from support import console_script

PYPROJECT = """\
[project]
name = "autoresearch"
version = "0.1.0"
requires-python = ">=3.10"
dependencies = []
"""


def karpathy_checkout(root: Path, uv: str) -> Path:
    """train.py, prepare.py, program.md, pyproject.toml, uv.lock and .gitignore on master."""
    repo = root / "autoresearch"
    repo.mkdir()
    (repo / "train.py").write_text(TRAIN)
    (repo / "prepare.py").write_text("print('data ready')\n")
    (repo / "program.md").write_text("# autoresearch\nYou may only edit train.py.\n")
    (repo / "pyproject.toml").write_text(PYPROJECT)
    (repo / ".gitignore").write_text(".venv/\nworktrees/\nresults/\nqueue/\nrun.log\n")
    subprocess.run([uv, "lock", "--offline", "-q"], cwd=repo, check=True)
    git(repo, "init", "-q", "-b", "master")
    git(repo, "config", "user.email", "k@example.com")
    git(repo, "config", "user.name", "karpathy")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "initial commit")
    subprocess.run([uv, "sync", "--offline", "-q"], cwd=repo, check=True)
    return repo


@pytest.mark.skipif(not os.environ.get("UV"), reason="needs uv (run the tests through uv run)")
def test_documented_seed_command_runs_a_competition(tmp_path: Path) -> None:
    uv = os.environ["UV"]
    repo = karpathy_checkout(tmp_path, uv)
    make_agent(tmp_path, "claude")
    env = {
        **os.environ,
        **rig_env(tmp_path),
        "RIG_SLEEP": "0",
        "UV_OFFLINE": "1",
        "UV_PYTHON_DOWNLOADS": "never",
    }
    env["PATH"] = f"{Path(uv).parent}{os.pathsep}{env['PATH']}"
    env.pop("CUDA_VISIBLE_DEVICES", None)
    env.pop("VIRTUAL_ENV", None)
    cmd = [
        console_script("autoevolve"),
        "--strategies",
        "conservative",
        "aggressive",
        "random",
        "--rounds",
        "3",
    ]
    proc = subprocess.run(
        cmd, cwd=repo, env=env, capture_output=True, text=True, timeout=400, check=False
    )
    assert proc.returncode in (0, 1, 2), proc.stdout[-2000:] + proc.stderr
    tag = datetime.date.today().strftime("%b").lower() + str(datetime.date.today().day)
    state = json.loads((ae_dir(repo) / "state.json").read_text())
    assert state["tag"] == tag and state["base"] == "master" and state["phase"] == "done"
    assert state["config"]["train_cmd"] == "uv run train.py"
    assert [a["gpu"] for a in state["agents"]] == ["cpu", "cpu", "cpu"]
    assert len(state["rounds"]) == 3
    assert len(argv_log(tmp_path)) >= 3 * 5 * 3 - 9  # claude was asked for every experiment
    assert git(repo, "status", "--porcelain") == ""
    assert f"autoresearch/{tag}-champion" in git(repo, "branch", "--format=%(refname:short)")
    runs = list((ae_dir(repo) / "runs").glob("*/run.log"))
    assert runs and all("val_bpb:" in r.read_text() for r in runs[:5])
