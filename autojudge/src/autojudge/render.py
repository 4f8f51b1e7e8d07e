"""Renderers for autojudge: text, one-line and JSON, each from the same result object."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from autolab_shared.cli.output import envelope, print_lines, write_json, write_lines
from autolab_shared.core.diagnostics import ParseWarning
from autolab_shared.core.exitcodes import ExitCode
from autolab_shared.core.vocabulary import Reason, Status, Verdict
from autolab_shared.stats.decision import Assessment, shown
from autolab_shared.stats.judge import Judgement
from autolab_shared.stats.noise import NoiseFloor
from autolab_shared.stats.nullnoise import NullNoise

from . import __version__

REASONS: dict[str, str] = {
    Reason.EXPECTED_GAIN: "likely better than the incumbent (P(better) >= 0.55)",
    Reason.NO_EXPECTED_GAIN: "not likely enough to be better than the incumbent (P(better) < 0.55,"
    " or no re-run affordable)",
    Reason.WITHIN_NOISE: "within the noise floor of the incumbent: re-run it before deciding",
    Reason.CALIBRATE: "too few replicates for a trusted noise floor: re-run this commit once"
    " (a keep stands; the re-run measures the noise)",
    Reason.MEMORY: "over the --max-memory-gb budget",
    Reason.MEMORY_PENALTY: "memory decides: the gain does not clearly pay for the memory growth",
    Reason.NON_INFERIOR: "a simplification that is not worse (non-inferiority)",
    Reason.BASELINE: "the baseline: nothing to compare with yet",
    Reason.RUNLOG_CUT: "run.log's last summary is cut mid-line; an earlier complete one was judged:"
    " re-run it",
}
STYLE = {
    Verdict.STRONG_KEEP: "bold green",
    Verdict.KEEP: "green",
    Verdict.MARGINAL: "yellow",
    Verdict.RETEST: "yellow",
    Verdict.DISCARD: "red",
    Verdict.CRASH: "bold red",
}


def _num(value: float | None, digits: int = 4, sign: bool = False) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:+.{digits}f}" if sign else f"{value:.{digits}f}"


def confidence_text(a: Assessment) -> str:
    """P(better) as printed beside a label (`decision.shown`), or n/a (a baseline)."""
    return "n/a" if not math.isfinite(a.p_improve) else shown(a.p_improve)


def _pct(x: float) -> str:
    return f"{x * 100:.2f}%"


def memory_line(j: Judgement) -> str | None:
    """Memory growth in numbers, and what gain would pay for it (None when not known)."""
    a, inc = j.assessment, j.incumbent
    if "memory" in a.reasons and a.memory_cap_gb is not None and j.memory_gb is not None:
        return (
            f"  memory decides: {j.memory_gb:.1f} GB is over the --max-memory-gb budget of"
            f" {a.memory_cap_gb:.1f} GB, whatever the gain"
        )
    growth = a.memory_growth
    if growth is None or inc is None or inc.memory_gb is None or j.memory_gb is None:
        return None
    if abs(growth) < 0.01:
        return None
    raw = raw_delta(j)
    measured = f"{raw / inc.raw_best * 100:+.2f}% measured, " if raw and inc.raw_best else ""
    gain = f"{a.expected_gain * 100:.2f}%" if math.isfinite(a.expected_gain) else "n/a"
    head = (
        f"  memory: {inc.memory_gb:.1f} -> {j.memory_gb:.1f} GB ({growth * 100:+.0f}%)"
        f" for {j.metric} {measured}expected gain {gain}"
    )
    if growth <= 0:
        return head
    if "memory_penalty" in a.reasons or (a.required_gain > 0 and math.isfinite(a.p_required)):
        need = _pct(a.required_gain)
        if "memory_penalty" in a.reasons:
            head = head.replace("  memory:", "  memory decides:", 1)
        return (
            f"{head}; at --memory-rate {a.required_gain / growth:.3g} a keep needs a gain of"
            f" >= {need}: P(gain >= {need}) = {a.p_required:.2f}"
        )
    return (
        f"{head}; not priced (--memory-rate 0); at --memory-rate 0.01 it would need a gain"
        f" of >= {_pct(0.01 * growth)}"
    )


def noise_source(noise: NoiseFloor) -> str:
    """Where the noise floor came from, in words: estimator and sample size. On a linear scale
    (`noise.log` False: a value <= 0 in the file) σ is in the metric's units, not relative."""
    log = noise.log
    if noise.source == "given":
        return "given with --noise"
    if noise.source == "default":
        prior = "0.1% of the metric" if log else f"{noise.sigma:g} in the metric's units"
        return (
            f"ASSUMED default prior ({prior}): no replicates and too few"
            " non-kept rows for an estimate from the history"
        )
    parts = []
    if noise.groups:
        what = "latest" if noise.source.startswith("window") else "all"
        parts.append(f"pooled sd of {what} {noise.groups} replicate group(s), {noise.values} runs")
    if noise.null is not None and "history" in noise.source:
        parts.append(f"empirical null of the history ({_null_reading(noise.null, log)})")
    return f"{' + '.join(parts)}; {_working(noise.sigma, log)}, df {noise.df:.1f}"


