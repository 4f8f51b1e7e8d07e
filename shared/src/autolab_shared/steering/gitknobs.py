"""Knob changes read from git: the ``NAME = value`` lines a kept commit changed in train.py.

Descriptions can be vague ("tune the schedule"); the diff is not. Only upper-case module-level
assignments (``MATRIX_LR = 0.04``, Karpathy's hyperparameter block) are read, one
``git show`` per distinct commit cell that is a hash (`commits.is_commit_hash`), kept or not.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path

from autolab_shared.parsing.commits import is_commit_hash
from autolab_shared.steering.knobs import KnobChange, normalise_knob

MAX_COMMITS = 500
_ASSIGN = re.compile(r"([-+])([A-Z][A-Z0-9_]{0,60}) {0,8}= {0,8}([^#\n]{1,80}?) {0,8}(?:#.*)?")


def git_knob_changes(
    repo: str | Path, commits: Iterable[str], path: str = "train.py"
) -> Mapping[str, tuple[KnobChange, ...]]:
    """commit -> the knob changes its diff of `path` made (commits git does not know, or
    that changed no assignment, are left out); at most MAX_COMMITS are read."""
    out: dict[str, tuple[KnobChange, ...]] = {}
    wanted = [c.removesuffix("-dirty") for c in dict.fromkeys(commits) if is_commit_hash(c)]
    for commit in wanted[-MAX_COMMITS:]:
        diff = _show(Path(repo), commit, path)
        changes = diff_knob_changes(diff) if diff else ()
        if changes:
            out[commit] = changes
    return out


def diff_knob_changes(diff: str) -> tuple[KnobChange, ...]:
    """The assignments a unified diff changed, as knob changes (old None for a new name)."""
    old: dict[str, str] = {}
    new: dict[str, str] = {}
    for line in diff.splitlines():
        if line.startswith(("---", "+++")):
            continue
        m = _ASSIGN.fullmatch(line.rstrip())
        if m is not None:
            (old if m[1] == "-" else new)[m[2]] = m[3].strip()
    return tuple(
        KnobChange(normalise_knob(name), old.get(name), value, f"{name} = {value}")
        for name, value in new.items()
        if old.get(name) != value
    )


def _show(repo: Path, commit: str, path: str) -> str | None:
    try:
        proc = subprocess.run(
            ["git", "show", "--format=", "--unified=0", commit, "--", path],
            cwd=repo,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout if proc.returncode == 0 else None
