"""Removing a competition's worktrees and working branches without losing any commit."""

from __future__ import annotations

import shutil
from pathlib import Path

from .gitrepo import Git
from .layout import Layout
from .statefile import State
from .worktrees import commit_leftovers


def cleanup(git: Git, layout: Layout, state: State, *, keep_branches: bool = False,
            purge_archive: bool = False) -> list[str]:  # fmt: skip
    """Archive each agent's tip (and uncommitted edits), then remove worktrees and branches."""
    done = []
    for agent in state.agents:
        path = Path(agent.worktree)
        if (path / ".git").exists():
            wt = Git(path)
            commit_leftovers(wt, f"autoevolve: uncommitted work of {agent.name} at cleanup")
            git.update_ref(layout.archive_ref(agent.name, "final"), wt.head())
            git.run("worktree", "remove", "--force", str(path))
            done.append(f"removed worktree {path}")
        tip = git.resolve(f"refs/heads/{agent.branch}")
        if tip and not keep_branches:
            git.update_ref(layout.archive_ref(agent.name, "final"), tip)
            git.run("branch", "-D", agent.branch)
            done.append(f"deleted branch {agent.branch} (tip kept as "
                        f"{layout.archive_ref(agent.name, 'final')})")  # fmt: skip
    git.run("worktree", "prune")
    parent = layout.root / "worktrees"
    if parent.is_dir() and not any(parent.iterdir()):
        shutil.rmtree(parent, ignore_errors=True)
    if purge_archive:
        for ref in git.refs(f"refs/autoevolve/{layout.tag}/"):
            git.run("update-ref", "-d", ref)
        done.append(f"deleted archive refs refs/autoevolve/{layout.tag}/")
    done.append(f"kept champion branch {layout.champion_branch}")
    return done
