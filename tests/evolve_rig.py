"""A tiny autoresearch-like repo for autoevolve tests: train.py, stand-in agents, a bare prompt."""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

TRAIN = """\
import math, os, random, sys, time
X = 1.0
Y = 3.0
start = time.time()
time.sleep(float(os.environ.get("RIG_SLEEP", "0.15")))
if X <= 0 or X > 50:
    raise SystemExit("Traceback (most recent call last):\\nValueError: bad X")
rng = random.Random(os.environ.get("AUTOEVOLVE_RUN_ID", ""))
v = 1.0 + 0.05 * math.log(X / 2.0) ** 2 + 0.02 * math.log(Y / 3.0) ** 2 + rng.gauss(0, 0.0005)
with open(os.environ["RIG_LOG"], "a") as log:
    log.write(f"[{os.environ.get('CUDA_VISIBLE_DEVICES')}] {start} {time.time()}\\n")
print("step 100 | loss 3.2")
print("---")
print(f"val_bpb:          {v:.6f}")
print("peak_vram_mb:     1024.0")
"""

AGENT = """\
import json, os, random, re, subprocess, sys
argv = sys.argv[1:]
with open(os.environ["RIG_ARGV"], "a") as log:
    log.write(json.dumps({"argv": argv, "cwd": os.getcwd(),
                          "cuda": os.environ.get("CUDA_VISIBLE_DEVICES")}) + "\\n")
prompt = argv[argv.index("-p") + 1] if "-p" in argv else argv[-1]
if os.path.isfile(prompt):
    prompt = open(prompt).read()
assert "train.py" in prompt, "the prompt must talk about train.py"
src = open("train.py").read()
seed = os.environ.get("AUTOEVOLVE_AGENT", "") + str(len(open("results.tsv").read()))
rng = random.Random(seed)
name = rng.choice(["X", "Y"])
old = float(re.search(rf"^{name} = ([0-9.]+)", src, re.M).group(1))
new = round(old * rng.choice([0.8, 1.25, 1.5]), 4)
open("train.py", "w").write(src.replace(f"{name} = {old}", f"{name} = {new}"))
subprocess.run(["git", "commit", "-qam", f"{name} {old} -> {new}"], check=True)
"""


def make_repo(root: Path) -> Path:
    """A git repo with train.py and program.md on branch master."""
    repo = root / "repo"
    repo.mkdir()
    (repo / "train.py").write_text(TRAIN)
    (repo / "program.md").write_text("# program\nOnly edit train.py.\n")
    (repo / ".gitignore").write_text("results.tsv\nrun.log\n")
    git(repo, "init", "-q", "-b", "master")
    git(repo, "config", "user.email", "t@example.com")
    git(repo, "config", "user.name", "tester")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "baseline")
    return repo


def demo_repo(root: Path) -> Path:
    """autoevolve's demo repository (a karpathy-like train.py that trains at once) as
    ``root/demo``."""
    from autoevolve.demo import write_demo_repo

    repo = root / "demo"
    write_demo_repo(repo, run_seconds=0)
    return repo


def make_agent(root: Path, name: str = "agent") -> Path:
    """The rig's stand-in agent (one random knob change a turn) as ``root/bin/name``."""
    return write_agent(root, name, AGENT)


def write_agent(root: Path, name: str, source: str) -> Path:
    """An executable ``root/bin/name`` that runs the Python ``source`` (``rig_env`` puts
    ``root/bin`` on PATH)."""
    bindir = root / "bin"
    bindir.mkdir(exist_ok=True)
    exe = bindir / name
    exe.write_text(f"#!{sys.executable}\n{source}")
    exe.chmod(0o755)
    return exe


def rig_env(root: Path) -> dict[str, str]:
    """Environment variables the rig's train.py and agents write to."""
    path = f"{root / 'bin'}{os.pathsep}{os.environ['PATH']}"
    return {
        "RIG_LOG": str(root / "gpu.log"),
        "RIG_ARGV": str(root / "argv.jsonl"),
        "RIG_SLEEP": "0.15",
        "PATH": path,
    }


def git(repo: Path, *args: str) -> str:
    """stdout of a git command in ``repo``."""
    out = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def gpu_intervals(root: Path) -> list[tuple[str, float, float]]:
    """(CUDA_VISIBLE_DEVICES, start, end) of every training run."""
    lines = (root / "gpu.log").read_text().split("\n")
    return [
        (p[0].strip("[]"), float(p[1]), float(p[2])) for p in (line.split() for line in lines) if p
    ]


def argv_log(root: Path) -> list[dict[str, object]]:
    """Every agent invocation the stand-ins recorded."""
    path = root / "argv.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def validate_rows(home: Path) -> list[tuple[str, str, str]]:
    """The validation re-runs pooled in ``home``: (agent, description, value), sorted."""
    with open(home / "results.all.tsv", encoding="utf-8", newline="") as handle:
        pooled = list(csv.DictReader(handle, delimiter="\t"))
    return sorted(
        (r["agent"], r["description"], r["val_bpb"])
        for r in pooled
        if r["description"].startswith("validate")
    )


def ae_dir(repo: Path, tag: str | None = None) -> Path:
    """The controller's folder of competition ``tag`` (default: the last started) in ``repo``."""
    home = repo / ".git" / "autoevolve"
    return home / (tag or (home / "current").read_text().strip())


def rig_prompt(**changes: Any) -> str:
    """autoevolve's prompt for agent ``a``, round 1, the random strategy and nothing else to
    say (no rows, hints or steering), with ``changes`` to those parts."""
    from autoevolve.prompt import PromptParts, build_prompt
    from autoevolve.strategies import load_strategy

    parts = PromptParts(
        agent="a",
        round=1,
        strategy=load_strategy("random"),
        program_md="",
        recent_rows=[],
        hints="",
        steering="",
    )
    return build_prompt(dataclasses.replace(parts, **changes))
