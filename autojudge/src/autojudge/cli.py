"""autojudge command line: read options, call autolab_shared, render, return an exit code."""

from __future__ import annotations

import click

from autolab_shared.command import AutolabCommand, epilog
from autolab_shared.exitcodes import ExitCode
from autolab_shared.inputs import load_history, load_runlog
from autolab_shared.options import CONTEXT_SETTINGS, common_options, metric_options, results_option


@click.command("autojudge", cls=AutolabCommand, context_settings=CONTEXT_SETTINGS, epilog=epilog())
@results_option()
@click.option(
    "--run",
    "--run-log",
    "run_log",
    type=click.Path(dir_okay=False, allow_dash=True),
    default=None,
    help="run.log of the candidate (its summary block is read).",
)
@click.option(
    "--commit", default=None, help="Candidate's commit. Default: git rev-parse --short HEAD."
)
@click.option(
    "--description", default=None, help="Candidate's description. Default: commit subject."
)
@click.option(
    "--append", is_flag=True, help="Append the candidate's row with the verdict's status."
)
@click.option("--all", "audit_all", is_flag=True, help="Audit the whole history instead.")
@click.option(
    "--noise",
    type=click.FloatRange(min=0),
    default=None,
    help="Known noise floor (sd of one run, metric units).",
)
@click.option(
    "--window",
    type=click.IntRange(min=0),
    default=None,
    help="Latest replicate groups pooled for the noise floor (0 = all). "
    "Default: 5 for a verdict, all for --all.",
)
@click.option(
    "--policy",
    type=click.Choice(["optimize", "strict"]),
    default="optimize",
    show_default=True,
    help="strict: keep only gains of at least 0.5 noise sd.",
)
@click.option(
    "--max-memory-gb",
    type=click.FloatRange(min=0),
    default=None,
    help="Hard memory cap: a candidate above it is discarded.",
)
@click.option(
    "--memory-rate",
    type=click.FloatRange(min=0),
    default=0.01,
    show_default=True,
    help="Relative metric gain required per relative memory growth.",
)
@click.option(
    "--plot",
    "plot_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write the progress chart (PNG) of the history. Needs autolab-judge[plot].",
)
@click.option(
    "--plot-pareto",
    "pareto_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write the metric-vs-memory chart with the Pareto frontier (PNG).",
)
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write a self-contained HTML report of the history.",
)
@metric_options
@common_options("autojudge")
def cli(
    results: str, run_log: str | None, commit: str | None, description: str | None,
    append: bool, audit_all: bool, noise: float | None, window: int | None, policy: str,
    max_memory_gb: float | None, memory_rate: float, plot_path: str | None,
    pareto_path: str | None, html_path: str | None, metric: str | None,
    direction: str | None, output_format: str, quiet: bool, no_color: bool,
) -> ExitCode:  # fmt: skip
    """Decide whether the last autoresearch experiment is a real gain, a regression or noise.

    \b
    Examples:
      autojudge --results results.tsv --run run.log
      autojudge --results results.tsv --run run.log --append
      autojudge --results results.tsv --all
      autojudge --results results.tsv --format json
      autojudge --results results.tsv --all --plot progress.png --html report.html

    With --run, the candidate is that run, judged against the history; without it, the
    last row of results.tsv is judged against the rows before it. The candidate's own
    status word is never read. Rows with the same commit are pooled as replicates.
    --plot, --plot-pareto and --html draw the whole history (with --append, after the row
    is written); they combine with every mode and do not change the exit code.
    """
    if results == "-" and run_log == "-":
        raise click.UsageError("only one of --results and --run can read standard input")
    if append and (run_log is None or results == "-"):
        raise click.UsageError("--append needs --run and a --results file to append to")
    if audit_all and (run_log or append):
        raise click.UsageError("--all audits the history; it takes no --run or --append")
    # Imported here so that --help and --version stay fast (numpy is needed only to judge).
    from autolab_shared.audit import audit
    from autolab_shared.decision import Policy

    from . import render, render_audit
    from .candidate import append_verdict, run_input
    from .extras import Extras, write_extras

    extras = Extras(plot=plot_path, pareto=pareto_path, html=html_path)
    extras.check()
    history = load_history(results, metric=metric, direction=direction)
    rules = Policy(name=policy, max_memory_gb=max_memory_gb, memory_rate=memory_rate)
    if audit_all:
        report = audit(history, window=window or 0, noise=noise, policy=rules)
        if extras.wanted:
            write_extras(extras, history, report, quiet)
        return render_audit.audit_output(report, history, output_format, quiet, no_color)
    from autolab_shared.judge import JudgeOptions, judge

    log = load_runlog(run_log, metric=history.metric) if run_log else None
    run = run_input(log, commit, description) if log is not None else None
    options = JudgeOptions(window=5 if window is None else window, noise=noise, policy=rules)
    judgement = judge(history, run, options)
    if append:
        append_verdict(results, judgement, history.metric)
    if extras.wanted:
        drawn = load_history(results, metric=metric, direction=direction) if append else history
        full = audit(drawn, window=window or 0, noise=noise, policy=rules)
        write_extras(extras, drawn, full, quiet)
    warnings = [*history.warnings, *(log.warnings if log is not None else ())]
    return render.verdict_output(judgement, output_format, quiet, no_color, warnings)


def main() -> None:
    """Console-script entry point."""
    cli.main(prog_name="autojudge")
