"""A wave variant's own change, re-made on the turn's start (``--parallel``).

An agent commits its variants one on top of the other. Trained as they stand, a bad first change
(one that crashes, say) would spoil every variant after it, so each commit's own change (its diff
against its parent) is applied alone to the turn's starting commit, giving independent children
of one parent. A change that does not apply there alone (it edits what an earlier variant wrote)
is trained as it stands. The child is made with git plumbing only (a private index, no worktree)
and with the original's author, committer, dates and message, so that re-making it after a
resume gives the same commit.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from .gitrepo import GIT_ENV, Git, GitError

IDENT = "%an%n%ae%n%ad%n%cn%n%ce%n%cd"
IDENT_VARS = (
    "GIT_AUTHOR_NAME",
    "GIT_AUTHOR_EMAIL",
    "GIT_AUTHOR_DATE",
    "GIT_COMMITTER_NAME",
    "GIT_COMMITTER_EMAIL",
    "GIT_COMMITTER_DATE",
)


def own_changes(git: Git, base: str, commits: list[str]) -> list[str | None]:
    """``own_change`` of each commit; None for one git could not re-make (trained stacked)."""
    out: list[str | None] = []
    for commit in commits:
        try:
            out.append(own_change(git, base, commit))
        except GitError:
            out.append(None)
    return out


def own_change(git: Git, base: str, commit: str) -> str | None:
    """``commit``'s change applied alone to ``base`` (a new commit whose parent is ``base``);
    ``commit`` itself when its parent is ``base``; None when the change does not apply there."""
    parent = git.run("rev-parse", "--verify", f"{commit}^1")
    if parent == git.run("rev-parse", "--verify", f"{base}^{{commit}}"):
        return commit
    patch = _diff(git, parent, commit)  # bytes: an agent's file need not be UTF-8
    if not patch.strip():
        return None  # an empty commit: nothing of its own to apply
    with tempfile.TemporaryDirectory(prefix="autoevolve-sibling-") as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        (Path(tmp) / "patch").write_bytes(patch)
        git.run("read-tree", base, env=env)
        if not git.ok("apply", "--cached", "--unidiff-zero", str(Path(tmp) / "patch"), env=env):
            return None
        tree = git.run("write-tree", env=env)
        (Path(tmp) / "message").write_bytes(_show(git, "--format=%B", commit))
        ident = git.run("log", "-1", f"--format={IDENT}", "--date=raw", commit).split("\n")
        env.update(zip(IDENT_VARS, ident, strict=True))
        return git.run("commit-tree", tree, "-p", base, "-F", str(Path(tmp) / "message"), env=env)


def _diff(git: Git, parent: str, commit: str) -> bytes:
    return _git_bytes(
        git,
        "diff",
        "--binary",
        "--no-color",
        "--no-ext-diff",
        "--no-renames",
        "-U0",
        parent,
        commit,
    )


def _show(git: Git, fmt: str, commit: str) -> bytes:
    return _git_bytes(git, "log", "-1", fmt, commit)


def _git_bytes(git: Git, *args: str) -> bytes:
    """stdout of ``git args`` as bytes (GitError on failure)."""
    proc = subprocess.run(
        ["git", *args], cwd=git.cwd, env={**os.environ, **GIT_ENV}, capture_output=True, check=False
    )
    if proc.returncode != 0:
        raise GitError(
            f"git {' '.join(args[:2])} failed: "
            f"{proc.stderr.decode('utf-8', 'replace').strip()[-200:]}"
        )
    return proc.stdout
