"""autoevolve command line: the competition (seed command) and its subcommands, kept thin."""

from __future__ import annotations

import os
import shlex
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from autolab_shared.cli.command import AutolabCommand, AutolabGroup, epilog, show_help
from autolab_shared.cli.options import (
    CONTEXT_SETTINGS,
    FiniteFloat,
    common_options,
    metric_options,
    results_option,
)
from autolab_shared.cli.output import envelope, print_lines, write_json, write_lines, write_out
from autolab_shared.core.errors import AutolabError
from autolab_shared.core.exitcodes import ExitCode

from . import __version__
from .executor_options import check_executor, executor_options
from .names import UsageProblem, check_name
from .startoptions import DEFAULTS

MULTI = ("--strategies",)


class EvolveGroup(AutolabGroup):
    """The group whose ``--strategies`` takes several space-separated values."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, spread_multi(args, set(self.commands)))


def spread_multi(args: Sequence[str], commands: set[str]) -> list[str]:
    """``--strategies a b c`` → ``--strategies a --strategies b --strategies c``."""
    out: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        out.append(arg)
        i += 1
        if arg in MULTI:
            while i < len(args) and not args[i].startswith("-") and args[i] not in commands:
                if out[-1] != arg:
                    out.append(arg)
                out.append(args[i])
                i += 1
    return out


def _run(
    opts: Any,
    output_format: str,
    quiet: bool,
    no_color: bool,
    cwd: Path | None = None,
    *,
    resume: bool = False,
    tag: str | None = None,
) -> ExitCode:
    """Run (or resume) a competition in the foreground, then print the leaderboard."""
    from .board import standings
    from .session import make_reporter, run_competition

    reporter = make_reporter(output_format, quiet, no_color)
    layout, state, code = run_competition(opts, reporter, cwd, resume=resume, tag=tag)
    _show_board(layout, state, standings(layout, state), output_format, quiet, no_color, code)
    return code


def _show_board(
    layout: Any,
    state: Any,
    rows: Any,
    output_format: str,
    quiet: bool,
    no_color: bool,
    code: ExitCode,
) -> None:
    from .render import leaderboard_lines, standings_json

    if output_format == "json":
        data = {
            "tag": state.tag,
            "phase": state.phase,
            "baseline_value": state.baseline_value,
            "champion_commit": state.champion_sha,
            "champion_value": state.champion_value,
            "verdict": state.verdict or None,
            "standings": standings_json(rows),
        }
        doc = envelope(
            tool="autoevolve",
            tool_version=__version__,
            command="leaderboard",
            exit_code=code,
            data=data,
        )
        write_json(doc)
    elif not quiet:
        lines = leaderboard_lines(state, rows)
        print_lines(
            [*lines, *([f"verdict: {state.verdict}"] if state.verdict else [])], no_color=no_color
        )


@click.group(
    "autoevolve",
    cls=EvolveGroup,
    context_settings=CONTEXT_SETTINGS,
    epilog=epilog(),
    invoke_without_command=True,
)
@click.pass_context
@click.option(
    "--strategies",
    multiple=True,
    metavar="NAME...",
    help="One agent per strategy (space-separated): conservative aggressive random "
    "architecture-first hyperparams-first optimizer-first regularization-first "
    "efficiency-first radical, or a markdown file.",
)
@click.option("--rounds", type=click.IntRange(1), default=DEFAULTS.rounds, show_default=True)
@click.option(
    "--agent",
    "agent",
    default=DEFAULTS.agent,
    show_default=True,
    help='claude, codex, mock, or a command template such as "my-agent {prompt_file}" '
    "(placeholders {prompt} {prompt_file} {worktree}; run without a shell).",
)
@click.option("--gpus", default=DEFAULTS.gpus, show_default=True, help="0,1,2 | auto | none")
@click.option(
    "--experiments-per-round",
    type=click.IntRange(1),
    default=DEFAULTS.experiments_per_round,
    show_default=True,
)
@click.option(
    "--round-minutes",
    type=FiniteFloat(min_open=True),
    default=None,
    help="Close a round after M minutes even if experiments remain.",
)
@click.option("--train-cmd", default=DEFAULTS.train_cmd, show_default=True)
@click.option(
    "--timeout",
    type=FiniteFloat(min_open=True),
    default=DEFAULTS.timeout,
    show_default=True,
    help="Seconds; a longer training run is a failure.",
)
@click.option(
    "--agent-timeout",
    type=FiniteFloat(min_open=True),
    default=DEFAULTS.agent_timeout,
    show_default=True,
    help="Seconds an agent may take to propose one commit.",
)
@click.option(
    "--tag", default=None, help="Run name in branches and refs. Default: today, e.g. nov26."
)
@click.option(
    "--base", default=None, help="Starting branch or commit. Default: the current branch."
)
@click.option(
    "--propagate",
    type=click.Choice(["all", "bottom-half", "ring", "none"]),
    default=DEFAULTS.propagate,
    show_default=True,
    help="Who adopts at a round end: everyone the champion (all), the worse half "
    "(bottom-half), each agent its neighbour's better best (ring), or nobody.",
)
@click.option(
    "--crossover",
    type=click.IntRange(0),
    default=DEFAULTS.crossover,
    show_default=True,
    help="Best kept changes (and near-misses) of non-winners cherry-picked onto the "
    "champion as the next round's first experiments (with --propagate all); 0 = off.",
)
@click.option(
    "--mode",
    type=click.Choice(["harness", "free"]),
    default=DEFAULTS.mode,
    show_default=True,
    help="harness: autoevolve trains and judges each commit; free: each agent runs "
    "program.md's own loop and autoevolve only watches and propagates.",
)
@click.option(
    "--validate",
    type=click.IntRange(0),
    default=DEFAULTS.validate,
    show_default=True,
    help="Re-runs of each of the top two candidates before crowning.",
)
@click.option(
    "--editable",
    multiple=True,
    metavar="GLOB",
    help="Files agents may change (repeatable; default train.py). A commit touching any other "
    "file is rejected (protected_path) before training.",
)
@click.option(
    "--max-violations",
    type=click.IntRange(1),
    default=DEFAULTS.max_violations,
    show_default=True,
    help="Turns in which an agent touched what it must not (another worktree, the pooled "
    "results, state, refs) before it is retired.",
)
@click.option(
    "--parallel",
    type=click.IntRange(1),
    default=DEFAULTS.parallel,
    show_default=True,
    help="Commits each agent may make per turn (one change each); each change trains alone on "
    "the turn's start, all at once on free GPUs, judged in order before the agent's next turn.",
)
@click.option("--seed", type=int, default=DEFAULTS.seed, show_default=True)
@executor_options
@results_option(default=None)
@metric_options
@common_options("autoevolve")
def cli(
    ctx: click.Context,
    /,
    strategies: tuple[str, ...],
    results: str | None,
    metric: str | None,
    direction: str | None,
    output_format: str,
    quiet: bool,
    no_color: bool,
    **opts: Any,
) -> ExitCode | None:
    """Run several autoresearch agents on git worktrees and cross-pollinate them.

    \b
    Examples:
      autoevolve --strategies conservative aggressive random --rounds 3
      autoevolve --strategies conservative random --agent mock --gpus none
      autoevolve demo
      autoevolve status --format json
    """
    if ctx.invoked_subcommand is not None:
        return None
    if results is not None:
        return _summary(results, metric, direction, output_format, quiet, no_color)
    if not strategies:
        show_help(ctx)
        return ExitCode.OK
    from .startoptions import StartOptions

    check_executor(opts)
    names = tuple(s for spec in strategies for s in spec.split(",") if s)
    editable = opts.pop("editable") or DEFAULTS.editable
    start = StartOptions(strategies=names, editable=tuple(editable), **opts)
    return _run(start, output_format, quiet, no_color)


def _summary(
    results: str,
    metric: str | None,
    direction: str | None,
    output_format: str,
    quiet: bool,
    no_color: bool,
) -> ExitCode:
    from autolab_shared.files.inputs import load_history
    from autolab_shared.parsing.summary import (
        quiet_summary,
        summarize,
        summary_json,
        summary_lines,
        warning_lines,
    )

    summary = summarize(load_history(results, metric=metric, direction=direction))
    if output_format == "json":
        doc = envelope(
            tool="autoevolve",
            tool_version=__version__,
            command="summary",
            exit_code=ExitCode.OK,
            data=summary_json(summary),
            warnings=[w.to_dict() for w in summary.warnings],
        )
        write_json(doc)
    elif quiet:
        write_lines([quiet_summary(summary)])
    else:
        print_lines([*summary_lines(summary), *warning_lines(summary.warnings)], no_color=no_color)
    return ExitCode.OK


def _here(tag: str | None) -> tuple[Any, Any]:
    from .board import find_state
    from .gitrepo import find_checkout
    from .names import check_name

    return find_state(find_checkout(Path.cwd()).cwd, check_name(tag, "tag") if tag else None)


TAG_HELP = "Which competition (default: the one started last in this checkout)."
tag_option = click.option("--tag", default=None, help=TAG_HELP)


@cli.command("status", cls=AutolabCommand)
@tag_option
@common_options("autoevolve")
def status_cmd(tag: str | None, output_format: str, quiet: bool, no_color: bool) -> ExitCode:
    """Round, phase, champion and every agent's state."""
    from .board import status_doc
    from .render import status_lines

    layout, state = _here(tag)
    doc = status_doc(layout, state)
    if output_format == "json":
        write_json(
            envelope(
                tool="autoevolve",
                tool_version=__version__,
                command="status",
                exit_code=ExitCode.OK,
                data=doc,
            )
        )
    elif not quiet:
        print_lines(status_lines(state, doc), no_color=no_color)
    return ExitCode.OK


