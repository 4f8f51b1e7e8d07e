"""The progress and Pareto charts as PNG bytes, drawn with matplotlib's Agg canvas.

matplotlib is the optional ``plot`` extra (``pip install 'autolab-judge[plot]'``) and is imported
only here, only when a chart is asked for.
The data comes from :mod:`autolab_shared.report.progress`.
"""

from __future__ import annotations

import io
import math
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from autolab_shared.core.errors import AutolabError
from autolab_shared.parsing.metrics import MAX
from autolab_shared.parsing.results import History
from autolab_shared.report.progress import (
    Progress,
    ProgressPoint,
    kept_flags,
    memory_front,
    memory_points,
    robust_range,
    view_range,
)
from autolab_shared.stats.pareto import Point

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

SIZE_IN = (14.0, 7.0)
DPI = 100  # so a chart is 1400 x 700 pixels
GREY, GREEN, LINE, LABEL = "#cccccc", "#2ecc71", "#27ae60", "#1a7a3a"
DOUBT, DOUBT_LABEL, CRASH = "#e67e22", "#a04000", "#d62728"
INSTALL_HINT = "pip install 'autolab-judge[plot]'"


class PlotUnavailable(AutolabError):
    """matplotlib (the ``plot`` extra) is not installed."""

    def __init__(self) -> None:
        super().__init__(f"charts need matplotlib, which is not installed: {INSTALL_HINT}")


def require_matplotlib() -> None:
    """Raise PlotUnavailable unless matplotlib can be imported."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise PlotUnavailable() from None


def _figure() -> tuple[Figure, Axes]:
    require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=SIZE_IN, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():  # descriptions in scripts the font lacks show as boxes
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _short(text: str, limit: int = 45) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _better_word(direction: str) -> str:
    return "higher is better" if direction == MAX else "lower is better"


def _floats(values: Sequence[float | None]) -> list[float]:
    """None as NaN (a gap), for matplotlib."""
    return [math.nan if v is None else v for v in values]


def _scatter(ax: Axes, points: list[ProgressPoint], **style: Any) -> None:
    if points:
        ax.scatter([p.index for p in points], _floats([p.value for p in points]), **style)


def progress_png(data: Progress) -> bytes:
    """Karpathy's progress chart plus the noise band and the keeps the audit doubts."""
    fig, ax = _figure()
    valued = [p for p in data.points if p.value is not None]
    kept = [p for p in valued if p.kept]
    _scatter(
        ax, [p for p in valued if not p.kept], c=GREY, s=12, alpha=0.5, zorder=2, label="Discarded"
    )
    _scatter(
        ax,
        [p for p in kept if p.believed],
        c=GREEN,
        s=50,
        zorder=4,
        label="Kept",
        edgecolors="black",
        linewidths=0.5,
    )
    _scatter(
        ax,
        [p for p in kept if not p.believed],
        facecolors="white",
        edgecolors=DOUBT,
        s=50,
        linewidths=1.5,
        zorder=4,
        label="Kept, not believed (fails FDR control)",
    )
    _running_best(ax, data)
    for p in kept:
        ax.annotate(
            _short(p.description),
            (p.index, p.value),
            textcoords="offset points",
            xytext=(6, 6),
            fontsize=8.0,
            color=LABEL if p.believed else DOUBT_LABEL,
            alpha=0.9,
            rotation=30,
            ha="left",
            va="bottom",
        )
    _crash_strip(ax, [p.index for p in data.points if p.value is None])
    _frame(ax, data)
    return _png(fig)


def _crash_strip(ax: Axes, crashes: list[int]) -> None:
    """Crashes have no value: mark them in a strip above the plot, off the value axis, where
    they cannot be read as records (the bottom edge is the best value when lower is better)."""
    if crashes:
        ax.scatter(
            crashes,
            [1.025] * len(crashes),
            transform=ax.get_xaxis_transform(),
            marker="x",
            c=CRASH,
            s=30,
            zorder=5,
            clip_on=False,
            label=f"Crash ({len(crashes)}, no value: drawn above the plot)",
        )


def _running_best(ax: Axes, data: Progress) -> None:
    idx = [i for i, b in enumerate(data.best) if b is not None]
    if not idx:
        return
    xs = [data.points[i].index for i in idx]
    ax.step(
        xs,
        _floats([data.best[i] for i in idx]),
        where="post",
        color=LINE,
        linewidth=2,
        alpha=0.7,
        zorder=3,
        label="Running best",
    )
    ax.fill_between(
        xs,
        _floats([data.band_low[i] for i in idx]),
        _floats([data.band_high[i] for i in idx]),
        step="post",
        color=LINE,
        alpha=0.15,
        linewidth=0,
        zorder=1,
        label="± noise floor (1 sd)",
    )


