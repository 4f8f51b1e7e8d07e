"""``autojudge --html``: one self-contained HTML page (charts as base64 PNG, no scripts, no links).

Every piece of text from the inputs goes through :func:`html.escape`. Without matplotlib the
page is still written, with a note where the charts would be.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from importlib.resources import files
from string import Template

from autolab_shared.core.vocabulary import Verdict
from autolab_shared.parsing.metrics import MAX
from autolab_shared.parsing.results import Experiment, History
from autolab_shared.report.leaderboard import LeaderRow
from autolab_shared.report.progress import night_counts
from autolab_shared.stats.audit import Audit, AuditRow, night_p
from autolab_shared.steering.steer import SteerReport

from . import __version__
from .render import noise_source
from .render_audit import NIGHT

Cell = tuple[str, str]  # (html, css class)


@dataclass(frozen=True)
class Charts:
    """The PNG bytes of both charts, or the reason there are none."""

    progress: bytes | None = None
    pareto: bytes | None = None
    missing: str = ""


@dataclass(frozen=True)
class Leaderboard:
    """The autoevolve leaderboard and where its pooled history came from."""

    path: str
    rows: tuple[LeaderRow, ...]
    problem: str = ""


def _num(value: float | None, fmt: str = ".6g") -> str:
    return "–" if value is None or not math.isfinite(value) else format(value, fmt)


def _table(
    headers: Sequence[str],
    rows: Sequence[tuple[str, Sequence[Cell]]],
    numeric: frozenset[int] = frozenset(),
) -> str:
    """An HTML table; ``rows`` are (row class, cells of already-escaped html)."""
    head = "".join(
        f"<th{' class=num' if i in numeric else ''}>{escape(h)}</th>" for i, h in enumerate(headers)
    )
    body = []
    for css, cells in rows:
        tds = "".join(f'<td class="{c}">{h}</td>' if c else f"<td>{h}</td>" for h, c in cells)
        body.append(f'<tr class="{css}">{tds}</tr>' if css else f"<tr>{tds}</tr>")
    return (
        f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n"
        + "\n".join(body)
        + "\n</tbody>\n</table>"
    )


def _summary(history: History, audit: Audit) -> str:
    counts = night_counts(history)  # the progress chart's title uses the same counts
    best = history.best()
    pairs = [
        ("Experiments", str(counts.experiments)),
        ("Kept (baseline included) / discarded / crashed",
         f"{counts.kept} / {counts.discarded} / {counts.crashed}"),
        ("Baseline", _config_text(audit.baseline.first if audit.baseline else None)),
        ("Best kept row", _config_text(best)),
        ("Final incumbent (audit)", _config_text(audit.best.first if audit.best else None)),
        ("Improvement over baseline", _improvement(audit)),
        ("Noise floor", escape(noise_source(audit.noise))),
        ("Night's verdict",
         f'<span class="verdict">{NIGHT[audit.exit_verdict]}</span> (exit {audit.exit_verdict})'),
    ]  # fmt: skip
    rows = "\n".join(f"<tr><th>{escape(k)}</th><td>{v}</td></tr>" for k, v in pairs)
    return f'<table class="summary">\n{rows}\n</table>'


def _config_text(exp: Experiment | None) -> str:
    if exp is None:
        return "–"
    return (
        f"{_num(exp.value)} <code>{escape(exp.commit or '-')}</code> "
        f"{escape(exp.description)} (line {exp.line})"
    )


def _improvement(audit: Audit) -> str:
    if audit.improvement is None or audit.improvement_ci90 is None:
        return "– (no keep after the baseline)"
    lo, hi = audit.improvement_ci90
    p_real = f", P(real improvement) = {night_p(audit.p_real)}" if audit.p_real is not None else ""
    base = audit.baseline.first.value if audit.baseline is not None else None
    rel = f" ({audit.improvement / abs(base):+.2%})" if base else ""
    return f"{audit.improvement:+.6g}{rel} (90% interval {lo:+.6g} .. {hi:+.6g}){p_real}"


def _charts(charts: Charts, metric: str) -> str:
    if charts.missing:
        return f'<p class="note">{escape(charts.missing)}</p>'
    parts = []
    for png, alt, caption in (
        (
            charts.progress,
            f"{metric} over the experiments",
            "Progress: every experiment in order, "
            "the running best with ± one noise-floor sd, keeps the audit does not believe hollow.",
        ),
        (charts.pareto, f"{metric} vs memory", "Metric vs peak memory with the Pareto frontier."),
    ):
        if png is not None:
            data = base64.b64encode(png).decode("ascii")
            parts.append(
                f'<figure><img alt="{escape(alt)}" src="data:image/png;base64,{data}">'
                f"<figcaption>{escape(caption)}</figcaption></figure>"
            )
    return "\n".join(parts)


def _audit_cells(row: AuditRow, audit: Audit) -> tuple[str, list[Cell]]:
    first, a = row.config.first, row.assessment
    values = [e.value for e in row.config.valued if e.value is not None]
    mean = sum(values) / len(values) if values else None
    verdict = a.verdict if a is not None else Verdict.BASELINE
    conf = _num(a.p_improve, ".2f") if a is not None else "–"
    survives = [
        ("yes" if ok else "no") if a is not None else "–"
        for ok in (row.survives_bh, row.survives_eb)
    ]
    cells: list[Cell] = [
        (f"{first.index + 1}", "num"), (f"<code>{escape(first.commit or '-')}</code>", ""),
        (escape(first.description), ""), (_num(mean), "num"), (str(len(values)), "num"),
        (escape(verdict), "verdict"), (conf, "num"), (_num(row.p_value, ".3g"), "num"),
        (_num(row.lfdr, ".2f"), "num"),
        *((s, s if s != "–" else "") for s in survives),
    ]  # fmt: skip
    doubt = a is not None and not row.survives_eb
    return ("doubt" if doubt else ""), cells


def _audit(history: History, audit: Audit) -> str:
    keeps = [r for r in audit.rows if r.kept]
    if not keeps:
        return "<p>No experiment was kept.</p>"
    headers = [
        "#",
        "commit",
        "description",
        history.metric,
        "runs",
        "verdict then",
        "confidence",
        "p (BH)",
        "lfdr (EB)",
        "survives BH",
        "survives EB",
    ]
    table = _table(headers, [_audit_cells(r, audit) for r in keeps], frozenset({0, 3, 4, 6, 7, 8}))
    note = (
        f"<p>False-discovery control at q = {audit.q:.2f}: Benjamini-Hochberg on one-sided"
        " p-values and empirical Bayes on the local false-discovery rate. Keeps that fail"
        " empirical-Bayes control are shown in orange (hollow in the chart).</p>"
    )
    return note + "\n" + table


def _categories(report: SteerReport) -> str:
    rows = []
    for c in report.categories:
        rate = f"{c.kept / c.tried:.0%}" if c.tried else "–"
        gain = "–" if c.median_gain is None else f"{c.median_gain * 100:.2f}%"
        rows.append(
            (
                "",
                [
                    (escape(c.name), ""),
                    (str(c.tried), "num"),
                    (str(c.kept), "num"),
                    (rate, "num"),
                    (str(c.crashed), "num"),
                    (gain, "num"),
                    (escape(c.label), "verdict"),
                    (escape(c.evidence), ""),
                ],
            )
        )
    scope = f"last {report.window} experiments" if report.window else "all experiments"
    head = (
        f"<p>Over the {escape(scope)}. Regime: <b>{escape(report.regime)}</b>"
        f" ({escape(report.regime_reason)}). Suggested next: {escape(report.headline)}.</p>"
    )
    headers = [
        "category",
        "tried",
        "kept",
        "keep rate",
        "crashed",
        "median gain",
        "label",
        "evidence",
    ]
    return head + "\n" + _table(headers, rows, frozenset({1, 2, 3, 4, 5}))


def _leaderboard(board: Leaderboard | None, direction: str) -> str:
    if board is None:
        return ""
    rows = []
    for rank, r in enumerate(board.rows, 1):
        rel = "" if r.relative_improvement is None else f" ({r.relative_improvement:+.2%})"
        rows.append(
            (
                "",
                [
                    (str(rank), "num"),
                    (escape(r.agent), ""),
                    (escape(r.strategy), ""),
                    (str(r.experiments), "num"),
                    (str(r.keeps), "num"),
                    (str(r.crashes), "num"),
                    (_num(r.best), "num"),
                    (f"<code>{escape(r.best_commit or '-')}</code>", ""),
                    (_num(r.improvement, "+.6g") + rel, "num"),
                ],
            )
        )
    headers = [
        "rank",
        "agent",
        "strategy",
        "experiments",
        "keeps",
        "crashes",
        "best",
        "best commit",
        "vs first baseline",
    ]
    better = "higher" if direction == MAX else "lower"
    table = _table(headers, rows, frozenset({0, 3, 4, 5, 6, 8}))
    if board.problem:
        table = f'<p class="note">{escape(board.problem)}</p>'
    return (
        f'<section id="leaderboard">\n<h2>autoevolve leaderboard</h2>\n'
        f"<p>From <code>{escape(board.path)}</code>; best keeps, {better} is better.</p>\n"
        f"{table}\n</section>"
    )


def report_html(
    history: History,
    audit: Audit,
    charts: Charts,
    steer: SteerReport,
    board: Leaderboard | None = None,
) -> str:
    """The whole page."""
    template = Template(files("autojudge").joinpath("report_template.html").read_text("utf-8"))
    better = "higher" if history.direction == MAX else "lower"
    return template.substitute(
        title=escape(f"autoresearch report: {history.path}"),
        subtitle=escape(
            f"metric {history.metric} ({better} is better), {len(history.experiments)} experiments"
        ),
        summary=_summary(history, audit),
        charts=_charts(charts, history.metric),
        audit=_audit(history, audit),
        categories=_categories(steer),
        leaderboard=_leaderboard(board, history.direction),
        footer=escape(f"made by autojudge {__version__} (autolab); self-contained, no scripts"),
    )
