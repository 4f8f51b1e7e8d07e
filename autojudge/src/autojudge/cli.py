"""autojudge command line: read options, call autolab_shared, render, return an exit code."""

from __future__ import annotations

import click

from autolab_shared.command import AutolabCommand, epilog
from autolab_shared.exitcodes import ExitCode
from autolab_shared.inputs import load_history, load_runlog
from autolab_shared.options import CONTEXT_SETTINGS, common_options, metric_options, results_option
from autolab_shared.summary import summarize

from . import render


@click.command(
    "autojudge",
    cls=AutolabCommand,
    context_settings=CONTEXT_SETTINGS,
    epilog=epilog(),
)
@results_option()
@click.option(
    "--run",
    "--run-log",
    "run_log",
    type=click.Path(dir_okay=False, allow_dash=True),
    default=None,
    help="run.log of the candidate experiment (its summary block is read).",
)
@metric_options
@common_options("autojudge")
def cli(
    results: str,
    run_log: str | None,
    metric: str | None,
    direction: str | None,
    output_format: str,
    quiet: bool,
    no_color: bool,
) -> ExitCode:
    """Summarise an autoresearch results.tsv (and the candidate's run.log).

    \b
    Examples:
      autojudge --results results.tsv
      autojudge --results results.tsv --run run.log --format json

    This release reads and summarises the history; verdicts (keep, discard,
    retest with a confidence) are not computed yet, so it exits 0 on any
    readable input and 3 on input errors.
    """
    if results == "-" and run_log == "-":
        raise click.UsageError("only one of --results and --run can read standard input")
    history = load_history(results, metric=metric, direction=direction)
    run = load_runlog(run_log, metric=history.metric) if run_log else None
    report = render.Report(summary=summarize(history), run=run)
    if output_format == "json":
        render.json_report(report)
    else:
        render.text_report(report, quiet=quiet, no_color=no_color)
    return ExitCode.KEEP


def main() -> None:
    """Console-script entry point."""
    cli.main(prog_name="autojudge")
