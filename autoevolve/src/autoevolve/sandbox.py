"""The git folders a sandboxed agent must be able to write to commit in its worktree, and no more.

Codex runs with ``--sandbox workspace-write`` rooted at the worktree; committing also writes the
worktree's own git folder (index, HEAD), objects, refs and reflogs of the main repository, so
those (and only those) are added as writable. ``.git/autoevolve``, ``.git/config`` and
``.git/hooks`` stay read-only; a moved ref is caught by the integrity check.
"""

from __future__ import annotations

from pathlib import Path

from .gitrepo import Git

GIT_PLACEHOLDERS = ("git_admin", "git_objects", "git_refs", "git_logs")


def git_write_paths(worktree: Path) -> dict[str, str]:
    """``{git_admin, git_objects, git_refs, git_logs}`` of the worktree, as absolute paths."""
    git = Git(worktree)
    admin = Path(git.run("rev-parse", "--absolute-git-dir"))
    common = git.common_dir()
    return {
        "git_admin": str(admin),
        "git_objects": str(common / "objects"),
        "git_refs": str(common / "refs"),
        "git_logs": str(common / "logs"),
    }
