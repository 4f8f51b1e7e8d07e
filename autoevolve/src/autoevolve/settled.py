"""A settled worktree: the state the controller left it in, one look at it, and putting it back.

A worktree is settled while no agent may write into it (its training, and the time between its
owner's turns). The record is the commit its branch must be at, with HEAD on that branch and no
tracked change; between turns also the untracked files it held when it settled (a training
writes its own, so none are checked then). One ``git status`` reads all of it.
"""

from __future__ import annotations

import contextlib
import shutil
from dataclasses import dataclass
from pathlib import Path

from .gitrepo import Git
from .worktrees import reset_to

CONTROLLER_FILES = frozenset({"results.tsv"})  # the controller writes these between turns
NO_LOCKS = {"GIT_OPTIONAL_LOCKS": "0"}  # a look never takes the worktree's index.lock


@dataclass(frozen=True)
class Settled:
    """What a settled worktree must hold: ``head`` checked out on its branch, no tracked
    change, and (unless None) no untracked file beyond ``files``."""

    head: str
    files: frozenset[str] | None = None


@dataclass(frozen=True)
class Look:
    """A worktree as one ``git status`` sees it."""

    head: str  # '' when HEAD names no commit
    branch: str  # '' when detached
    dirty: bool  # a tracked file differs from HEAD (or the index does)
    untracked: frozenset[str]  # not ignored, relative to the worktree


def look(wt: Git) -> Look:
    """The worktree's HEAD, branch, tracked changes and untracked files."""
    out = wt.run(
        "status", "--porcelain=v2", "--branch", "-z", "--untracked-files=all", env=NO_LOCKS
    )
    head = branch = ""
    dirty = False
    untracked: set[str] = set()
    fields = iter(out.split("\0"))
    for entry in fields:
        if entry.startswith("# branch.oid "):
            head = entry.split(" ", 2)[2] if "(initial)" not in entry else ""
        elif entry.startswith("# branch.head "):
            branch = entry.split(" ", 2)[2] if "(detached)" not in entry else ""
        elif entry.startswith("? "):
            untracked.add(entry[2:])
        elif entry[:2] in ("1 ", "2 ", "u "):
            dirty = True
            if entry.startswith("2 "):
                next(fields, None)  # a rename's original path
    return Look(head, branch, dirty, frozenset(untracked - CONTROLLER_FILES))


def intact(seen: Look, record: Settled) -> bool:
    """True when the worktree holds what ``record`` says (on a branch or not)."""
    extra = record.files is not None and not seen.untracked <= record.files
    return seen.head == record.head and not seen.dirty and not extra


def put_back(wt: Git, seen: Look, record: Settled, branch: str) -> frozenset[str]:
    """Make the worktree ``record`` again: HEAD on ``branch`` at its commit, tracked files reset,
    untracked files it did not hold removed; the untracked files left."""
    attach(wt, branch, record.head)
    reset_to(wt, record.head)
    if record.files is None:
        return seen.untracked
    for name in sorted(seen.untracked - record.files):
        _remove(wt.cwd, name)
    return seen.untracked & record.files


def attach(wt: Git, branch: str, head: str) -> None:
    """Point ``branch`` at ``head`` and HEAD at ``branch`` (files untouched)."""
    ref = f"refs/heads/{branch}"
    wt.run("symbolic-ref", "HEAD", ref)
    wt.run("update-ref", ref, head)


def _remove(root: Path, name: str) -> None:
    """Delete an untracked file (a link itself, never its target) and the folders it leaves
    empty, inside ``root`` only."""
    path = root / name.rstrip("/")  # "sub/": a whole git repository
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    parent = path.parent
    while parent != root and root in parent.parents:
        try:
            parent.rmdir()
        except OSError:
            return
        parent = parent.parent
