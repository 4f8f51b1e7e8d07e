"""The files autojudge writes besides its verdict: --plot, --plot-pareto and --html.

Everything is rendered in memory first, then each file is written atomically; a chart that
cannot be drawn (matplotlib missing) stops the run before any work is done.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

from autolab_shared.cli.output import write_lines
from autolab_shared.core.eqrepr import EqRepr
from autolab_shared.core.errors import InputError
from autolab_shared.files.atomicwrite import write_atomic

if TYPE_CHECKING:
    from autolab_shared.parsing.results import History
    from autolab_shared.stats.audit import Audit


@dataclass(eq=False, repr=False)
class Extras(EqRepr):
    """Where to write each extra output (None: not asked for)."""

    plot: str | None = None
    pareto: str | None = None
    html: str | None = None

    @property
    def wanted(self) -> bool:
        """True when any extra output was asked for."""
        return any((self.plot, self.pareto, self.html))

    def check(self) -> None:
        """Fail early (PlotUnavailable, exit 3) when a chart is asked for without matplotlib."""
        if self.plot or self.pareto:
            from .plot import require_matplotlib

            require_matplotlib()


def _charts(history: History, audit: Audit) -> tuple[bytes, bytes]:
    from autolab_shared.report.progress import progress

    from .plot import pareto_png, progress_png

    return progress_png(progress(history, audit)), pareto_png(history)


def _html(history: History, audit: Audit, charts: tuple[bytes, bytes] | None) -> bytes:
    from autolab_shared.parsing.results import read_results
    from autolab_shared.report.leaderboard import find_pooled, leaderboard
    from autolab_shared.steering.steer import steer

    from .plot import PlotUnavailable
    from .report import Charts, Leaderboard, report_html

    try:
        drawn = Charts(*(charts or _charts(history, audit)))
    except PlotUnavailable as exc:
        drawn = Charts(missing=f"No charts: {exc}.")
    here = [] if history.path.startswith("<") else [os.path.dirname(history.path) or "."]
    pooled = find_pooled(*here, os.getcwd())
    board = None
    if pooled is not None:
        try:
            board = Leaderboard(str(pooled), leaderboard(read_results(pooled)))
        except InputError as exc:
            board = Leaderboard(str(pooled), (), f"could not read it: {exc}")
    return report_html(history, audit, drawn, steer([history]), board).encode("utf-8")


def write_extras(extras: Extras, history: History, audit: Audit, quiet: bool) -> None:
    """Render every asked-for output, then write each one atomically."""
    charts = _charts(history, audit) if extras.plot or extras.pareto else None
    out: list[tuple[str, bytes]] = []
    if extras.plot and charts:
        out.append((extras.plot, charts[0]))
    if extras.pareto and charts:
        out.append((extras.pareto, charts[1]))
    if extras.html:
        out.append((extras.html, _html(history, audit, charts)))
    for path, content in out:
        write_atomic(path, content)
        if not quiet:
            write_lines([f"autojudge: wrote {path}"], sys.stderr)
