"""autosteer command line: read options, call autolab_shared, render, return an exit code."""

from __future__ import annotations

import click

from autolab_shared.command import AutolabCommand, epilog
from autolab_shared.exitcodes import ExitCode
from autolab_shared.inputs import load_history
from autolab_shared.options import CONTEXT_SETTINGS, common_options, metric_options, results_option
from autolab_shared.output import dumps, envelope, print_lines, write_out
from autolab_shared.summary import (
    quiet_summary,
    summarize,
    summary_json,
    summary_lines,
    warning_lines,
)

from . import __version__


@click.command("autosteer", cls=AutolabCommand, context_settings=CONTEXT_SETTINGS, epilog=epilog())
@results_option(multiple=True)
@metric_options
@common_options("autosteer", formats=("text", "json", "prompt"))
def cli(
    results: tuple[str, ...],
    metric: str | None,
    direction: str | None,
    output_format: str,
    quiet: bool,
    no_color: bool,
) -> ExitCode:
    """Read autoresearch histories and say where the next experiment should go.

    \b
    Examples:
      autosteer --results results.tsv
      autosteer --results agent1.tsv --results agent2.tsv --format json

    This release reads and summarises each history; the category analysis and
    suggestions are not computed yet, so it exits 0 on readable input.
    """
    if list(results).count("-") > 1:
        raise click.UsageError("standard input ('-') can be read only once")
    summaries = [summarize(load_history(p, metric=metric, direction=direction)) for p in results]
    if output_format == "json":
        doc = envelope(
            tool="autosteer",
            tool_version=__version__,
            command="steer",
            exit_code=ExitCode.KEEP,
            data={"histories": [summary_json(s) for s in summaries], "suggestions": []},
            warnings=[w.to_dict() for s in summaries for w in s.warnings],
        )
        write_out(dumps(doc))
    elif quiet:
        write_out("\n".join(quiet_summary(s) for s in summaries))
    else:
        lines = [
            line for s in summaries for line in (*summary_lines(s), *warning_lines(s.warnings))
        ]
        lines.append("  suggestions: none (this release summarises; it does not steer yet)")
        print_lines(lines, no_color=no_color)
    return ExitCode.KEEP


def main() -> None:
    """Console-script entry point."""
    cli.main(prog_name="autosteer")
