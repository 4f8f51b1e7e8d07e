"""Setting up the checkout: excludes, agent branches and worktrees, the shared .venv."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from .gitrepo import Git, GitError
from .layout import EXCLUDES, Layout


def ensure_excludes(git: Git) -> None:
    """List autoevolve's folders in .git/info/exclude (never in the user's .gitignore)."""
    path = git.common_dir() / "info" / "exclude"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    missing = [e for e in EXCLUDES if e not in text.splitlines()]
    if missing:
        sep = "" if not text or text.endswith("\n") else "\n"
        path.write_text(text + sep + "# autoevolve\n" + "\n".join(missing) + "\n", "utf-8")


def ensure_worktree(git: Git, layout: Layout, agent: str, start: str) -> Path:
    """The agent's worktree on its branch, created at ``start`` when missing."""
    path = layout.worktree(agent)
    branch = layout.branch(agent)
    if (path / ".git").exists():
        return path
    git.run("worktree", "prune")
    if git.resolve(f"refs/heads/{branch}") is None:
        git.run("branch", "--no-track", branch, start)
    path.parent.mkdir(parents=True, exist_ok=True)
    git.run("worktree", "add", "--force", str(path), branch)
    link_venv(git.cwd, path)
    return path


def link_venv(root: Path, worktree: Path) -> None:
    """Share the checkout's .venv with a worktree (as Karpathy's spawn.sh did)."""
    venv, target = root / ".venv", worktree / ".venv"
    if venv.is_dir() and not target.exists():
        with contextlib.suppress(OSError):
            os.symlink(venv, target, target_is_directory=True)


def commit_leftovers(wt: Git, message: str) -> bool:
    """Commit tracked changes an agent left uncommitted; True when a commit was made."""
    if not wt.dirty_files():
        return False
    wt.run("add", "-u")
    wt.run("commit", "-q", "--no-verify", "-m", message, identity=True)
    return True


def reset_to(wt: Git, sha: str) -> None:
    """Move the worktree's branch and files back to ``sha`` (tracked files only)."""
    try:
        wt.run("reset", "-q", "--hard", sha)
    except GitError:
        wt.run("checkout", "-q", "-f", "HEAD")
        wt.run("reset", "-q", "--hard", sha)


def clear_stale_locks(wt: Git) -> None:
    """Remove an index.lock a killed git process left behind (nothing of ours runs now)."""
    lock = Path(wt.run("rev-parse", "--git-dir"))
    lock = (lock if lock.is_absolute() else wt.cwd / lock) / "index.lock"
    with contextlib.suppress(FileNotFoundError):
        lock.unlink()
