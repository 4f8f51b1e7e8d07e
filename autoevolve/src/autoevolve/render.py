"""Text renderers for status, leaderboard and export (JSON goes through the shared envelope)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from autolab_shared.files.appendrow import format_row
from autolab_shared.parsing.results import History

from .board import Standing
from .statefile import State


def _num(value: float | None, digits: int = 6) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def leaderboard_lines(state: State, rows: list[Standing]) -> list[str]:
    """The leaderboard as aligned text lines."""
    lines = [
        f"Leaderboard {state.tag} (round {state.round}/{state.config.rounds}, {state.phase}); "
        f"baseline {_num(state.baseline_value)}",
        f"{'#':>2}  {'agent':<22} {'strategy':<20} {'exp':>4} {'keep':>4} {'crash':>5} "
        f"{'best':>10} {'runs':>4} {'posterior':>10} {'vs base':>10}  commit",
    ]
    for s in rows:
        mark = " *champion" if s.champion else ""
        if s.violations:
            mark += f" ({s.violations} violation{'s' * (s.violations > 1)}"
            mark += ", retired)" if s.retired else ")"
        delta = "-" if s.improvement is None else f"{s.improvement:+.6f}"
        post, commit = _num(s.posterior), s.best_commit or "-"
        lines.append(
            f"{s.rank:>2}  {s.agent:<22} {s.strategy:<20} {s.experiments:>4} "
            f"{s.keeps:>4} {s.crashes:>5} {_num(s.best):>10} {s.runs:>4} "
            f"{post:>10} {delta:>10}  {commit}{mark}"
        )
    lines.append(
        "ranked by the posterior mean: a best measured once is shrunk toward the baseline "
        "more than one measured several times"
    )
    return lines


def status_lines(state: State, doc: dict[str, Any]) -> list[str]:
    """``autoevolve status`` as text."""
    lines = [
        f"autoevolve {state.tag}: {state.phase}, round {state.round}/{state.config.rounds}",
        f"champion {state.champion_sha[:7]} {_num(state.champion_value)} "
        f"({state.champion_agent or 'baseline'}) on {doc['champion_branch']}; "
        f"baseline {_num(state.baseline_value)}",
    ]
    if state.verdict:
        lines.append(f"verdict: {state.verdict}")
    for a in doc["agents"]:
        lines.append(
            f"  {a['name']:<22} gpu {a['gpu']:<4} {a['state']:<9} "
            f"{a['experiments']:>3} exp {a['keeps']:>3} kept  {a['current'] or ''}"
            + (
                f"  [{a['violations']} violation(s){', retired' if a['retired'] else ''}]"
                if a["violations"]
                else ""
            )
        )
    return lines


def export_tsv(history: History) -> str:
    """The pooled rows as TSV (the file's own columns), written as ``--append`` writes a row."""
    lines = ["\t".join(history.columns)]
    for e in history.experiments:
        cells = {c: _cell(e, c, history.metric) for c in history.columns}
        lines.append(format_row(history.columns, cells, metric=history.metric))
    return "\n".join(lines) + "\n"


def _cell(e: Any, column: str, metric: str) -> str:
    """One cell; a crash's missing numbers as the format's 0.000000 / 0.0 (it reads back)."""
    fixed = {
        "commit": e.commit,
        "memory_gb": f"{e.memory_gb or 0.0:.1f}",
        "status": e.status,
        "description": e.description,
        metric: f"{e.value or 0.0:.6f}",
    }
    return fixed[column] if column in fixed else (e.get(column) or "")


def export_rows(history: History) -> list[dict[str, Any]]:
    """The pooled rows as JSON objects."""
    return [
        {
            "commit": e.commit,
            "value": e.value,
            "memory_gb": e.memory_gb,
            "status": e.status,
            "description": e.description,
            **dict(e.extra),
        }
        for e in history.experiments
    ]


def standings_json(rows: list[Standing]) -> list[dict[str, Any]]:
    return [asdict(s) for s in rows]
