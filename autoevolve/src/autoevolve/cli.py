"""autoevolve command line: a click group; subcommands call autolab_shared and render."""

from __future__ import annotations

import click

from autolab_shared.command import AutolabGroup, epilog
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


@click.group(
    "autoevolve",
    cls=AutolabGroup,
    context_settings=CONTEXT_SETTINGS,
    epilog=epilog(),
    invoke_without_command=True,
)
@click.pass_context
@results_option(default=None)
@metric_options
@common_options("autoevolve")
def cli(
    ctx: click.Context,
    results: str | None,
    metric: str | None,
    direction: str | None,
    output_format: str,
    quiet: bool,
    no_color: bool,
) -> ExitCode | None:
    """Run several autoresearch agents on git worktrees and cross-pollinate them.

    \b
    Examples:
      autoevolve --results results.all.tsv

    This release only summarises a pooled results file given with --results;
    the competition itself (worktrees, agents, rounds) is not built yet.
    """
    if ctx.invoked_subcommand is not None:
        return None
    if results is None:
        click.echo(ctx.get_help())
        return ExitCode.KEEP
    summary = summarize(load_history(results, metric=metric, direction=direction))
    if output_format == "json":
        doc = envelope(
            tool="autoevolve",
            tool_version=__version__,
            command="summary",
            exit_code=ExitCode.KEEP,
            data=summary_json(summary),
            warnings=[w.to_dict() for w in summary.warnings],
        )
        write_out(dumps(doc))
    elif quiet:
        write_out(quiet_summary(summary))
    else:
        print_lines([*summary_lines(summary), *warning_lines(summary.warnings)], no_color=no_color)
    return ExitCode.KEEP


def main() -> None:
    """Console-script entry point."""
    cli.main(prog_name="autoevolve")
