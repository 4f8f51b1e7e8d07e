"""Where autoevolve keeps things inside a checkout, and the git ref names it uses."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

STATE_DIR = ".autoevolve"
WORKTREES_DIR = "worktrees"
EXCLUDES = (f"/{STATE_DIR}/", f"/{WORKTREES_DIR}/")
POOLED_EXTRA = ("agent", "strategy", "round")
PLACEMENT = ("node", "gpu_type")  # pooled columns of runs on a cluster (where each one ran)


@dataclass(frozen=True)
class Layout:
    """Paths and ref names of one competition in one checkout."""

    root: Path
    tag: str

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR

    @property
    def state_file(self) -> Path:
        return self.state_dir / "state.json"

    @property
    def events_file(self) -> Path:
        return self.state_dir / "events.jsonl"

    @property
    def stop_file(self) -> Path:
        return self.state_dir / "stop"

    @property
    def lock_file(self) -> Path:
        return self.state_dir / "lock"

    @property
    def pooled(self) -> Path:
        return self.state_dir / "results.all.tsv"

    def gpu_lock(self, gpu: str) -> Path:
        return self.state_dir / "gpu" / f"gpu{gpu}.lock"

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
