"""Renderers for autosteer: text, prompt and JSON, each from the same SteerReport."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from autolab_shared.cli.output import envelope, print_lines, write_json, write_lines, write_out
from autolab_shared.core.exitcodes import ExitCode
from autolab_shared.core.vocabulary import Regime
from autolab_shared.parsing.results import History
from autolab_shared.stats.noise import NoiseFloor
from autolab_shared.steering.namedrows import NamedRow, against_best, short
from autolab_shared.steering.steer import CategoryRow, SteerReport

from . import __version__

REGIME_WORDS = {
    Regime.PROGRESSING: "progressing: keep going in the current direction",
    Regime.STUCK: "stuck: change direction",
    Regime.INCONCLUSIVE: "inconclusive: re-run before steering",
}


def write(text: str) -> None:
    """Print raw text to stdout."""
    write_out(text)


def _gain(c: CategoryRow, log: bool = True) -> str:
    """The median gain of a category's keeps: the window's in the metric's unit and in %
    ("0.00061 (0.06%)"); without keeps in the window, the whole history's ("0.012 (1.2%) in
    all");
    "- (first keep)" when the only keeps are an agent's first (nothing before them to beat);
    "-" without keeps."""
    if c.median_gain is not None:
        return _unit_and_percent(c.median_gain, c.median_delta, log)
    if not c.kept and c.median_gain_all is not None:
        return f"{_unit_and_percent(c.median_gain_all, c.median_delta_all, log)} in all"
    return "- (first keep)" if c.kept or c.kept_all else "-"


def _unit_and_percent(relative: float, delta: float | None, log: bool = True) -> str:
    """ "0.00061 (0.06%)"; on a linear scale (a value <= 0) the gain is in the metric's units
    already, and no percentage is shown."""
    if not log:
        return f"{(relative if delta is None else delta) + 0.0:.2g}"
    unit = "" if delta is None else f"{delta + 0.0:.2g} "  # (+ 0.0: no "-0")
    return f"{unit}({relative * 100 + 0.0:.2g}%)"


def _counts(c: CategoryRow, whole: bool) -> str:
    if whole:
        rate = f"{c.kept / c.tried:.0%}" if c.tried else "-"
        return f"{c.tried:>3} tried | {c.kept:>3} kept ({rate:>4})"
    rate = f"{c.kept / c.tried:.0%}" if c.tried else "-"
    return (
        f"{c.tried:>3} tried, {c.tried_all:>3} in all | {c.kept:>3} kept ({rate:>4}),"
        f" {c.kept_all:>3} in all"
    )


def table_lines(report: SteerReport) -> list[str]:
    """The category table: window counts beside whole-history ones, crashes, the median gain of
    keeps, and the label with its evidence."""
    whole = not report.window or report.window >= report.rows
    scope = (
        "all experiments"
        if whole
        else f"last {report.window} experiments; 'in all' = all {report.rows}"
    )
    lines = [f"Category analysis ({scope}):"]
    width = max((len(c.name) for c in report.categories), default=8) + 1
    for c in report.categories:
        lines.append(
            f"  {c.name + ':':<{width}} {_counts(c, whole)} | {c.crashed} crash |"
            f" median gain {_gain(c, report.noise.log):>15} |"
            f" {c.label:<7} ({c.evidence})"
        )
    return lines


def text_lines(report: SteerReport) -> list[str]:
    """The full text report."""
    lines = table_lines(report)
    lines += [
        "",
        f"Regime: {REGIME_WORDS[report.regime]} ({report.regime_reason})",
        f"Mode: {_mode_words(report)}",
    ]
    reruns = _rerun_texts(report)
    lines += reruns[:1] + [f"  R{i}. {text}" for i, text in enumerate(reruns[1:], 1)]
    after = ", after the re-runs" if report.reruns else ""
    lines.append(f"Suggested next{after}: {report.headline}")
    if report.angles:
        lines.append(f"Specific angles: {', '.join(report.angles)}")
    if not report.catalogue.applies:
        lines.append(f"Ideas: {_no_catalogue(report)}")
    for i, s in enumerate(report.suggestions, 1):
        lines.append(f"  {i}. [{s.category}] {s.text}")
        lines.append(f"     why: {s.why}")
    if report.other_examples:
        lines.append(
            f"Unclassified (other), latest: {'; '.join(d[:50] for d in report.other_examples)}"
        )
    return lines


def _no_catalogue(report: SteerReport) -> str:
    """Why train.py's idea catalogue is left out, and what is suggested instead."""
    return (
        f"none from the catalogue, which is written for Karpathy's train.py"
        f" ({report.catalogue.reason}); only this history's own knob steps and near-misses"
    )


def _rerun_texts(report: SteerReport) -> list[str]:
    """The re-runs an inconclusive regime asks for, a heading first; none without them."""
    if not report.reruns:
        return []
    n = sum(r.times for r in report.reruns)
    distinct = f" ({len(report.reruns)} distinct)" if n > len(report.reruns) else ""
    head = (
        f"Re-run first: the {n} keep(s) the regime counts{distinct}, none beyond the noise"
        f" floor ({report.noise.shown}), to tell a real gain from luck:"
    )
    return [head, *(_rerun_text(r, report.noise) for r in report.reruns)]