def _frame(ax: Axes, data: Progress) -> None:
    from matplotlib.ticker import MaxNLocator

    n, c = len(data.points), data.counts
    ax.set_title(
        f"Autoresearch Progress: {c.experiments} experiments, {c.kept} kept "
        f"(baseline included), {c.discarded} discarded, {c.crashed} crashed",
        fontsize=14,
        pad=18,
    )
    xlabel = "Experiment #"
    ax.set_ylabel(f"{data.metric} ({_better_word(data.direction)})", fontsize=12)
    ax.grid(True, alpha=0.2)
    ax.set_xlim(-1, max(n, 1))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    span = view_range(data)
    if span is not None:
        ax.set_ylim(*span)
        off = sum(p.value is not None and not span[0] <= p.value <= span[1] for p in data.points)
        if off:
            xlabel += f"   ({off} run(s) off the scale, worse than the baseline)"
    ax.set_xlabel(xlabel, fontsize=12)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="best", fontsize=9)


def _memory_scatter(ax: Axes, points: Sequence[Point], **style: Any) -> None:
    if points:
        ax.scatter([p.memory_gb for p in points], [p.value for p in points], **style)


def pareto_png(history: History) -> bytes:
    """Metric vs peak memory for every measured experiment, with the Pareto frontier."""
    fig, ax = _figure()
    points = memory_points(history)
    front = memory_front(history)
    kept = {
        str(e.index)
        for e, k in zip(
            history.experiments, kept_flags(history.experiments, history.direction), strict=True
        )
        if k
    }
    span = robust_range([p.value for p in points], [p.value for p in front]) if points else None
    inside = [p for p in points if span is None or span[0] <= p.value <= span[1]]
    for label, style in (
        ("Discarded", {"c": GREY, "s": 14}),
        ("Kept", {"c": GREEN, "s": 40, "edgecolors": "black", "linewidths": 0.5}),
    ):
        chosen = [p for p in inside if (p.key in kept) == (label == "Kept")]
        _memory_scatter(ax, chosen, label=label, zorder=3, **style)
    if front and span is not None:
        _frontier(ax, history, front)
        _off_scale(ax, [p for p in points if p not in inside], span)
        ax.set_ylim(*span)
        ax.legend(loc="best", fontsize=9)
    else:
        ax.text(
            0.5,
            0.5,
            "no experiment has both a metric value and a memory figure",
            transform=ax.transAxes,
            ha="center",
            fontsize=12,
            color="#666666",
        )
    ax.set_title(
        f"{history.metric} vs memory: {len(points)} of "
        f"{len(history.experiments)} experiments have both",
        fontsize=14,
    )
    ax.set_xlabel("peak memory (GB)", fontsize=12)
    ax.set_ylabel(f"{history.metric} ({_better_word(history.direction)})", fontsize=12)
    ax.grid(True, alpha=0.2)
    return _png(fig)


def _frontier(ax: Axes, history: History, front: Sequence[Point]) -> None:
    """The frontier as a step line; its points numbered on the chart, described in a key below
    the axes (descriptions side by side overlap; numbers do not)."""
    xs, ys = [p.memory_gb for p in front], [p.value for p in front]
    ax.step(
        xs,
        ys,
        where="post",
        color=LINE,
        linewidth=2,
        zorder=2,
        label=f"Pareto frontier ({len(front)})",
    )
    ax.scatter(xs, ys, s=90, zorder=4, facecolors="none", edgecolors="black", linewidths=1.0)
    key = []
    for n, p in enumerate(front, start=1):
        ax.annotate(
            str(n),
            (p.memory_gb, p.value),
            textcoords="offset points",
            xytext=(7, 5),
            fontsize=9,
            fontweight="bold",
            color=LABEL,
        )
        exp = history.experiments[int(p.key)]
        key.append(f"{n}: #{exp.index} {_short(exp.description, 40)}")
    columns = [key[i : i + 4] for i in range(0, len(key), 4)][:4]
    text = "\n".join("    ".join(row) for row in _transpose(columns))
    ax.text(
        0.0,
        -0.12,
        text,
        transform=ax.transAxes,
        va="top",
        fontsize=8,
        color=LABEL,
        family="monospace",
    )


def _transpose(columns: list[list[str]]) -> list[list[str]]:
    depth = max((len(c) for c in columns), default=0)
    return [[c[i] if i < len(c) else "" for c in columns] for i in range(depth)]


def _off_scale(ax: Axes, off: Sequence[Point], span: tuple[float, float]) -> None:
    """Points beyond the robust range: a triangle at the edge they lie past, counted."""
    above = [p for p in off if p.value > span[1]]
    below = [p for p in off if p.value < span[0]]
    for marker, edge, beyond in (("^", span[1], above), ("v", span[0], below)):
        if beyond:
            ax.scatter(
                [p.memory_gb for p in beyond],
                [edge] * len(beyond),
                marker=marker,
                c=DOUBT,
                s=40,
                zorder=5,
                clip_on=False,
                label=f"{len(beyond)} off the scale (value beyond this edge)",
            )
