"""The autoevolve leaderboard: one row per agent from the pooled history of a competition.

The pooled history is ``.git/autoevolve/<tag>/results.all.tsv``: the standard results columns plus
``agent``, ``strategy`` and ``round`` (``commit <metric> memory_gb status description agent
strategy round``), read by :func:`autolab_shared.results.read_results` like any results file
(the extra columns are in :meth:`Experiment.get`). Used by ``autojudge --html`` and autoevolve.
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .results import Experiment, History
from .status import CRASH, KEEP

POOLED = Path(".autoevolve") / "results.all.tsv"
NO_AGENT = "(none)"


@dataclass(frozen=True)
class LeaderRow:
    """One agent's standing: ``best`` is its best keep; ``improvement`` is best − baseline,
    signed as the metric moves (negative is better for a lower-is-better metric)."""

    agent: str
    strategy: str
    experiments: int
    keeps: int
    crashes: int
    best: float | None
    best_commit: str | None
    improvement: float | None
    relative_improvement: float | None  # improvement / |baseline|


def find_pooled(*folders: str | os.PathLike[str]) -> Path | None:
    """The pooled file of the last competition started in the first folder that has one.

    autoevolve keeps it in ``.git/autoevolve/<tag>/`` (``current`` names the tag); an older
    ``.autoevolve/results.all.tsv`` is found too.
    """
    for folder in folders:
        home = Path(folder) / ".git" / "autoevolve"
        try:
            tag = (home / "current").read_text(encoding="utf-8").strip()
        except OSError:
            tag = ""
        for candidate in ((home / tag / POOLED.name) if tag else None, Path(folder) / POOLED):
            if candidate is not None and candidate.is_file():
                return candidate
    return None


BOOKKEEPING = ("baseline", "validate r", "adopt:")  # rows autoevolve writes that are no experiment


def first_baseline(history: History) -> float | None:
    """The mean of the ``baseline`` rows, else the first measured value (the common start)."""
    exps = history.experiments
    base = [e.value for e in exps if e.description.startswith("baseline") and e.value]
    if base:
        return statistics.fmean(base)
    return next((e.value for e in history.experiments if e.value is not None), None)


def _own(rows: Sequence[Experiment]) -> dict[str, str]:
    """Each experiment's commit and final status (a retested commit counts once)."""
    return {e.commit: e.status for e in rows if not e.description.startswith(BOOKKEEPING)}


def _best(rows: Sequence[Experiment], history: History, labelled: bool) -> tuple[float, str] | None:
    """The best kept configuration: the mean of all its runs (best row when nothing is kept)."""
    final = _own(rows)
    runs: dict[str, list[float]] = {}
    for e in rows:
        if e.value is not None and (final.get(e.commit) == KEEP or not labelled):
            runs.setdefault(e.commit, []).append(e.value)
    scored = [(statistics.fmean(v), c) for c, v in runs.items()]
    if not labelled:
        scored = [(e.value, e.commit) for e in rows if e.value is not None]
    best: tuple[float, str] | None = None
    for value, commit in scored:
        if best is None or history.is_better(value, best[0]):
            best = (value, commit)
    return best


def _row(agent: str, rows: Sequence[Experiment], history: History,
         baseline: float | None) -> LeaderRow:  # fmt: skip
    strategies = [s for s in (e.get("strategy") for e in rows) if s]
    top = _best(rows, history, any(e.status == KEEP for e in history.experiments))
    value = top[0] if top is not None else None
    delta = value - baseline if value is not None and baseline is not None else None
    relative = delta / abs(baseline) if delta is not None and baseline else None
    final = _own(rows)
    return LeaderRow(
        agent=agent, strategy=strategies[-1] if strategies else "",
        experiments=len(final), keeps=sum(s == KEEP for s in final.values()),
        crashes=sum(s == CRASH for s in final.values()), best=value,
        best_commit=top[1] if top is not None else None,
        improvement=delta, relative_improvement=relative,
    )  # fmt: skip


def leaderboard(history: History, *, baseline: float | None = None) -> tuple[LeaderRow, ...]:
    """Per-agent rows, best first (agents without a keep last, then by name).

    ``baseline`` defaults to :func:`first_baseline`; rows without an ``agent`` cell are
    grouped under ``(none)``; an agent's strategy is its latest non-empty ``strategy`` cell.
    """
    base = first_baseline(history) if baseline is None else baseline
    groups: dict[str, list[Experiment]] = {}
    for exp in history.experiments:
        groups.setdefault(exp.get("agent") or NO_AGENT, []).append(exp)
    rows = [_row(agent, group, history, base) for agent, group in groups.items()]
    sign = -1.0 if history.direction == "max" else 1.0
    return tuple(sorted(rows, key=lambda r: (r.best is None, sign * (r.best or 0.0), r.agent)))
