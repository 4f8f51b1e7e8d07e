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
        [console_script(tool), *args], cwd=cwd, env=env, capture_output=True,
        text=True, timeout=timeout, check=False,
    )  # fmt: skip


def autojudge(cwd: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The installed ``autojudge`` run in ``cwd``."""
    return run_tool("autojudge", cwd, *args, timeout=timeout)