def _rerun_text(row: NamedRow, noise: NoiseFloor) -> str:
    times = f" {row.times} times, the newest" if row.times > 1 else ""
    what = f'{row.commit} "{short(row.description)}" [{row.category}]'
    return f"{what}: kept{times} {against_best(row, noise.sigma, noise.log)}"


def _mode_words(report: SteerReport) -> str:
    """``auto (why)`` rather than ``auto (auto: why)`` when auto kept the balanced draw."""
    reason = report.mode_reason
    if report.mode == "auto":
        reason = reason.removeprefix("auto: ")
    return f"{report.mode} ({reason})"


def prompt_lines(report: SteerReport) -> list[str]:
    """A short markdown block an agent can take as its next instruction."""
    lines = [
        "## Next experiment (autosteer)",
        "",
        f"State: {REGIME_WORDS[report.regime]} ({report.regime_reason}).",
        f"Mode: {_mode_words(report)}.",
        f"Direction: {report.headline}.",
    ]
    if report.angles:
        lines.append(f"Angles: {', '.join(report.angles)}.")
    if not report.catalogue.applies:
        lines.append(f"Ideas: {_no_catalogue(report)}.")
    lines.append("")
    reruns = _rerun_texts(report)
    lines += reruns[:1] + [f"- Re-run {text}" for text in reruns[1:]]
    if reruns:
        lines += ["", "After the re-runs:"]
    lines += [f"{i}. {s.text} ({s.category}): {s.why}" for i, s in enumerate(report.suggestions, 1)]
    lines += ["", "Describe the change as `KNOB old -> new` in results.tsv so it can be tracked."]
    return lines


def json_data(report: SteerReport, histories: Sequence[History]) -> dict[str, Any]:
    """The ``data`` of the JSON envelope (docs/json-schema.md, command ``steer``)."""
    return {
        "window": report.window,
        "experiments": report.rows,
        "histories": [h.path for h in histories],
        "categories": [
            {
                "name": c.name,
                "tried": c.tried,
                "kept": c.kept,
                "real_keeps": c.real,
                "crashed": c.crashed,
                "keep_rate": c.kept / c.tried if c.tried else None,
                "median_gain": c.median_gain,
                "median_delta": c.median_delta,
                "label": c.label,
                "evidence": c.evidence,
                "score": c.score,
                "tried_all": c.tried_all,
                "kept_all": c.kept_all,
                "keep_rate_all": c.kept_all / c.tried_all if c.tried_all else None,
                "median_gain_all": c.median_gain_all,
                "median_delta_all": c.median_delta_all,
                "gain_per_try": c.gain_per_try,
                "real_gain_per_try": c.real_gain_per_try,
            }
            for c in report.categories
        ],
        "regime": report.regime,
        "regime_reason": report.regime_reason,
        "mode": report.mode,
        "mode_reason": report.mode_reason,
        "headline": report.headline,
        "angles": list(report.angles),
        "catalogue": {"applies": report.catalogue.applies, "reason": report.catalogue.reason},
        "suggestions": [
            {
                "category": s.category,
                "text": s.text,
                "why": s.why,
                "idea": s.idea,
                "knob": s.knob,
                "value": s.value,
                "rows": [_row_data(r) for r in s.rows],
                "after_reruns": s.after_reruns,
            }
            for s in report.suggestions
        ],
        "reruns": [_row_data(r) for r in report.reruns],
        "noise": {
            "sigma_relative": report.noise.sigma,
            "scale": "log" if report.noise.log else "linear",
            "df": report.noise.df,
            "source": report.noise.source,
        },
        "unclassified": list(report.other_examples),
    }


def _row_data(row: NamedRow) -> dict[str, Any]:
    return {
        "experiment": row.experiment,
        "commit": row.commit,
        "description": row.description,
        "category": row.category,
        "gain": row.gain,
        "delta": row.delta,
        "times": row.times,
    }


def output(
    report: SteerReport, histories: Sequence[History], fmt: str, quiet: bool, no_color: bool
) -> ExitCode:
    """Render the report in the chosen format and return the regime's exit code."""
    code = report.exit_code
    if fmt == "json":
        warnings = [w.to_dict() for h in histories for w in h.warnings]
        write_json(
            envelope(
                tool="autosteer",
                tool_version=__version__,
                command="steer",
                exit_code=code,
                data=json_data(report, histories),
                warnings=warnings,
            )
        )
    elif fmt == "prompt":
        write_lines(prompt_lines(report))
    elif quiet:
        first = report.suggestions[0].text if report.suggestions else report.headline
        if report.reruns:
            first = f"re-run {_rerun_text(report.reruns[0], report.noise)}"
        write_lines([f"{report.regime}: {first}"])
    else:
        print_lines(text_lines(report), no_color=no_color)
    return code
