"""The plausibility gate: one summary per run.log, and too-good results re-run on a clean checkout.

A result better than the champion by more than ``max(10 noise floors, 2 % of the champion)`` is
not believed from the agent's worktree (which may hold untracked files or edits outside git): the
commit is trained again in a fresh detached checkout, and only a result that agrees with the
first one to within half that bound counts (the clean value is the one recorded).
"""

from __future__ import annotations

import contextlib
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

from .gitrepo import Git
from .layout import Layout
from .worktrees import link_venv

WORKTREE_LOCK = threading.Lock()
NOISE_FLOORS = 10.0
RELATIVE = 0.02


def summary_count(log: Path, metric: str) -> int:
    """How many lines of ``log`` start a ``<metric>: value`` summary entry."""
    pattern = re.compile(rf"^\s*{re.escape(metric)}:\s*\S", re.M)
    try:
        return len(pattern.findall(log.read_text("utf-8", "replace")))
    except OSError:
        return 0


def bound(champion: float, noise_sd: float) -> float:
    """How far past the champion a single result may go before it must be reproduced."""
    return max(NOISE_FLOORS * noise_sd, RELATIVE * abs(champion))


def too_good(value: float, champion: float | None, noise_sd: float, higher: bool) -> bool:
    """True when ``value`` beats ``champion`` by more than the bound."""
    if champion is None:
        return False
    gain = value - champion if higher else champion - value
    return gain > bound(champion, noise_sd)


def agrees(first: float, clean: float, champion: float, noise_sd: float) -> bool:
    """True when the clean re-run reproduces the first result (within half the bound)."""
    return abs(first - clean) <= bound(champion, noise_sd) / 2


@contextlib.contextmanager
def clean_checkout(git: Git, layout: Layout, sha: str, label: str) -> Iterator[Path]:
    """A fresh detached worktree of ``sha`` (only tracked files), removed afterwards."""
    path = layout.state_dir / "clean" / label
    with WORKTREE_LOCK:  # git's worktree bookkeeping is not safe to change from two threads
        if path.exists():
            git.run("worktree", "remove", "--force", str(path), check=False)
            shutil.rmtree(path, ignore_errors=True)
        git.run("worktree", "prune")
        path.parent.mkdir(parents=True, exist_ok=True)
        git.run("worktree", "add", "--force", "--detach", str(path), sha)
    link_venv(git.cwd, path)
    try:
        yield path
    finally:
        with WORKTREE_LOCK:
            git.run("worktree", "remove", "--force", str(path), check=False)
            shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def checkout_for(
    ships_commits: bool, git: Git, layout: Layout, sha: str, label: str
) -> Iterator[Path | None]:
    """A clean checkout of ``sha`` to train in, or None for an executor that ships the commit
    itself (Ray: a ``git archive`` of it, so a checkout on the head would go unused)."""
    if ships_commits:
        yield None
        return
    with clean_checkout(git, layout, sha, label) as path:
        yield path