def _working(x: float, log: bool, *, sign: bool = False) -> str:
    """A working-scale amount: relative, in %, on a log scale; in the metric's units on a
    linear one (a file with a value <= 0)."""
    if log:
        return f"{x * 100:{'+' if sign else ''}.3f}%" + ("" if sign else " relative")
    return f"{x:{'+' if sign else ''}.4g}" + ("" if sign else " in the metric's units")


def _null_reading(null: NullNoise, log: bool = True) -> str:
    """How the empirical null was read, with its figures."""
    pairs = f"{null.pairs} differences of consecutive non-kept rows"
    sigma = f"{null.sigma * 100:.3f}%" if log else f"{null.sigma:.4g}"
    if null.lrt is None:
        return f"1.4826*MAD/sqrt(2) of {pairs}: {sigma}"
    return (
        f"the narrow scale of a two-scale fit to {pairs}, {null.share:.0%} of them,"
        f" likelihood ratio {null.lrt:.0f} against one scale: {sigma}"
    )


def verdict_lines(j: Judgement) -> list[str]:
    """The seed's three-line shape, then the evidence behind it."""
    a = j.assessment
    lines = [f"{j.name}: {a.verdict} (confidence: {confidence_text(a)})"]
    if j.crash is not None:
        lines.append(
            f"  crash class: {j.crash}" + (f" ({j.crash_detail})" if j.crash_detail else "")
        )
    else:
        lines.append(f"  {j.metric} delta: {_delta_text(j)} | noise floor: ±{_num(j.noise_metric)}")
    if math.isfinite(a.p_improve):
        lines.append(f"  confidence = P(truly better than the incumbent) = {shown(a.p_improve)}")
    mem = memory_line(j)
    if mem is not None:
        lines.append(mem)
    if j.pareto is not None:
        above = f" (dominated by {', '.join(j.dominated_by[:3])})" if j.dominated_by else ""
        lines.append(f"  pareto status: {j.pareto}{above}")
    penalty = Reason.MEMORY_PENALTY in a.reasons
    quiet = {Reason.EXPECTED_GAIN} | ({Reason.NO_EXPECTED_GAIN} if penalty else set())
    lines.extend(f"  {REASONS.get(r, r)}" for r in a.reasons if r in REASONS and r not in quiet)
    lines.extend(_evidence(j))
    lines.extend(f"  warning: {w}" for w in j.warnings)
    return lines


def raw_delta(j: Judgement) -> float | None:
    """Candidate value − the best value in the file (what the user sees), metric units."""
    inc = j.incumbent
    if j.value is None or inc is None or inc.raw_best is None:
        return None
    return j.value - inc.raw_best


def _delta_text(j: Judgement) -> str:
    raw = raw_delta(j)
    est = f"{_num(j.delta, sign=True)} vs the incumbent estimate"
    if raw is None:
        return est
    return f"{raw:+.4f} vs raw best {j.incumbent.raw_best:.6f} ({est})"  # type: ignore[union-attr]


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
        nil = " (most likely no effect)" if max(abs(lo), abs(hi)) < 5e-6 else ""
        log = j.log_scale
        units = "" if log else f" ({j.metric} units: linear scale)"
        lines.append(
            f"  expected gain {_working(a.expected_gain, log, sign=True)} | 90% interval of the"
            f" effect {_working(lo, log, sign=True)} .. {_working(hi, log, sign=True)}{nil}"
            f"{units} | z {a.z:+.2f}"
        )
    return lines