@cli.command("leaderboard", cls=AutolabCommand)
@tag_option
@common_options("autoevolve")
def leaderboard_cmd(tag: str | None, output_format: str, quiet: bool, no_color: bool) -> ExitCode:
    """Agents ranked by their best configuration (mean over its runs)."""
    from .board import standings

    layout, state = _here(tag)
    _show_board(
        layout, state, standings(layout, state), output_format, quiet, no_color, ExitCode.OK
    )
    return ExitCode.OK


@cli.command("resume", cls=AutolabCommand)
@tag_option
@common_options("autoevolve")
def resume_cmd(tag: str | None, output_format: str, quiet: bool, no_color: bool) -> ExitCode:
    """Continue a stopped or killed competition from its state and event log."""
    return _run(None, output_format, quiet, no_color, resume=True, tag=tag)


@cli.command("stop", cls=AutolabCommand)
@click.option("--now", is_flag=True, help="Interrupt in-flight runs (they are redone on resume).")
@tag_option
def stop_cmd(now: bool, tag: str | None) -> ExitCode:
    """Ask the running controller to stop: by default after in-flight runs and a clean round end."""
    from .statefile import controller_running

    layout, state = _here(tag)
    if not controller_running(layout.lock_file):
        write_lines(
            [
                f"no controller is running ({state.tag} is {state.phase}); "
                "`autoevolve resume` continues an unfinished run"
            ]
        )
        return ExitCode.OK
    from .statefile import write_atomic

    write_atomic(layout.stop_file, "now\n" if now else "graceful\n")
    when = "now (in-flight runs are interrupted)" if now else f"after round {state.round} closes"
    write_lines([f"stop requested: the controller stops {when}"])
    return ExitCode.OK


