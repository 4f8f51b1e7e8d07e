"""A real git repository in a tmp dir, and shell scripts run in it with the venv's tools on PATH."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from support import console_script

HEADER = "commit\tval_bpb\tmemory_gb\tstatus\tdescription\n"
SUMMARY = (
    "step 1\n---\nval_bpb:          {value}\ntraining_seconds: 300.1\npeak_vram_mb:     45000.0\n"
)
OOM_LOG = 'Traceback (most recent call last):\n  File "train.py"\ntorch.OutOfMemoryError: CUDA\n'


def tool_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a script run: the venv's console scripts first on PATH, fixed git user."""
    bindir = str(Path(console_script("autojudge")).parent)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "AUTOLAB_"))}
    env.update(
        PATH=bindir + os.pathsep + os.environ.get("PATH", ""),
        HOME=str(home),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@x",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@x",
        NO_COLOR="1",
    )
    env.update(extra)
    return env


class Repo:
    """A git repository with a train.py, a results.tsv and a run.log."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir()
        self.env = tool_env(path.parent)
        self.git("init", "-q", "-b", "master")
        self.commit("LR = 0.04\n", "baseline")

    def git(self, *args: str) -> str:
        """Run git here and return its stdout."""
        proc = subprocess.run(
            ["git", *args], cwd=self.path, env=self.env, check=True, capture_output=True, text=True
        )
        return proc.stdout.strip()

    def commit(self, train_py: str, message: str) -> str:
        """Write train.py, commit it, and return the short hash."""
        (self.path / "train.py").write_text(train_py, encoding="utf-8")
        self.git("add", "train.py")
        self.git("commit", "-q", "-m", message)
        return self.head()

    def head(self) -> str:
        """Short hash of HEAD (as autojudge writes it)."""
        return self.git("rev-parse", "--short", "HEAD")

    def results(self, rows: list[tuple[str, str]], statuses: dict[str, str] | None = None) -> None:
        """results.tsv, one row per (commit, value), keeps unless statuses says otherwise.

        Rows of one commit share a description: they are replicates of one change.
        """
        status = statuses or {}
        first = {c: i for i, (c, _) in reversed(list(enumerate(rows)))}  # a commit, one change
        lines = [
            f"{c}\t{v}\t44.0\t{status.get(c, 'keep')}\texperiment {first[c]}\n" for c, v in rows
        ]
        (self.path / "results.tsv").write_text(HEADER + "".join(lines), encoding="utf-8")

    def run_log(self, value: str | None) -> None:
        """run.log with a summary block, or an OOM traceback when value is None."""
        text = OOM_LOG if value is None else SUMMARY.format(value=value)
        (self.path / "run.log").write_text(text, encoding="utf-8")

    def rows(self) -> list[list[str]]:
        """results.tsv's rows after the header, split on tabs."""
        text = (self.path / "results.tsv").read_text(encoding="utf-8")
        return [line.split("\t") for line in text.splitlines()[1:]]

    def sh(self, script: Path, *args: str, shell: str = "sh", **env: str) -> tuple[int, str]:
        """Run a shell script here; return its exit code and stdout plus stderr."""
        proc = subprocess.run(
            [shell, str(script), *args],
            cwd=self.path,
            capture_output=True,
            text=True,
            env={**self.env, **env},
            timeout=120,
            check=False,
        )
        return proc.returncode, proc.stdout + proc.stderr
