"""autosteer command line: read options, call autolab_shared.steering.steer, render, return
an exit code."""

from __future__ import annotations

import gc
import os
import sys
from typing import NoReturn

import click

from autolab_shared.cli.command import AutolabCommand, epilog
from autolab_shared.cli.options import (
    CONTEXT_SETTINGS,
    common_options,
    metric_options,
    results_option,
)
from autolab_shared.core.exitcodes import ExitCode
from autolab_shared.files.inputs import load_history


@click.command("autosteer", cls=AutolabCommand, context_settings=CONTEXT_SETTINGS, epilog=epilog())
@results_option(multiple=True)
@click.option(
    "--mode",
    type=click.Choice(["auto", "exploit", "explore", "random"]),
    default="auto",
    show_default=True,
    help="How to weigh exploitation against exploration.",
)
@click.option(
    "--window",
    type=click.IntRange(min=0),
    default=50,
    show_default=True,
    help="The category table covers the last N experiments (0 = all).",
)
@click.option(
    "--taxonomy",
    "taxonomy_path",
    type=click.Path(readable=False),
    default=None,
    help='TOML file that extends (or with mode = "replace" replaces) the categories.',
)
@click.option(
    "--git",
    "git_repo",
    type=click.Path(file_okay=False, exists=True),
    default=None,
    help="Repository of the experiments: read each commit's train.py diff for knob values.",
)
@click.option("--seed", type=int, default=None, help="Seed for deterministic suggestions.")
@click.option(
    "-n",
    "--num-suggestions",
    type=click.IntRange(min=1, max=20),
    default=3,
    show_default=True,
    help="How many suggestions.",
)
@click.option(
    "--pending",
    multiple=True,
    metavar="CAT",
    help="Category another agent is running now (repeatable): steers away from it.",
)
@click.option("--show-taxonomy", is_flag=True, help="Print the taxonomy as TOML and exit.")
@metric_options
@common_options("autosteer", formats=("text", "json", "prompt"))
def cli(
    results: tuple[str, ...],
    mode: str,
    window: int,
    taxonomy_path: str | None,
    git_repo: str | None,
    seed: int | None,
    num_suggestions: int,
    pending: tuple[str, ...],
    show_taxonomy: bool,
    metric: str | None,
    direction: str | None,
    output_format: str,
    quiet: bool,
    no_color: bool,
) -> ExitCode:
    """Read autoresearch histories and say where the next experiment should go.

    \b
    Examples:
      autosteer --results results.tsv --mode exploit
      autosteer --results agent1.tsv --results agent2.tsv --format json --seed 1
      autosteer --results results.tsv --format prompt
      autosteer --results results.tsv --git .   # knob values from each commit's diff
      autosteer --show-taxonomy > taxonomy.toml

    Exit code: 0 progressing (keep going), 1 stuck (change direction), 2 inconclusive
    (too little history, or recent keeps within the noise floor: re-run before steering).
    """
    from autolab_shared.steering.taxonomy import load_taxonomy, taxonomy_toml

    from . import render

    taxonomy = load_taxonomy(taxonomy_path)
    if show_taxonomy:
        render.write(taxonomy_toml(taxonomy))
        return ExitCode.OK
    if list(results).count("-") > 1:
        raise click.UsageError("standard input ('-') can be read only once")
    known = {c.name for c in taxonomy.categories}
    unknown = [p for p in pending if p not in known]
    if unknown:
        raise click.UsageError(f"unknown --pending category {unknown[0]!r}; see --show-taxonomy")
    from autolab_shared.steering.steer import SteerOptions, steer_keeping

    histories = [load_history(p, metric=metric, direction=direction) for p in results]
    git = None
    if git_repo is not None:
        from autolab_shared.steering.gitknobs import git_knob_changes

        git = git_knob_changes(git_repo, [e.commit for h in histories for e in h.experiments])
    opts = SteerOptions(
        mode=mode,
        window=window,
        suggestions=num_suggestions,
        seed=seed,
        pending=pending,
        taxonomy=taxonomy,
        git_changes=git,
        own_taxonomy=taxonomy_path is not None,
    )
    report, work = steer_keeping(histories, opts)
    _KEPT[:] = [histories, work]  # freed by the exit (`_leave`), not object by object
    return render.output(report, histories, output_format, quiet, no_color)


# The last run's histories and working data: the console script leaves with os._exit, so
# they are never freed one object at a time (about 0.07 s on 100,000 rows); a new run in the
# same process replaces them.
_KEPT: list[object] = []


def main() -> None:
    """Console-script entry point."""
    # A short-lived process that builds many small, long-lived objects and almost no cyclic
    # garbage: the cycle collector would only re-scan the live ones (about 8 % of the time).
    gc.disable()
    try:
        cli.main(prog_name="autosteer")
    except SystemExit as exc:
        if not isinstance(exc.code, int):
            raise
        _leave(exc.code)


def _leave(code: int) -> NoReturn:
    """Exit with `code` once stdout and stderr are flushed, without freeing every object of the
    history one by one at shutdown (about 0.1 s on 100,000 rows; nothing else is pending: no
    files open, no atexit work). Where a flush fails, the normal shutdown handles it."""
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except Exception:
        raise SystemExit(code) from None
    os._exit(code)
