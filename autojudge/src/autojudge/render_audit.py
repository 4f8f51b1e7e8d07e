"""Renderers for ``autojudge --all``: every experiment's verdict and the FDR-controlled keeps."""

from __future__ import annotations

import math
import shlex
from typing import Any

from autolab_shared.cli.output import envelope, print_lines, write_json, write_out
from autolab_shared.core.exitcodes import ExitCode
from autolab_shared.core.vocabulary import NightVerdict, Verdict, WarningCode
from autolab_shared.parsing.commits import is_commit_hash
from autolab_shared.parsing.metrics import MAX
from autolab_shared.parsing.replicates import Config
from autolab_shared.parsing.results import History
from autolab_shared.report.sparkline import sparkline
from autolab_shared.stats.audit import (
    AUDIT_RERUNS,
    P_NIGHT_NONE,
    P_NIGHT_REAL,
    Audit,
    AuditRow,
    night_p,
)
from autolab_shared.stats.noise import SIGMA0
from autolab_shared.stats.nullnoise import MIN_PAIRS

from . import __version__
from .render import confidence_text, noise_source

NIGHT = {0: "REAL IMPROVEMENT", 1: "NO REAL IMPROVEMENT", 2: "NOT ENOUGH SIGNAL"}
SPARK_WIDTH = 60
NIGHT_WORD = {int(v.exit_code): v for v in NightVerdict}


# where each row's noise floor came from, as the night went (NoiseFloor.source)
FLOOR_FROM = {
    "default": "(assumed)",
    "history": "(history)",
    "replicates": "(replicates)",
    "window": "(replicates)",
    "replicates+history": "(replicates, history)",
    "window+history": "(replicates, history)",
    "given": "(given)",
}


def _name(row: AuditRow) -> str:
    return _experiment(row.config)


def _experiment(config: Config) -> str:
    return f"experiment_{config.first.index + 1:03d}"


def _best_left_behind(audit: Audit) -> list[str]:
    """A line when the best row as written is not the final incumbent the verdict judges: the
    night kept other changes after it (a new track, a reset), so the two lines differ."""
    best, final = audit.best_raw_row, audit.best
    if best is None or final is None or audit.holds_best(final):
        return []  # (the final incumbent holds the best value too: a tie is no news)
    first, last = best.config.first, final.first
    return [
        f"  the best row as written, {_name(best)} {first.commit} {first.description}, is not"
        f" the final incumbent: the night kept other changes after it, up to"
        f" {_experiment(final)} {last.commit} {last.description}; the verdict below judges"
        " that one"
    ]


def _row_lines(row: AuditRow, history: History, audit: Audit) -> list[str]:
    a = row.assessment
    first = row.config.first
    tag = f"{first.commit or '-'} {first.description}".strip()
    if not row.config.valued:  # as the single call says it: P(better) 0 (nothing to keep)
        return [f"{_name(row)}: {Verdict.CRASH} (confidence: 0.00, exit {row.exit_code})  [{tag}]"]
    if a is None and row.opening is None:
        return [f"{_name(row)}: {Verdict.BASELINE}  [{tag}]"]
    if a is None:  # the baseline's row: nothing to beat; a first run asks to be run again
        why = ", re-run it once to measure the noise" if row.exit_code == 2 else ""
        return [f"{_name(row)}: {row.verdict} (exit {row.exit_code})  [baseline{why}: {tag}]"]
    label = "kept" if row.kept else "not kept"
    at = float(row.config.x(audit.scale).mean()) - a.delta  # the incumbent estimate, as judged
    delta = audit.scale.delta_y(a.delta, at)
    noise = audit.scale.spread_y(row.sigma, at)  # the floor this verdict was judged with
    lines = [
        f"{_name(row)}: {a.verdict} (confidence: {confidence_text(a)}, exit {row.exit_code})"
        f"  [{label}: {tag}]",
        f"  {history.metric} delta vs the incumbent estimate: {delta:+.4f}"
        f" | noise floor: ±{noise:.4f} {FLOOR_FROM.get(row.noise_source, '')}".rstrip(),
    ]
    if row.kept and row.p_value is not None:
        bh = "survives" if row.survives_bh else "fails"
        eb = "survives" if row.survives_eb else "fails"
        lines.append(f"  fdr: {bh} BH (p={row.p_value:.3g}), {eb} EB (lfdr={row.lfdr:.2f})")
    return lines


def audit_lines(audit: Audit, history: History) -> list[str]:
    """Every experiment, then the survivors and the night's verdict."""
    keeps = [r for r in audit.rows if r.kept and r.assessment is not None]
    lines = [
        f"Audit of {history.path}: {len(history.experiments)} experiments,"
        f" {len(keeps)} keeps after the baseline ({history.metric})",
        spark_line(history),
    ]
    lines += [
        f"  note: {w.reason}" for w in history.warnings if w.code == WarningCode.COMMIT_REUSED
    ]
    for row in audit.rows:
        lines.extend(_row_lines(row, history, audit))
    lines.append("")
    lines.extend(summary_lines(audit, keeps))
    return lines


