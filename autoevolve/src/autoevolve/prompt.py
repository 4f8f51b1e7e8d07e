"""The prompt an agent gets for one experiment: program.md, strategy, history, hints, steering."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from autolab_shared.steering.steer import SteerOptions, SteerReport, steer

from .ledger import read_or_none
from .strategies import Strategy

HARNESS_RULES = """\
You are agent `{agent}` in round {round} of an autoevolve competition (harness mode).
Your job for this turn: make exactly ONE experimental change to `train.py` in this directory,
then commit it with `git commit -am "<what changed, e.g. MATRIX_LR 0.04 -> 0.05>"` and exit.
Do not run the training, do not edit `results.tsv` and do not reset commits: autoevolve trains
your commit on a pinned GPU, judges it against the noise floor and keeps or resets it.
Where program.md below tells you to run training, log results or loop forever, autoevolve does
that for you. Its other rules (what you may and may not change) still hold.
Only {editable} may change: a commit that touches any other file is rejected before training.
Writing outside this worktree (other agents' worktrees, autoevolve's files, git refs) is undone
and counted against you; repeated, it ends your part in the competition."""


@dataclass(frozen=True)
class PromptParts:
    """What goes into one prompt besides the rules."""

    agent: str
    round: int
    strategy: Strategy
    program_md: str
    recent_rows: Sequence[str]
    hints: str
    steering: str
    editable: Sequence[str] = ("train.py",)
    parallel: int = 1  # commits the agent may make this turn (--parallel)


WAVE_RULES = """\
Your job for this turn: make up to {k} experimental changes to `train.py` in this directory, ONE
change per commit (`git commit -am "<what changed>"` after each), then exit. autoevolve trains
each commit's own change alone on this turn's starting point (with the commits before it only
when it edits what they wrote), all at once, judges them in order and keeps the branch at the
best kept one (or resets it). Commits after the first {k} are not trained."""


def rules(parts: PromptParts, editable: str) -> str:
    """The harness rules, with the several-commits turn of ``--parallel`` when it is above 1."""
    text = HARNESS_RULES.format(agent=parts.agent, round=parts.round, editable=editable)
    if parts.parallel <= 1:
        return text
    one = text.index("Your job for this turn:")
    end = text.index("\n", text.index("and exit.", one))
    return text[:one] + WAVE_RULES.format(k=parts.parallel) + text[end:]


def build_prompt(parts: PromptParts) -> str:
    """The whole prompt as markdown."""
    editable = ", ".join(f"`{glob}`" for glob in parts.editable)
    sections = [rules(parts, editable), f"## Your strategy\n\n{parts.strategy.text}"]
    if parts.steering:
        sections.append(f"## What autosteer suggests\n\n{parts.steering}")
    if parts.hints:
        sections.append(f"## Hints from the last round (changes that won)\n\n{parts.hints}")
    if parts.recent_rows:
        table = "\n".join(parts.recent_rows)
        sections.append(f"## Your recent experiments (results.tsv)\n\n```\n{table}\n```")
    if parts.program_md:
        sections.append(f"## program.md (the repository's rules)\n\n{parts.program_md}")
    return "\n\n".join(sections) + "\n"


def recent_rows(results: Path, count: int = 20) -> list[str]:
    """The header and the last ``count`` rows of a results file."""
    try:
        lines = results.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    return lines[:1] + lines[1:][-count:] if lines else []


def steering_text(pooled: Path, mode: str, pending: Sequence[str], seed: int) -> str:
    """autosteer's suggestion for the next experiment, as a few markdown lines."""
    history = read_or_none(pooled)
    if history is None:
        return ""
    opts = SteerOptions(mode=mode, pending=tuple(pending), seed=seed, suggestions=3)
    return render_steering(steer([history], opts))


def render_steering(report: SteerReport) -> str:
    """The headline and each suggestion with its one-line reason."""
    lines = [
        f"{report.headline} (mode {report.mode}; history {report.regime}: {report.regime_reason})"
    ]
    lines += [f"- [{s.category}] {s.text} ({s.why})" for s in report.suggestions]
    if report.angles:
        lines.append("Specific angles: " + ", ".join(report.angles))
    return "\n".join(lines)
