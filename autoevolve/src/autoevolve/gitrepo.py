"""A thin git wrapper: argv lists only, no shell, names validated by the caller."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from autolab_shared.core.errors import AutolabError

GIT_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_EDITOR": "true", "LC_ALL": "C"}
IDENTITY = ("-c", "user.name=autoevolve", "-c", "user.email=autoevolve@localhost")


class GitError(AutolabError):
    """A git command failed."""


@dataclass(frozen=True)
class Git:
    """git run in one directory (a checkout or a worktree)."""

    cwd: Path

    def run(
        self,
        *args: str,
        check: bool = True,
        identity: bool = False,
        env: dict[str, str] | None = None,
    ) -> str:
        """stdout of ``git args``; GitError on failure when check is set."""
        cmd = ["git", *(IDENTITY if identity and not self._has_identity() else ()), *args]
        env = {**os.environ, **GIT_ENV, **(env or {})}
        proc = subprocess.run(
            cmd, cwd=self.cwd, env=env, capture_output=True, text=True, check=False
        )
        if check and proc.returncode != 0:
            detail = (proc.stderr or proc.stdout).strip().splitlines()
            raise GitError(f"git {' '.join(args[:3])} failed: {detail[-1] if detail else '?'}")
        return proc.stdout.rstrip()

    def ok(self, *args: str, env: dict[str, str] | None = None) -> bool:
        """True when ``git args`` exits 0."""
        full = {**os.environ, **GIT_ENV, **(env or {})}
        return (
            subprocess.run(
                ["git", *args], cwd=self.cwd, env=full, capture_output=True, check=False
            ).returncode
            == 0
        )

    def _has_identity(self) -> bool:
        return bool(self.run("config", "user.email", check=False))

    def head(self) -> str:
        """Full sha of HEAD."""
        return self.run("rev-parse", "--verify", "HEAD^{commit}")

    def resolve(self, ref: str) -> str | None:
        """Full sha of a ref or None."""
        out = self.run(
            "rev-parse", "--verify", "--quiet", "--end-of-options", ref + "^{commit}", check=False
        )
        return out or None

    def branch(self) -> str | None:
        """The checked-out branch name, or None when detached."""
        return self.run("symbolic-ref", "--quiet", "--short", "HEAD", check=False) or None

    def dirty_files(self) -> list[str]:
        """Tracked files with uncommitted changes (untracked files do not count)."""
        out = self.run("status", "--porcelain", "--untracked-files=no")
        return [line[3:] for line in out.splitlines() if line.strip()]

    def toplevel(self) -> Path:
        """The top directory of the checkout."""
        return Path(self.run("rev-parse", "--show-toplevel"))

    def common_dir(self) -> Path:
        """The repository's common git directory (shared by all worktrees)."""
        out = Path(self.run("rev-parse", "--git-common-dir"))
        return out if out.is_absolute() else (self.cwd / out).resolve()

    def update_ref(self, ref: str, sha: str) -> None:
        """Point ``ref`` at ``sha`` (creating it)."""
        self.run("update-ref", ref, sha)

    def subject(self, sha: str) -> str:
        """The first line of a commit message."""
        return self.run("log", "-1", "--format=%s", sha)

    def is_ancestor(self, older: str, newer: str) -> bool:
        """True when ``older`` is an ancestor of (or equal to) ``newer``."""
        return self.ok("merge-base", "--is-ancestor", older, newer)

    def refs(self, prefix: str) -> dict[str, str]:
        """Every ref under ``prefix`` mapped to its sha."""
        out = self.run("for-each-ref", "--format=%(refname) %(objectname)", prefix)
        return dict(line.split(" ", 1) for line in out.splitlines() if line)


def find_checkout(start: Path) -> Git:
    """The main checkout containing ``start`` (also from inside one of its worktrees)."""
    probe = Git(start)
    if not probe.ok("rev-parse", "--show-toplevel"):
        raise GitError(f"{start} is not inside a git checkout (run autoevolve in one)")
    common = probe.common_dir()
    main = common.parent if common.name == ".git" else probe.toplevel()
    return Git(main if (main / ".git").exists() else probe.toplevel())
