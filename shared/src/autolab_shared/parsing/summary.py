"""A plain summary of a parsed history: counts, baseline and best (no verdict)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from autolab_shared.core.diagnostics import ParseWarning
from autolab_shared.parsing.results import Experiment, History


@dataclass(frozen=True)
class HistorySummary:
    """What a results file holds, in numbers a person checks first."""

    path: str
    metric: str
    direction: str
    direction_source: str
    total: int
    counts: dict[str, int]
    baseline: Experiment | None
    best: Experiment | None
    warnings: tuple[ParseWarning, ...]

    @property
    def improvement(self) -> float | None:
        """best − baseline in metric units (negative is better for a 'min' metric)."""
        if self.best is None or self.baseline is None:
            return None
        if self.best.value is None or self.baseline.value is None:
            return None
        return self.best.value - self.baseline.value


def baseline_of(history: History) -> Experiment | None:
    """The first experiment that produced a value (crashes carry none)."""
    return next((e for e in history.experiments if e.value is not None), None)


def summarize(history: History) -> HistorySummary:
    """Count statuses and find the baseline and the best value."""
    return HistorySummary(
        path=history.path,
        metric=history.metric,
        direction=history.direction,
        direction_source=history.direction_source,
        total=len(history.experiments),
        counts=history.counts(),
        baseline=baseline_of(history),
        best=history.best(),
        warnings=history.warnings,
    )


MAX_WARNINGS_SHOWN = 5


def fmt_value(value: float | None) -> str:
    """A metric value with six decimals, or ``n/a``."""
    return "n/a" if value is None else f"{value:.6f}"


def _experiment_line(label: str, exp: Experiment | None) -> str:
    if exp is None:
        return f"  {label}: none (no experiment produced a value)"
    memory = "" if exp.memory_gb is None else f", {exp.memory_gb:.1f} GB"
    where = f"({exp.commit or '-'}{memory}, line {exp.line})"
    return f"  {label}: {fmt_value(exp.value)} {where} {exp.description}"


def summary_lines(s: HistorySummary) -> list[str]:
    """The summary as plain text lines (counts, baseline, best)."""
    words = "lower is better" if s.direction == "min" else "higher is better"
    c = s.counts
    lines = [
        f"{s.path}: {s.total} experiments ({s.metric}, {words})",
        f"  keep: {c.get('keep', 0)} | discard: {c.get('discard', 0)} | crash: {c.get('crash', 0)}"
        f" | unknown: {c.get('unknown', 0)}",
        _experiment_line("baseline", s.baseline),
        _experiment_line("best", s.best),
    ]
    if s.improvement is not None:
        lines.append(f"  best - baseline: {s.improvement:+.6f} (raw difference, no noise estimate)")
    return lines


def warning_lines(warnings: tuple[ParseWarning, ...] | list[ParseWarning]) -> list[str]:
    """A count per warning code and the first few warnings in full."""
    if not warnings:
        return ["  warnings: none"]
    counts = ", ".join(f"{code} {n}" for code, n in Counter(w.code for w in warnings).most_common())
    lines = [f"  warnings: {len(warnings)} ({counts})"]
    lines += [f"    {w}" for w in list(warnings)[:MAX_WARNINGS_SHOWN]]
    if len(warnings) > MAX_WARNINGS_SHOWN:
        lines.append(f"    ... {len(warnings) - MAX_WARNINGS_SHOWN} more (--format json lists all)")
    return lines


def experiment_json(exp: Experiment | None) -> dict[str, object] | None:
    """An experiment as a JSON-ready mapping."""
    if exp is None:
        return None
    return {
        "commit": exp.commit,
        "value": exp.value,
        "memory_gb": exp.memory_gb,
        "status": exp.status,
        "description": exp.description,
        "line": exp.line,
    }


def summary_json(s: HistorySummary) -> dict[str, object]:
    """The summary as a JSON-ready mapping (warnings go in the envelope, not here)."""
    return {
        "results": s.path,
        "metric": s.metric,
        "direction": s.direction,
        "direction_source": s.direction_source,
        "experiments": s.total,
        "counts": s.counts,
        "baseline": experiment_json(s.baseline),
        "best": experiment_json(s.best),
        "improvement": s.improvement,
    }


def quiet_summary(s: HistorySummary) -> str:
    """The summary in one line."""
    best = "none" if s.best is None else f"{fmt_value(s.best.value)} ({s.best.commit or '-'})"
    return (
        f"{s.total} experiments, {s.counts.get('keep', 0)} keep, {s.counts.get('crash', 0)} crash,"
        f" best {s.metric} {best}, {len(s.warnings)} warnings"
    )
