"""Removing a competition's worktrees and working branches without losing any commit or row.

Only what autoevolve created is touched: worktrees at ``worktrees/<tag>-<agent>`` that git lists
on the branch ``autoresearch/<tag>-<agent>``. Names come from the layout, never from a path or
branch read out of a file an agent could have written.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from .gitrepo import Git
from .layout import Layout
from .names import check_name
from .worktrees import commit_leftovers


def cleanup(
    git: Git,
    layout: Layout,
    names: list[str],
    *,
    keep_branches: bool = False,
    purge_archive: bool = False,
) -> list[str]:
    """Archive results and each agent's tip (and edits), then remove worktrees and branches."""
    done = archive_results(layout, names)
    listed = registered_worktrees(git)
    for name in (check_name(n, "agent name") for n in names):
        path, branch = layout.worktree(name), layout.branch(name)
        if listed.get(str(path.resolve())) == f"refs/heads/{branch}":
            wt = Git(path)
            commit_leftovers(wt, f"autoevolve: uncommitted work of {name} at cleanup")
            git.update_ref(layout.archive_ref(name, "final"), wt.head())
            git.run("worktree", "remove", "--force", str(path))
            done.append(f"removed worktree {path}")
        tip = git.resolve(f"refs/heads/{branch}")
        if tip and not keep_branches:
            git.update_ref(layout.archive_ref(name, "final"), tip)
            git.run("branch", "-D", branch)
            done.append(
                f"deleted branch {branch} (tip kept as {layout.archive_ref(name, 'final')})"
            )
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


def archive_results(layout: Layout, names: list[str]) -> list[str]:
    """Copy each agent's results.tsv (and the pooled file) to the tag's archive folder."""
    layout.archive_dir.mkdir(parents=True, exist_ok=True)
    copied = []
    for name in names:
        own = layout.worktree(name) / "results.tsv"
        if own.is_file():
            shutil.copyfile(own, layout.archive_dir / f"{name}.results.tsv")
            copied.append(name)
    if layout.pooled.is_file():
        shutil.copyfile(layout.pooled, layout.archive_dir / "results.all.tsv")
    if not copied and not layout.pooled.is_file():
        return []
    return [f"archived results ({', '.join(copied) or 'pooled only'}) in {layout.archive_dir}"]


def registered_worktrees(git: Git) -> dict[str, str]:
    """Every worktree git knows, as resolved path -> checked-out ref."""
    out: dict[str, str] = {}
    path = ""
    for line in git.run("worktree", "list", "--porcelain").splitlines():
        if line.startswith("worktree "):
            path = str(Path(line[len("worktree ") :]).resolve())
        elif line.startswith("branch ") and path:
            out[path] = line[len("branch ") :]
    return out


def agents_from_git(git: Git, layout: Layout) -> list[str]:
    """The agent names of ``layout.tag`` found in git alone (for ``cleanup --force``)."""
    prefix = f"refs/heads/autoresearch/{layout.tag}-"
    champion = f"refs/heads/{layout.champion_branch}"
    refs = git.refs("refs/heads/autoresearch/")
    found = {ref[len(prefix) :] for ref in refs if ref.startswith(prefix) and ref != champion}
    return sorted(n for n in found if _valid(n))


def _valid(name: str) -> bool:
    try:
        check_name(name, "agent name")
    except Exception:
        return False
    return True