def spark_line(history: History) -> str:
    """The metric over the experiments as a unicode sparkline (crashes are gaps)."""
    values = [e.value for e in history.experiments]
    high = history.direction == MAX
    line = sparkline(values, width=SPARK_WIDTH, higher_better=high)
    per = len(values) / SPARK_WIDTH
    each = f"; best of ~{per:.0f} per mark" if per > 1 else ""
    better = "higher" if high else "lower"
    return f"  {line}  {history.metric}, {better} is better; gap = crash{each}"


def _assumed_rows(audit: Audit) -> list[str]:
    """Which rows were judged under the assumed default floor (as the night went), if any."""
    assumed = [r for r in audit.rows if r.assessment is not None and r.noise_source == "default"]
    if not assumed or audit.noise.source == "default":
        return []
    return [
        f"  {len(assumed)} rows, up to {_name(assumed[-1])}, were judged as the night went under"
        f" the assumed default floor ({SIGMA0:.1%}, marked 'assumed'): before them the history"
        f" had no replicates and fewer than {MIN_PAIRS} differences of consecutive non-kept rows"
    ]


def summary_lines(audit: Audit, keeps: list[AuditRow]) -> list[str]:
    """The conclusion block of the audit."""
    bh = [r for r in keeps if r.survives_bh]
    eb = [r for r in keeps if r.survives_eb]
    assumed = " (under the ASSUMED default noise floor)" if audit.noise.source == "default" else ""
    lines = [
        f"noise floor: {noise_source(audit.noise)}",
        *_assumed_rows(audit),
        *tally_lines(audit, keeps),
        f"keeps surviving false-discovery control (q = {audit.q:.2f}){assumed}:"
        f" Benjamini-Hochberg {len(bh)} of {len(keeps)}, empirical Bayes {len(eb)} of {len(keeps)}",
    ]
    lines += [
        f"  {_name(r)} {r.config.first.commit} {r.config.first.description}" for r in eb or bh
    ]
    if audit.raw_improvement is not None and audit.baseline is not None:
        lines.append(
            f"best vs baseline as written: {audit.raw_improvement:+.4f}"
            f" ({audit.best_raw:.6f} vs {audit.baseline.valued[0].value:.6f})"
        )
    lines += _best_left_behind(audit)
    gain, p_real = audit.improvement, audit.p_real
    if gain is not None and p_real is not None and audit.improvement_ci90 is not None:
        lo, hi = audit.improvement_ci90
        lines.append(
            f"final incumbent vs baseline (posterior, shrunk for noise):"
            f" {gain:+.4f} (90% interval {lo:+.4f} .. {hi:+.4f}),"
            f" P(real improvement) = {night_p(p_real)}"
        )
    rule = f"exit 0 when P(real improvement) >= {P_NIGHT_REAL}, 1 when <= {P_NIGHT_NONE}, else 2"
    lines.append(
        f"night's verdict: {NIGHT[audit.exit_verdict]} (exit {audit.exit_verdict}; {rule})"
    )
    lines.extend(_rerun_advice(audit))
    return lines


LOW_P = 0.05  # a p-value a reader takes for "significant"
SURE_NOT = 0.10  # below this confidence a discard is not a close call
HALF = 0.5  # no exit 0 below this confidence


def tally_lines(audit: Audit, keeps: list[AuditRow]) -> list[str]:
    """What the single call said row by row, and what became of the rows the file kept."""
    words = {0: "keep", 1: "discard", 2: "retest"}
    judged = [r for r in audit.rows if r.assessment is not None or r.opening is not None]
    crashes = sum(not r.config.valued for r in audit.rows)
    said = ", ".join(
        f"{sum(r.exit_code == c for r in judged)} {words[c]} (exit {c})" for c in (0, 2, 1)
    )
    lines = [f"verdicts as the night went (the single call at each row): {said}, {crashes} crash"]
    if not keeps:
        return lines
    held = sum(r.exit_code == 0 for r in keeps)
    rerun = sum(r.exit_code == 2 for r in keeps)
    dropped = [r for r in keeps if r.exit_code == 1]
    sure = sum(r.assessment is not None and r.assessment.p_improve < SURE_NOT for r in dropped)
    sure_text = f" ({sure} of them at confidence < {SURE_NOT:.2f})" if dropped else ""
    lines.append(
        f"the file's {len(keeps)} keeps, judged here: {held} keep, {rerun} retest,"
        f" {len(dropped)} discard{sure_text}"
    )
    return lines + _prior_note(audit, keeps)


