"""Run an installed console script in a tmp dir outside any git repository."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from support import console_script

HEADER = "commit\tval_bpb\tmemory_gb\tstatus\tdescription\n"
BASE = HEADER + "a1b2c3d\t0.998000\t44.0\tkeep\tbaseline\nb1b2c3d\t0.996000\t44.0\tkeep\tlr up\n"


def run_tool(
    tool: str, cwd: Path, *args: str, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run ``tool`` with ``args`` in ``cwd``; git looks no higher than ``cwd``'s parent."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "AUTOLAB_"))}
    env.update(GIT_CEILING_DIRECTORIES=str(cwd.parent), NO_COLOR="1")
    return subprocess.run(
        [console_script(tool), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def autojudge(cwd: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The installed ``autojudge`` run in ``cwd``."""
    return run_tool("autojudge", cwd, *args, timeout=timeout)


def in_process(tool: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The same as :func:`run_tool` through click's test runner: fast, for the many variants."""
    import importlib

    from click.testing import CliRunner

    cli = importlib.import_module(f"{tool}.cli").cli
    before = os.getcwd()
    os.chdir(cwd)
    try:
        env = {"GIT_CEILING_DIRECTORIES": str(cwd.parent), "NO_COLOR": "1"}
        result = CliRunner().invoke(cli, list(args), prog_name=tool, env=env)
    finally:
        os.chdir(before)
    return subprocess.CompletedProcess(
        [tool, *args], result.exit_code, result.stdout, result.stderr
    )


def autojudge_fast(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``autojudge`` in process (see :func:`in_process`)."""
    return in_process("autojudge", cwd, *args)
