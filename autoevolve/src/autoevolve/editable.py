"""The files an agent may change (``--editable``); a commit touching anything else is rejected."""

from __future__ import annotations

from collections.abc import Sequence
from fnmatch import fnmatchcase

from .gitrepo import Git

PROTECTED_PATH = "protected_path"


def allowed(path: str, globs: Sequence[str]) -> bool:
    """True when ``path`` (repo-relative, with '/') matches one of ``globs``."""
    return any(fnmatchcase(path, glob) for glob in globs)


def protected_changes(git: Git, base: str, head: str, globs: Sequence[str]) -> list[str]:
    """Files that ``base..head`` adds, changes, deletes or renames outside ``globs``."""
    out = git.run("diff", "--no-renames", "--name-only", "-z", base, head)
    return sorted(p for p in out.split("\0") if p and not allowed(p, globs))
