"""Starting a competition: checks, state, worktrees, baseline, rounds and the final verdict."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from autolab_shared.core.errors import AutolabError
from autolab_shared.core.exitcodes import ExitCode

from .agents import agent_command, check_installed
from .competition import Competition, Setup
from .display import Reporter
from .failure import BaselineFailed, fail_run
from .freemode import drive_free
from .gitrepo import Git, find_checkout
from .gpus import parse_gpus
from .judging import final_verdict
from .layout import Layout, pick_tag
from .names import check_name, default_tag
from .resume import reconcile
from .rounds import baseline, close_round, mean, run_round, runs_of
from .startoptions import StartOptions
from .statefile import (
    AgentState,
    Config,
    State,
    controller_lock,
    load_state,
    save_state,
    write_atomic,
)
from .strategies import agent_names, load_strategy
from .worktrees import ensure_excludes, ensure_worktree

FINISHED = ("done", "cleaned", "failed")  # a new run with the same tag may start over these


def new_state(git: Git, layout: Layout, opts: StartOptions) -> State:
    """The initial state after every check passed."""
    strategies = [load_strategy(s) for s in opts.strategies]
    names = agent_names(strategies)
    gpus = parse_gpus(opts.gpus)
    base = opts.base or git.branch() or "HEAD"
    base_sha = git.resolve(base)
    if base_sha is None:
        raise AutolabError(f"--base {base!r} is not a branch or commit in this checkout")
    agents = [
        AgentState(
            name=n,
            strategy=s.name,
            steer=s.steer,
            branch=layout.branch(n),
            worktree=str(layout.worktree(n)),
            gpu=gpus[i % len(gpus)],
            start_sha=base_sha,
            tip=base_sha,
        )
        for i, (n, s) in enumerate(zip(names, strategies, strict=True))
    ]
    config = Config(
        strategies=list(opts.strategies),
        agent=opts.agent,
        gpus=gpus,
        rounds=opts.rounds,
        experiments_per_round=opts.experiments_per_round,
        round_minutes=opts.round_minutes,
        train_cmd=opts.train_cmd,
        timeout=opts.timeout,
        agent_timeout=opts.agent_timeout,
        propagate=opts.propagate,
        seed=opts.seed,
        validate=opts.validate,
        max_retests=opts.max_retests,
        crossover=opts.crossover,
        mode=opts.mode,
        editable=list(opts.editable),
        max_violations=opts.max_violations,
        executor=opts.executor,
        ray_address=opts.ray_address,
        setup_cmd=opts.setup_cmd,
        gpu_type=opts.gpu_type,
        validate_on=opts.validate_on,
        parallel=opts.parallel,
    )
    return State(
        tag=layout.tag,
        base=base,
        base_sha=base_sha,
        config=config,
        agents=agents,
        champion_sha=base_sha,
        started_at=time.time(),
    )


def preflight(git: Git, layout: Layout, names: list[str]) -> None:
    """Refuse a dirty checkout, an unfinished run, and branches that already exist."""
    dirty = git.dirty_files()
    if dirty:
        raise AutolabError(
            f"the checkout has uncommitted changes ({', '.join(dirty[:3])}); "
            "commit or stash them first"
        )
    if layout.state_file.exists():
        old = load_state(layout.state_file)
        if old.phase not in FINISHED:
            raise AutolabError(
                f"an unfinished autoevolve run (tag {old.tag}, round {old.round}) "
                "is here: `autoevolve resume` continues it, `autoevolve cleanup` "
                "removes it"
            )
    for branch in [layout.champion_branch, *(layout.branch(n) for n in names)]:
        if git.resolve(f"refs/heads/{branch}") is not None:
            raise AutolabError(
                f"branch {branch} already exists (an earlier run with tag "
                f"{layout.tag}?): pick another --tag or run `autoevolve cleanup`"
            )


def start(
    opts: StartOptions, reporter: Reporter, stop: threading.Event, cwd: Path | None = None
) -> State:
    """Run a whole competition in the checkout around ``cwd`` and return its final state.

    An unfinished competition with the same options is resumed; with other options, refused.
    """
    git = find_checkout(cwd or Path.cwd())
    tag = check_name(opts.tag or default_tag(), "tag")
    layout = Layout(git.cwd, tag)
    specs = [load_strategy(x) for x in opts.strategies]
    strategies = dict(zip(agent_names(specs), specs, strict=True))
    for name in strategies:
        check_name(name, "agent name")
    agent_cmd = agent_command(opts.agent)
    check_installed(agent_cmd)
    if opts.executor == "ray":  # reach the cluster before anything is created
        from .executor_ray import preflight as ray_preflight

        ray_preflight(opts.ray_address)
    with controller_lock(layout.lock_file):
        if _unfinished(layout):
            return _resume_matching(git, layout, opts, reporter, stop)
        preflight(git, layout, list(strategies))
        state = new_state(git, layout, opts)
        _archive_old_state(layout)
        write_atomic(layout.current_file, f"{tag}\n")
        layout.stop_file.unlink(missing_ok=True)
        ensure_excludes(git)
        git.run("branch", "--no-track", layout.champion_branch, state.base_sha)
        for agent in state.agents:
            ensure_worktree(git, layout, agent.name, state.base_sha)
        save_state(layout.state_file, state)
        comp = Competition(Setup(git, layout, strategies, agent_cmd, reporter), state, stop)
        comp.events.append("start", tag=tag, base=state.base_sha, pid=os.getpid())
        for agent in state.agents:  # guarded from now on, outside its turns
            comp.guard.settle(agent, agent.tip)
        drive(comp)
        return state


def resume(
    reporter: Reporter, stop: threading.Event, cwd: Path | None = None, tag: str | None = None
) -> State:
    """Continue the unfinished competition ``tag`` (default: the last started) in this checkout."""
    git = find_checkout(cwd or Path.cwd())
    layout = Layout(git.cwd, check_name(pick_tag(git.cwd, tag) or default_tag(), "tag"))
    with controller_lock(layout.lock_file):
        write_atomic(layout.current_file, f"{layout.tag}\n")
        return _resume_locked(git, layout, reporter, stop)


def _resume_locked(git: Git, layout: Layout, reporter: Reporter, stop: threading.Event) -> State:
    state = load_state(layout.state_file, layout)
    if state.phase in FINISHED:
        raise AutolabError(f"the competition {state.tag} is {state.phase}: nothing to resume")
    specs = [load_strategy(x) for x in state.config.strategies]
    strategies = dict(zip(agent_names(specs), specs, strict=True))
    comp = Competition(
        Setup(git, layout, strategies, agent_command(state.config.agent), reporter), state, stop
    )
    layout.stop_file.unlink(missing_ok=True)
    reporter.event(f"resuming {state.tag} at round {state.round} ({state.phase})")
    reconcile(comp)
    drive(comp)
    return state


def _unfinished(layout: Layout) -> bool:
    if not layout.state_file.exists():
        return False
    return load_state(layout.state_file).phase not in FINISHED


def _resume_matching(
    git: Git, layout: Layout, opts: StartOptions, reporter: Reporter, stop: threading.Event
) -> State:
    old = load_state(layout.state_file)
    same = (
        list(opts.strategies) == old.config.strategies
        and opts.agent == old.config.agent
        and (opts.tag is None or opts.tag == old.tag)
    )
    if not same:
        raise AutolabError(
            f"an unfinished autoevolve run (tag {old.tag}, round {old.round}) "
            "with other options is here: `autoevolve resume` continues it, "
            "`autoevolve cleanup` removes it"
        )
    reporter.event(f"an unfinished run (tag {old.tag}, round {old.round}) is here: resuming it")
    return _resume_locked(git, Layout(git.cwd, old.tag), reporter, stop)


def drive(comp: Competition) -> None:
    """Carry the competition from wherever its state says it is to the end (or a stop)."""
    state = comp.state
    if state.config.mode == "free":
        if not drive_free(comp):
            state.phase = "stopped"
            comp.save()
            return
        finish(comp)
        return
    if state.baseline_value is None:
        try:
            baseline(comp)
        except BaselineFailed as exc:
            fail_run(comp, exc)
            raise
    k = max(state.round, 1)
    while k <= state.config.rounds and not comp.stop.is_set():
        closed = any(r.round == k for r in state.rounds)
        if not closed:
            if state.phase == "closing" and state.round == k:
                close_round(comp, k)
            else:
                run_round(comp, k, resume=state.round == k and state.phase != "baseline")
        if comp.stop.is_set() or (comp.stop_requested() and k < state.config.rounds):
            state.phase = "stopped"
            comp.save()
            comp.say(f"stopped after round {k}: `autoevolve resume` continues")
            return
        k += 1
    if comp.stop.is_set():
        state.phase = "stopped"
        comp.save()
        return
    finish(comp)


def finish(comp: Competition) -> None:
    """Compare the champion with the starting baseline and record the exit code."""
    state = comp.state
    metric = state.config.metric
    code, text = final_verdict(
        runs_of(comp, state.base_sha), runs_of(comp, state.champion_sha), metric
    )
    state.exit_code, state.verdict = int(code), text
    state.phase = "done" if not comp.stop.is_set() else "stopped"
    comp.events.append("finish", exit_code=int(code), champion=state.champion_sha)
    comp.save()
    comp.s.layout.stop_file.unlink(missing_ok=True)
    best = mean(runs_of(comp, state.champion_sha))
    comp.say(
        f"champion {state.champion_sha[:7]} ({state.champion_agent or 'baseline'}) "
        f"{best if best is not None else '-'}: {text}"
    )


def _archive_old_state(layout: Layout) -> None:
    """Move a finished run's folder of the same tag aside to ``.previous/<tag>-<n>``."""
    if not layout.state_dir.exists():
        return
    previous = layout.home / ".previous"
    previous.mkdir(parents=True, exist_ok=True)
    n = 1
    while (previous / f"{layout.tag}-{n}").exists():
        n += 1
    layout.state_dir.replace(previous / f"{layout.tag}-{n}")


def exit_code_of(state: State) -> ExitCode:
    """The run's answer: 0 beat the baseline beyond noise, 1 no gain, 2 within noise."""
    return ExitCode(state.exit_code if state.exit_code is not None else ExitCode.RETEST)
