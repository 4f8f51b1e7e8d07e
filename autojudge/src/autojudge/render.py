"""Renderers for autojudge: one per output format, each from the same Report."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from autolab_shared.exitcodes import ExitCode
from autolab_shared.output import dumps, envelope, print_lines, write_out
from autolab_shared.runlog import RunLog
from autolab_shared.summary import (
    HistorySummary,
    fmt_value,
    quiet_summary,
    summary_json,
    summary_lines,
    warning_lines,
)

from . import __version__


@dataclass(frozen=True)
class Report:
    """Everything one autojudge invocation shows."""

    summary: HistorySummary
    run: RunLog | None

    @property
    def warnings(self) -> list[Any]:
        """Parse warnings of the results file, then of the run.log."""
        return list(self.summary.warnings) + list(self.run.warnings if self.run else ())


def _run_lines(run: RunLog, metric: str) -> list[str]:
    if run.crash is not None:
        return [f"  candidate {run.path}: CRASH ({run.crash.kind}) {run.crash.detail}"]
    memory = "n/a" if run.memory_gb is None else f"{run.memory_gb:.1f} GB"
    value = fmt_value(run.metric(metric))
    return [f"  candidate {run.path}: {metric} {value}, peak memory {memory}"]


def text_lines(report: Report) -> list[str]:
    """The full text report, line by line (no styling)."""
    lines = summary_lines(report.summary)
    if report.run is not None:
        lines.extend(_run_lines(report.run, report.summary.metric))
    lines.extend(warning_lines(report.warnings))
    lines.append("  verdict: none (this release summarises; it does not judge yet)")
    return lines


def text_report(report: Report, *, quiet: bool, no_color: bool) -> None:
    """Print the text report (or its one-line form) to stdout."""
    if quiet:
        write_out(quiet_summary(report.summary))
        return
    print_lines(text_lines(report), no_color=no_color)


def _run_data(run: RunLog | None, metric: str) -> dict[str, Any] | None:
    if run is None:
        return None
    crash = None if run.crash is None else {"kind": run.crash.kind, "detail": run.crash.detail}
    return {
        "path": run.path,
        "value": run.metric(metric),
        "memory_gb": run.memory_gb,
        "crash": crash,
        "summary": dict(run.summary),
    }


def json_report(report: Report) -> None:
    """Print the versioned JSON envelope to stdout."""
    data = summary_json(report.summary)
    data["run"] = _run_data(report.run, report.summary.metric)
    data["verdict"] = None
    doc = envelope(
        tool="autojudge",
        tool_version=__version__,
        command="summary",
        exit_code=ExitCode.KEEP,
        data=data,
        warnings=[w.to_dict() for w in report.warnings],
    )
    write_out(dumps(doc))