def _prior_note(audit: Audit, keeps: list[AuditRow]) -> list[str]:
    """Why a kept row can have p < 0.05 beside a hindsight P(better) below one half (both
    columns are hindsight: the whole night's σ̂ and prior)."""
    odd = sum(
        r.p_value is not None and r.lfdr is not None and r.p_value < LOW_P and r.lfdr > HALF
        for r in keeps
    )
    if not odd or audit.prior_null is None or audit.prior_better is None:
        return []
    return [
        f"  {odd} of them with p < {LOW_P} but lfdr > {HALF:.2f} (in hindsight P(better) <"
        f" {HALF:.2f}): p tests 'no effect' alone; lfdr weighs the effect prior fitted to the"
        f" whole night, which puts {audit.prior_null:.0%} of its changes at no effect and"
        f" {audit.prior_better:.0%} at a gain of one noise sd or more"
    ]


def _rerun_advice(audit: Audit) -> list[str]:
    if audit.noise.source != "default" or audit.best is None:
        return []
    best = audit.best.first
    commit = best.commit if is_commit_hash(best.commit) else ""
    checkout = (
        f"  git checkout {commit}"
        if commit
        else (
            f"  # experiment {best.index} ({best.description[:50]!r}) has no commit hash in the"
            f" file ({best.commit or 'empty'!r}): check out the code it ran by hand, commit it,"
            " and use that hash below"
        )
    )
    commit = commit or "<its commit>"
    again = shlex.quote(f"{best.description} (rerun)".strip())
    return [
        f"no replicates: an honest audit needs about {AUDIT_RERUNS} re-runs of the final commit:",
        checkout,
        f"  for i in $(seq {AUDIT_RERUNS}); do uv run train.py > run.log 2>&1;"
        f" autojudge --results results.tsv --run run.log --commit {commit}"
        f" --description {again} --append; done",
    ]


def audit_data(audit: Audit, history: History) -> dict[str, Any]:
    """The ``data`` of the JSON envelope for ``--all``."""
    rows = [_row_data(r) for r in audit.rows]
    return {
        "results": history.path,
        "metric": history.metric,
        "direction": history.direction,
        "scale": "log" if audit.scale.log else "linear",
        "experiments": rows,
        "q": audit.q,
        "noise": {
            "sigma_relative": audit.noise.sigma,
            "df": audit.noise.df if math.isfinite(audit.noise.df) else None,
            "source": audit.noise.source,
            "groups": audit.noise.groups,
            "estimator": audit.noise.estimator,
            "values": audit.noise.values,
            "null_pairs": audit.noise.null.pairs if audit.noise.null else 0,
        },
        "best_raw": audit.best_raw,
        "best_raw_experiment": _name(best) if (best := audit.best_raw_row) else None,
        "final_experiment": _experiment(audit.best) if audit.best is not None else None,
        "improvement_raw": audit.raw_improvement,
        "survivors_bh": [r["commit"] for r in rows if r["survives_bh"]],
        "survivors_eb": [r["commit"] for r in rows if r["survives_eb"]],
        "improvement": audit.improvement,
        "improvement_ci90": list(audit.improvement_ci90) if audit.improvement_ci90 else None,
        "p_real": audit.p_real,
        "verdict": NIGHT_WORD[audit.exit_verdict],
        "reruns_needed": AUDIT_RERUNS if audit.noise.source == "default" else 0,
        "prior_null": audit.prior_null,
        "prior_better": audit.prior_better,
    }


def _row_data(row: AuditRow) -> dict[str, Any]:
    a = row.assessment
    first = row.config.first
    return {
        "experiment": _name(row),
        "commit": first.commit,
        "description": first.description,
        "line": first.line,
        "runs": len(row.config.valued),
        "kept": row.kept,
        "verdict": row.verdict,
        "exit_code": row.exit_code,
        "confidence": a.p_improve if a else (0.0 if not row.config.valued else None),
        "delta_relative": a.delta if a else None,
        "sigma_relative": row.sigma if math.isfinite(row.sigma) else None,
        "noise_source": row.noise_source or None,
        "p_value": row.p_value,
        "lfdr": row.lfdr,
        "survives_bh": row.survives_bh,
        "survives_eb": row.survives_eb,
    }


def audit_output(audit: Audit, history: History, fmt: str, quiet: bool, no_color: bool) -> ExitCode:
    """Render the audit and return the night's exit code."""
    code = ExitCode(audit.exit_verdict)
    if fmt == "json":
        doc = envelope(
            tool="autojudge",
            tool_version=__version__,
            command="audit",
            exit_code=code,
            data=audit_data(audit, history),
            warnings=[w.to_dict() for w in history.warnings],
        )
        write_json(doc)
    elif quiet:
        keeps = [r for r in audit.rows if r.kept and r.assessment is not None]
        eb = sum(r.survives_eb for r in keeps)
        write_out(f"{NIGHT[audit.exit_verdict]}: {eb} of {len(keeps)} keeps survive FDR control")
    else:
        print_lines(audit_lines(audit, history), no_color=no_color)
    return code