def quiet_line(j: Judgement) -> str:
    """One line: verdict, confidence, value, delta and noise floor."""
    a = j.assessment
    value = Status.CRASH if j.value is None else f"{j.value:.6f}"
    return (
        f"{a.verdict} {confidence_text(a)} {j.metric} {value} delta {_num(j.delta, sign=True)}"
        f" ±{_num(j.noise_metric)} ({j.commit or '-'})"
    )


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def verdict_data(j: Judgement) -> dict[str, Any]:
    """The ``data`` of the JSON envelope for a verdict (docs/json-schema.md)."""
    a = j.assessment
    inc = j.incumbent
    return {
        "experiment": j.name,
        "commit": j.commit,
        "description": j.description,
        "metric": j.metric,
        "direction": j.direction,
        "scale": "log" if j.log_scale else "linear",
        "verdict": a.verdict,
        "confidence": _finite(a.p_improve),
        "p_improve": _finite(a.p_improve),
        Reason.EXPECTED_GAIN: _finite(a.expected_gain),
        "ci90": list(a.ci90),
        "z": _finite(a.z),
        "value": j.value,
        "delta": j.delta,
        "delta_raw_best": raw_delta(j),
        "n_runs": j.runs,
        "memory_gb": j.memory_gb,
        "memory_growth": a.memory_growth,
        "required_gain": a.required_gain,
        "p_required": _finite(a.p_required),
        "noise": _noise_data(j.noise, j.noise_metric),
        "incumbent": None
        if inc is None
        else {
            "commit": inc.commit,
            "description": inc.description,
            "line": inc.line,
            "mean": inc.mean,
            "sd": inc.sd,
            "raw_best": inc.raw_best,
            "memory_gb": inc.memory_gb,
        },
        "pareto": j.pareto,
        "dominated_by": list(j.dominated_by),
        "evsi": a.evsi,
        "slot_value": a.slot_value,
        "prior": {
            "pi_null": j.prior.pi_null,
            "pi_better": j.prior.pi_better,
            "n_fit": j.prior.n_fit,
        },
        "crash": None if j.crash is None else {"kind": j.crash, "detail": j.crash_detail},
        "reasons": list(a.reasons),
        "next_action": a.next_action,
        "notes": list(j.warnings),
    }


def _noise_data(noise: NoiseFloor, metric_units: float) -> dict[str, Any]:
    return {
        "sigma": metric_units,
        "sigma_relative": noise.sigma,
        "df": _finite(noise.df),
        "source": noise.source,
        "estimator": noise.estimator,
        "groups": noise.groups,
        "values": noise.values,
        "robust_sigma_relative": noise.robust_sigma,
        "null_pairs": noise.null.pairs if noise.null else 0,
        "null_sigma_relative": noise.null.sigma if noise.null else None,
    }


def verdict_output(
    j: Judgement, fmt: str, quiet: bool, no_color: bool, warnings: Sequence[ParseWarning] = ()
) -> ExitCode:
    """Render a verdict in the chosen format and return its exit code."""
    code = j.assessment.exit_code
    if fmt == "json":
        doc = envelope(
            tool="autojudge",
            tool_version=__version__,
            command="judge",
            exit_code=code,
            data=verdict_data(j),
            warnings=[w.to_dict() for w in warnings],
        )
        write_json(doc)
    elif quiet:
        write_lines([quiet_line(j)])
    else:
        print_lines(
            verdict_lines(j) + _warning_summary(warnings),
            no_color=no_color,
            style=STYLE.get(j.verdict),
        )
    return code


def _warning_summary(warnings: Sequence[ParseWarning]) -> list[str]:
    if not warnings:
        return []
    codes = sorted({w.code for w in warnings})
    return [f"  parse warnings: {len(warnings)} ({', '.join(codes)}; --format json lists them)"]
