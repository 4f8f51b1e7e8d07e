"""Renderers for autojudge: text, one-line and JSON, each from the same result object."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from autolab_shared.decision import Assessment
from autolab_shared.diagnostics import ParseWarning
from autolab_shared.exitcodes import ExitCode
from autolab_shared.judge import Judgement
from autolab_shared.noise import NoiseFloor
from autolab_shared.output import envelope, print_lines, write_json, write_lines

from . import __version__

REASONS = {
    "expected_gain": "positive expected gain over the incumbent",
    "no_expected_gain": "no expected gain over the incumbent",
    "evsi": "delta within noise -> not enough signal",
    "calibrate": "too few replicates to trust a single run: re-run it (calibrates the noise floor)",
    "memory": "over the --max-memory-gb cap",
    "memory_penalty": "memory growth priced in (--memory-rate)",
    "non_inferior": "a simplification that is not worse (non-inferiority)",
    "baseline": "the baseline: nothing to compare with yet",
    "runlog_cut": "run.log's last summary is cut mid-line; an earlier complete one was judged:"
    " re-run it",
}
STYLE = {"STRONG_KEEP": "bold green", "KEEP": "green", "MARGINAL": "yellow", "RETEST": "yellow",
         "DISCARD": "red", "CRASH": "bold red"}  # fmt: skip


def _num(value: float | None, digits: int = 4, sign: bool = False) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:+.{digits}f}" if sign else f"{value:.{digits}f}"


def _confidence(a: Assessment) -> str:
    return "n/a" if not math.isfinite(a.p_improve) else f"{a.p_improve:.2f}"


def noise_source(noise: NoiseFloor) -> str:
    """Where the noise floor came from, in words."""
    if noise.source == "given":
        return "given with --noise"
    if noise.source == "default":
        return "default prior (0.1% of the metric): no replicates yet"
    what = "latest" if noise.source == "window" else "all"
    return (f"pooled sd of {what} {noise.groups} replicate group(s), {noise.values} runs,"
            f" df {noise.df:g}")  # fmt: skip


def verdict_lines(j: Judgement) -> list[str]:
    """The seed's three-line shape, then the evidence behind it."""
    a = j.assessment
    lines = [f"{j.name}: {a.verdict} (confidence: {_confidence(a)})"]
    if j.crash is not None:
        lines.append(
            f"  crash class: {j.crash}" + (f" ({j.crash_detail})" if j.crash_detail else "")
        )
    else:
        lines.append(
            f"  {j.metric} delta: {_num(j.delta, sign=True)} | noise floor: ±{_num(j.noise_metric)}"
        )
    if j.pareto is not None:
        above = f" (dominated by {', '.join(j.dominated_by[:3])})" if j.dominated_by else ""
        lines.append(f"  pareto status: {j.pareto}{above}")
    lines.extend(
        f"  {REASONS.get(r, r)}" for r in a.reasons if r in REASONS and r != "expected_gain"
    )
    lines.extend(_evidence(j))
    lines.extend(f"  warning: {w}" for w in j.warnings)
    return lines


def _evidence(j: Judgement) -> list[str]:
    a = j.assessment
    name = f"{j.commit or '(no commit)'}" + (f' "{j.description}"' if j.description else "")
    lines = [f"  candidate: {name}"]
    if j.value is not None:
        mem = "" if j.memory_gb is None else f", {j.memory_gb:.1f} GB"
        lines.append(
            f"    {j.metric} {j.value:.6f} ({j.runs} run{'s' if j.runs != 1 else ''}{mem})"
        )
    if j.incumbent is not None:
        inc = j.incumbent
        lines.append(
            f'  incumbent: {inc.commit or "(label)"} "{inc.description}" (line {inc.line})'
        )
        raw = "" if inc.raw_best is None else f", raw best {inc.raw_best:.6f}"
        lines.append(f"    {j.metric} {inc.mean:.6f} ± {inc.sd:.6f} (posterior){raw}")
    lines.append(f"  noise floor: {noise_source(j.noise)}")
    if math.isfinite(a.expected_gain):
        lo, hi = a.ci90
        lines.append(
            f"  expected gain {a.expected_gain * 100:+.3f}% | 90% interval of the effect"
            f" {lo * 100:+.3f}% .. {hi * 100:+.3f}% | z {a.z:+.2f}"
        )
    return lines


def quiet_line(j: Judgement) -> str:
    """One line: verdict, confidence, value, delta and noise floor."""
    a = j.assessment
    value = "crash" if j.value is None else f"{j.value:.6f}"
    return (f"{a.verdict} {_confidence(a)} {j.metric} {value} delta {_num(j.delta, sign=True)}"
            f" ±{_num(j.noise_metric)} ({j.commit or '-'})")  # fmt: skip


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def verdict_data(j: Judgement) -> dict[str, Any]:
    """The ``data`` of the JSON envelope for a verdict (docs/json-schema.md)."""
    a = j.assessment
    inc = j.incumbent
    return {
        "experiment": j.name, "commit": j.commit, "description": j.description,
        "metric": j.metric, "direction": j.direction, "verdict": a.verdict,
        "confidence": _finite(a.p_improve), "p_improve": _finite(a.p_improve),
        "expected_gain": _finite(a.expected_gain), "ci90": list(a.ci90), "z": _finite(a.z),
        "value": j.value, "delta": j.delta, "n_runs": j.runs, "memory_gb": j.memory_gb,
        "noise": _noise_data(j.noise, j.noise_metric),
        "incumbent": None if inc is None else {
            "commit": inc.commit, "description": inc.description, "line": inc.line,
            "mean": inc.mean, "sd": inc.sd, "raw_best": inc.raw_best, "memory_gb": inc.memory_gb},
        "pareto": j.pareto, "dominated_by": list(j.dominated_by),
        "evsi": a.evsi, "slot_value": a.slot_value,
        "prior": {"pi_null": j.prior.pi_null, "pi_better": j.prior.pi_better,
                  "n_fit": j.prior.n_fit},
        "crash": None if j.crash is None else {"kind": j.crash, "detail": j.crash_detail},
        "reasons": list(a.reasons), "next_action": a.next_action, "notes": list(j.warnings),
    }  # fmt: skip


def _noise_data(noise: NoiseFloor, metric_units: float) -> dict[str, Any]:
    return {
        "sigma": metric_units, "sigma_relative": noise.sigma, "df": _finite(noise.df),
        "source": noise.source, "estimator": noise.estimator, "groups": noise.groups,
        "values": noise.values, "robust_sigma_relative": noise.robust_sigma,
    }  # fmt: skip


def verdict_output(
    j: Judgement, fmt: str, quiet: bool, no_color: bool, warnings: Sequence[ParseWarning] = ()
) -> ExitCode:
    """Render a verdict in the chosen format and return its exit code."""
    code = j.assessment.exit_code
    if fmt == "json":
        doc = envelope(tool="autojudge", tool_version=__version__, command="judge",
                       exit_code=code, data=verdict_data(j),
                       warnings=[w.to_dict() for w in warnings])  # fmt: skip
        write_json(doc)
    elif quiet:
        write_lines([quiet_line(j)])
    else:
        print_lines(verdict_lines(j) + _warning_summary(warnings), no_color=no_color,
                    style=STYLE.get(j.verdict))  # fmt: skip
    return code


def _warning_summary(warnings: Sequence[ParseWarning]) -> list[str]:
    if not warnings:
        return []
    codes = sorted({w.code for w in warnings})
    return [f"  parse warnings: {len(warnings)} ({', '.join(codes)}; --format json lists them)"]
