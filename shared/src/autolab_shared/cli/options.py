"""The option set every autolab CLI shares (the pip-tools pattern: one module, many scripts)."""

from __future__ import annotations

import math
import platform
from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

LARGEST = 1e15
"""The largest number an option takes (larger would overflow the statistics)."""


class FiniteFloat(click.FloatRange):
    """A float in ``[min, LARGEST]``: ``nan`` and ``inf`` are usage errors (exit 4)."""

    def __init__(self, min: float = 0.0, max: float = LARGEST, *, min_open: bool = False) -> None:
        super().__init__(min=min, max=max, min_open=min_open)

    def _describe_range(self) -> str:
        low = ">" if self.min_open else ">="
        return f"{low} {self.min:g} and at most {self.max:g}"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


CONTEXT_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


# The console scripts keep their names; their distributions are named apart from the unrelated
# autojudge/autosteer/autoevolve 1.x projects on PyPI (docs/coming-from-1x.md).
DISTRIBUTIONS = {
    "autojudge": "autolab-judge",
    "autosteer": "autolab-steer",
    "autoevolve": "autolab-evolve",
}


def version_of(tool: str) -> str:
    """The installed version of a tool's distribution (or of any distribution), or 'unknown'."""
    dist = DISTRIBUTIONS.get(tool, tool)
    # imported here: importlib.metadata costs more start-up time than the rest of this module
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "unknown"


def version_message(tool: str) -> str:
    """``autojudge 0.1.0 (autolab-judge, autolab-shared 0.1.0, Python 3.11.7)``: for bug reports."""
    dist, shared = DISTRIBUTIONS.get(tool, tool), version_of("autolab-shared")
    python = platform.python_version()
    return f"{tool} {version_of(tool)} ({dist}, autolab-shared {shared}, Python {python})"


def version_option(dist: str) -> Callable[[F], F]:
    """--version, reading the installed distribution's metadata only when asked."""

    def show(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
        if value and not ctx.resilient_parsing:
            from autolab_shared.cli.output import envelope, json_requested, write_json, write_lines

            if json_requested():
                data = {
                    "version": version_of(dist),
                    "distribution": DISTRIBUTIONS.get(dist, dist),
                    "shared_version": version_of("autolab-shared"),
                    "python": platform.python_version(),
                }
                write_json(
                    envelope(
                        tool=dist,
                        tool_version=data["version"],
                        command="version",
                        exit_code=0,
                        data=data,
                    )
                )
            else:
                write_lines([version_message(dist)])
            ctx.exit()

    return click.option(
        "--version",
        is_flag=True,
        expose_value=False,
        is_eager=True,
        callback=show,
        help="Show the version and exit.",
    )


def results_option(
    *, multiple: bool = False, default: str | None = "results.tsv"
) -> Callable[[F], F]:
    """--results FILE (``-`` for stdin); several allowed where ``multiple``."""
    help_text = "results.tsv to read ('-' for stdin)" + (
        "; repeat to pool several" if multiple else ""
    )
    return click.option(
        "--results",
        "results",
        type=click.Path(dir_okay=True, allow_dash=True, readable=False),
        default=(default,) if multiple and default else default,
        multiple=multiple,
        show_default=True,
        help=help_text,
    )


def format_option(choices: tuple[str, ...] = ("text", "json")) -> Callable[[F], F]:
    """--format text|json (stored as ``output_format``)."""
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(choices, case_sensitive=False),
        default=choices[0],
        show_default=True,
        help="Output format. JSON is one versioned envelope (docs/json-schema.md).",
    )


def quiet_option(fn: F) -> F:
    """-q/--quiet: one line at most; the exit code is the answer."""
    return click.option("-q", "--quiet", is_flag=True, help="Print one line at most.")(fn)


def color_option(fn: F) -> F:
    """--no-color: no ANSI styling at all (NO_COLOR is honoured too)."""
    return click.option(
        "--no-color", is_flag=True, help="No colours or styles (also: NO_COLOR=1)."
    )(fn)


def metric_options(fn: F) -> F:
    """--metric NAME and --direction min|max."""
    fn = click.option(
        "--direction",
        type=click.Choice(["min", "max"], case_sensitive=False),
        default=None,
        help="Whether lower (min) or higher (max) is better. Default: from the metric's name.",
    )(fn)
    return click.option(
        "--metric",
        default=None,
        metavar="NAME",
        help="Metric column. Default: val_bpb, else the primary one.",
    )(fn)


def common_options(dist: str, *, formats: tuple[str, ...] = ("text", "json")) -> Callable[[F], F]:
    """--format, --quiet, --no-color and --version together."""

    def decorate(fn: F) -> F:
        for deco in (version_option(dist), color_option, quiet_option, format_option(formats)):
            fn = deco(fn)
        return fn

    return decorate
