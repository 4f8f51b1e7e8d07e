"""Where autoevolve keeps things inside a checkout, and the git ref names it uses.

The controller's own files (state, journal, pooled results, run logs) live in the git directory
of the main checkout, ``.git/autoevolve/<tag>/``: no worktree points there, git never tracks it,
and each tag keeps its own. Agents' worktrees are ``worktrees/<tag>-<agent>/``.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

HOME_DIR = "autoevolve"  # inside the repository's common git directory
CURRENT = "current"  # names the tag started last: the default of every subcommand
WORKTREES_DIR = "worktrees"
# worktrees, the lock appendrow leaves beside a results file, and a free-mode agent's run.log:
# none of them may end up in an agent's `git add -A` commit (it would be a protected_path)
EXCLUDES = (f"/{WORKTREES_DIR}/", "results.tsv.lock", "run.log")
POOLED_EXTRA = ("agent", "strategy", "round")
PLACEMENT = ("node", "gpu_type")  # pooled columns of runs on a cluster (where each one ran)


def home_of(root: Path) -> Path:
    """``<git common dir>/autoevolve`` of the checkout at ``root``."""
    dot_git = root / ".git"
    if dot_git.is_dir():
        return dot_git / HOME_DIR
    out = subprocess.run(
        ["git", "rev-parse", "--git-common-dir"],
        cwd=root,
        text=True,
        capture_output=True,
        check=False,
    ).stdout.strip()
    common = Path(out) if out else dot_git
    return (common if common.is_absolute() else root / common).resolve() / HOME_DIR


@dataclass(frozen=True)
class Layout:
    """Paths and ref names of one competition in one checkout."""

    root: Path
    tag: str

    @cached_property
    def home(self) -> Path:
        """Where every tag's folder is, and the per-checkout lock and stop files."""
        return home_of(self.root)

    @property
    def state_dir(self) -> Path:
        return self.home / self.tag

    @property
    def current_file(self) -> Path:
        return self.home / CURRENT

    @property
    def archive_dir(self) -> Path:
        """Where ``cleanup`` keeps each agent's results.tsv."""
        return self.state_dir / "archive"

    @property
    def state_file(self) -> Path:
        return self.state_dir / "state.json"

    @property
    def events_file(self) -> Path:
        return self.state_dir / "events.jsonl"

    @property
    def stop_file(self) -> Path:
        return self.home / "stop"

    @property
    def lock_file(self) -> Path:
        return self.home / "lock"

    @property
    def pooled(self) -> Path:
        return self.state_dir / "results.all.tsv"

    @property
    def gpu_dir(self) -> Path:
        return self.home / "gpu"

    def run_dir(self, run_id: str) -> Path:
        return self.state_dir / "runs" / run_id

    def round_dir(self, k: int) -> Path:
        return self.state_dir / "rounds" / f"r{k:03d}"

    def hints(self, k: int) -> Path:
        return self.round_dir(k) / "hints.md"

    def worktree(self, agent: str) -> Path:
        return self.root / WORKTREES_DIR / f"{self.tag}-{agent}"

    def branch(self, agent: str) -> str:
        return f"autoresearch/{self.tag}-{agent}"

    @property
    def champion_branch(self) -> str:
        return f"autoresearch/{self.tag}-champion"

    def exp_ref(self, sha: str) -> str:
        return f"refs/autoevolve/{self.tag}/exp/{sha}"

    def archive_ref(self, agent: str, label: str) -> str:
        return f"refs/autoevolve/{self.tag}/archive/{agent}/{label}"

    def round_tag(self, k: int, agent: str) -> str:
        return f"refs/tags/autoevolve/{self.tag}/r{k}/{agent}"


def pick_tag(root: Path, tag: str | None) -> str:
    """``tag`` when given, else the tag started last in this checkout (``current``)."""
    if tag:
        return tag
    home = home_of(root)
    try:
        current = (home / CURRENT).read_text(encoding="utf-8").strip()
    except OSError:
        current = ""
    if current and (home / current / "state.json").is_file():
        return current
    found = sorted(p.parent.name for p in home.glob("*/state.json"))
    if len(found) == 1:
        return found[0]
    return current