@cli.command("export", cls=AutolabCommand)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["tsv", "json"]),
    default="tsv",
    show_default=True,
)
@tag_option
def export_cmd(output_format: str, tag: str | None) -> ExitCode:
    """Every pooled row (agent, strategy and round columns included)."""
    from autolab_shared.core.errors import AutolabError

    from .board import pooled_history
    from .render import export_rows, export_tsv

    layout, state = _here(tag)
    history = pooled_history(layout, state)
    if history is None:
        raise AutolabError(f"{layout.pooled}: no rows yet")
    if output_format == "json":
        rows = {"rows": export_rows(history)}
        write_json(
            envelope(
                tool="autoevolve",
                tool_version=__version__,
                command="export",
                exit_code=ExitCode.OK,
                data=rows,
            )
        )
    else:
        write_out(export_tsv(history))
    return ExitCode.OK


@cli.command("cleanup", cls=AutolabCommand)
@click.option("--keep-branches", is_flag=True, help="Keep the agents' working branches.")
@click.option("--purge-archive", is_flag=True, help="Also delete refs/autoevolve/<tag>/ refs.")
@click.option(
    "--force",
    is_flag=True,
    help="Also when state.json is missing or unreadable: the run's worktrees and "
    "branches are found from git alone.",
)
@tag_option
def cleanup_cmd(keep_branches: bool, purge_archive: bool, force: bool, tag: str | None) -> ExitCode:
    """Archive results, remove worktrees and working branches; champion branch and refs stay."""
    from .cleanup import agents_from_git, cleanup
    from .gitrepo import find_checkout
    from .statefile import controller_lock, save_state

    git = find_checkout(Path.cwd())
    try:
        layout, state = _here(tag)
    except AutolabError:
        if not force:
            raise
        layout, state = _forced_layout(git.cwd, tag), None
    names = [a.name for a in state.agents] if state else agents_from_git(git, layout)
    with controller_lock(layout.lock_file):
        for line in cleanup(
            git, layout, names, keep_branches=keep_branches, purge_archive=purge_archive
        ):
            write_lines([line])
        if state is not None and state.phase != "done":
            state.phase = "cleaned"
            save_state(layout.state_file, state)
        elif state is None:
            layout.state_file.unlink(missing_ok=True)
            write_lines([f"dropped the unreadable state of {layout.tag}: a new run may start"])
    return ExitCode.OK


