"""Ask git for the current commit; only fixed arguments are ever passed to git."""

from __future__ import annotations

import subprocess
from pathlib import Path


def _git(args: list[str], cwd: Path) -> str | None:
    try:
        proc = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def head_commit(cwd: str | Path = ".") -> tuple[str, str] | None:
    """(short hash, subject) of HEAD, or None outside a git repository."""
    where = Path(cwd)
    short = _git(["rev-parse", "--short", "HEAD"], where)
    if not short:
        return None
    return short, _git(["log", "-1", "--format=%s"], where) or ""
