"""The autoevolve leaderboard: one row per agent from the pooled history of a competition.

The pooled history is ``.git/autoevolve/<tag>/results.all.tsv``: the standard results columns plus
``agent``, ``strategy`` and ``round`` (``commit <metric> memory_gb status description agent
strategy round``), read by :func:`autolab_shared.parsing.results.read_results` like any results file
(the extra columns are in :meth:`Experiment.get`). Used by ``autojudge --html`` and autoevolve.
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from autolab_shared.parsing.results import Experiment, History
from autolab_shared.parsing.status import CRASH, KEEP

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
    runs: int = 0  # runs of the best configuration
    posterior: float | None = None  # its mean shrunk toward the baseline by its number of runs


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


def _configs(rows: Sequence[Experiment], labelled: bool) -> dict[str, list[float]]:
    """The runs of each kept configuration (of every measured one when nothing is labelled)."""
    final = _own(rows)
    runs: dict[str, list[float]] = {}
    for e in rows:
        if e.value is not None and (final.get(e.commit) == KEEP or not labelled):
            runs.setdefault(e.commit, []).append(e.value)
    return runs


@dataclass(frozen=True)
class Shrinkage:
    """Normal-normal shrinkage of a configuration's mean toward the baseline: with ``n`` runs of
    noise sd ``sigma`` and true effects of sd ``tau``, the posterior mean keeps the fraction
    n·tau² / (n·tau² + sigma²) of the observed difference (one lucky run keeps less of it)."""

    baseline: float
    sigma: float
    tau: float

    def posterior(self, runs: Sequence[float]) -> float:
        """The posterior mean of a configuration measured by ``runs``."""
        mean, n = statistics.fmean(runs), len(runs)
        if self.sigma <= 0:
            return mean
        weight = n * self.tau**2 / (n * self.tau**2 + self.sigma**2)
        return self.baseline + weight * (mean - self.baseline)


def shrinkage(history: History, baseline: float) -> Shrinkage:
    """sigma from replicate runs of one commit (pooled sd), tau from the spread of config means
    around the baseline, net of noise (method of moments, floored at sigma / 10)."""
    groups: dict[str, list[float]] = {}
    for e in history.experiments:
        if e.value is not None and e.status != CRASH:
            groups.setdefault(e.commit, []).append(e.value)
    replicated = [g for g in groups.values() if len(g) > 1]
    df = sum(len(g) - 1 for g in replicated)
    ss = sum(sum((v - statistics.fmean(g)) ** 2 for v in g) for g in replicated)
    sigma = (ss / df) ** 0.5 if df else 0.0
    spread = [(statistics.fmean(g) - baseline) ** 2 for g in groups.values()]
    tau2 = statistics.fmean(spread) - sigma**2 if spread else 0.0
    return Shrinkage(baseline, sigma, max(tau2, (sigma / 10) ** 2) ** 0.5)


def _best(
    rows: Sequence[Experiment], history: History, labelled: bool, shrink: Shrinkage | None
) -> tuple[float, str, int, float] | None:
    """The best configuration by posterior mean: (mean, commit, runs, posterior)."""
    post = shrink.posterior if shrink else statistics.fmean
    scored = [
        (statistics.fmean(v), c, len(v), post(v)) for c, v in _configs(rows, labelled).items()
    ]
    best: tuple[float, str, int, float] | None = None
    for entry in scored:
        if best is None or history.is_better(entry[3], best[3]):
            best = entry
    return best


def _row(
    agent: str,
    rows: Sequence[Experiment],
    history: History,
    baseline: float | None,
    shrink: Shrinkage | None,
) -> LeaderRow:
    strategies = [s for s in (e.get("strategy") for e in rows) if s]
    top = _best(rows, history, any(e.status == KEEP for e in history.experiments), shrink)
    value = top[0] if top is not None else None
    delta = value - baseline if value is not None and baseline is not None else None
    relative = delta / abs(baseline) if delta is not None and baseline else None
    final = _own(rows)
    return LeaderRow(
        agent=agent,
        strategy=strategies[-1] if strategies else "",
        experiments=len(final),
        keeps=sum(s == KEEP for s in final.values()),
        crashes=sum(s == CRASH for s in final.values()),
        best=value,
        best_commit=top[1] if top is not None else None,
        improvement=delta,
        relative_improvement=relative,
        runs=top[2] if top is not None else 0,
        posterior=top[3] if top is not None else None,
    )


def leaderboard(history: History, *, baseline: float | None = None) -> tuple[LeaderRow, ...]:
    """Per-agent rows, best posterior mean first (agents without a keep last, then by name): a
    configuration measured once ranks below an equally good one measured several times.

    ``baseline`` defaults to :func:`first_baseline`; rows without an ``agent`` cell are
    grouped under ``(none)``; an agent's strategy is its latest non-empty ``strategy`` cell.
    """
    base = first_baseline(history) if baseline is None else baseline
    groups: dict[str, list[Experiment]] = {}
    for exp in history.experiments:
        groups.setdefault(exp.get("agent") or NO_AGENT, []).append(exp)
    shrink = shrinkage(history, base) if base is not None else None
    rows = [_row(agent, group, history, base, shrink) for agent, group in groups.items()]
    sign = -1.0 if history.direction == "max" else 1.0
    return tuple(
        sorted(rows, key=lambda r: (r.posterior is None, sign * (r.posterior or 0.0), r.agent))
    )