def _forced_layout(root: Path, tag: str | None) -> Any:
    """The layout ``cleanup --force`` works on when there is no usable state."""
    from .layout import Layout, pick_tag

    name = pick_tag(root, tag)
    if not name:
        raise UsageProblem("no competition found here: pass --tag")
    return Layout(root, check_name(name, "tag"))


@cli.command("demo", cls=AutolabCommand)
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to create the demo repo (default: a new temp folder).",
)
@click.option("--rounds", type=click.IntRange(1), default=2, show_default=True)
@click.option("--experiments-per-round", type=click.IntRange(1), default=6, show_default=True)
@click.option("--run-seconds", type=FiniteFloat(), default=0.3, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@common_options("autoevolve")
def demo_cmd(
    directory: Path | None,
    rounds: int,
    experiments_per_round: int,
    run_seconds: float,
    seed: int,
    output_format: str,
    quiet: bool,
    no_color: bool,
) -> ExitCode:
    """Three mock agents compete for 2 rounds on a throwaway CPU-only repo (under a minute)."""
    from .demo import write_demo_repo
    from .startoptions import StartOptions

    where = directory or Path(tempfile.mkdtemp(prefix="autoevolve-demo-"))
    if where.exists() and any(where.iterdir()):
        raise click.UsageError(f"--dir {where} exists and is not empty")
    write_demo_repo(where, run_seconds=run_seconds)
    os.environ["DEMO_NOISE_SEED"] = str(seed)  # the demo's noise is reproducible too
    opts = StartOptions(
        strategies=("conservative", "aggressive", "random"),
        agent="mock",
        gpus="none",
        rounds=rounds,
        experiments_per_round=experiments_per_round,
        train_cmd=f"{shlex.quote(sys.executable)} train.py",
        timeout=120,
        agent_timeout=60,
        tag="demo",
        seed=seed,
    )
    code = _run(opts, output_format, quiet, no_color, cwd=where)
    if output_format != "json" and not quiet:
        write_lines(["", f"demo repo: {where}", *next_steps(where).splitlines()])
    return code


def next_steps(where: Path) -> str:
    """What to run after a competition: an audit of the champion's own lineage (the rows autoevolve
    judged it on; the pooled file mixes every agent's history), the leaderboard, autosteer."""
    from .board import find_state

    layout, state = find_state(where)
    holder = next((a for a in state.agents if a.name == state.champion_agent), None)
    pooled = layout.pooled
    lines = ["next: autoevolve leaderboard"]
    if holder is not None:
        lines.append(
            f"      autojudge --results {Path(holder.worktree) / 'results.tsv'} --all"
            f"   # the champion's lineage ({holder.name})"
        )
    lines.append(f"      autosteer --results {pooled}")
    return "\n".join(lines)


def main() -> None:
    """Console-script entry point."""
    cli.main(prog_name="autoevolve")
