"""A baseline that crashed everywhere: its cause up front, and nothing left that blocks a rerun."""

from __future__ import annotations

from pathlib import Path

from autolab_shared.core.errors import AutolabError

from .cleanup import cleanup
from .competition import Competition

CAUSE_MARKERS = ("autoevolve: cannot start", "Error", "error:", "killed after")


class BaselineFailed(AutolabError):
    """The starting commit could not be measured on any agent."""


def log_cause(log: Path) -> str:
    """The most telling line of a crashed run's log (a start failure, an error, else the last)."""
    try:
        lines = [ln.strip() for ln in log.read_text("utf-8", "replace").splitlines() if ln.strip()]
    except OSError:
        return "no run.log"
    for marker in CAUSE_MARKERS:
        hit = next((ln for ln in reversed(lines) if marker in ln), None)
        if hit:
            return hit.removeprefix("autoevolve: ")[:200]
    return lines[-1][:200] if lines else "empty run.log"


def baseline_failure(comp: Competition) -> BaselineFailed:
    """The error to raise: the first log's cause, then where the logs are."""
    logs = sorted(comp.s.layout.state_dir.glob("runs/*baseline*/run.log"))
    cause = log_cause(logs[0]) if logs else "no run.log was written"
    where = logs[0].parent.parent if logs else comp.s.layout.state_dir / "runs"
    return BaselineFailed(
        f"the baseline crashed on every agent: {cause} (train command "
        f"{comp.state.config.train_cmd!r}; logs in {where})"
    )


def fail_run(comp: Competition, exc: BaselineFailed) -> None:
    """Mark the run failed and remove what it created, so `autoevolve` can start it afresh."""
    state = comp.state
    state.phase, state.verdict = "failed", str(exc)
    comp.events.append("failed", reason=str(exc))
    for line in cleanup(comp.s.git, comp.s.layout, [a.name for a in state.agents]):
        comp.say(line)
    champion = f"refs/heads/{comp.s.layout.champion_branch}"
    if comp.s.git.resolve(champion) == state.base_sha:  # nothing was crowned: it is ours to drop
        comp.s.git.run("update-ref", "-d", champion, state.base_sha)
    comp.save()
