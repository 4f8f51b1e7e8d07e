"""Rounds: the baseline, agents in parallel, and closing a round (validate, crown, spread)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial

from autolab_shared.core.vocabulary import Status
from autolab_shared.report.leaderboard import BOOKKEEPING
from autolab_shared.stats.decision import KEEP, RETEST, STRONG_KEEP, shown
from autolab_shared.stats.judge import Judgement, RunInput, judge

from .competition import Competition
from .early_validation import EarlyReruns, train_rerun
from .failure import baseline_failure
from .gate import single_summary
from .judging import Row, history_of, noise_sd
from .resume import snapshot_dirty
from .roundplan import RoundPlan, RoundRecord
from .statefile import AgentState
from .threads import parallel
from .training import RunOutcome
from .waves import run_wave

WIN = (STRONG_KEEP, KEEP)  # MARGINAL is a lead within noise: not a win


def runs_of(comp: Competition, sha: str, gpu_type: str | None = None) -> list[Row]:
    """Every pooled row that measured commit ``sha`` with a value (on ``gpu_type`` if given)."""
    history = comp.pooled()
    return [
        Row(e.commit, e.value, e.memory_gb, e.status, e.description)
        for e in (history.experiments if history else ())
        if e.value is not None
        and e.commit == sha[:7]
        and e.status != Status.CRASH
        and (gpu_type is None or e.get("gpu_type") == gpu_type)
    ]


def mean(rows: list[Row]) -> float | None:
    values = [r.value for r in rows if r.value is not None]
    return statistics.fmean(values) if values else None


def baseline(comp: Competition) -> None:
    """Train the starting commit once per agent (in parallel): the first replicates of the noise.

    Safe to repeat: agents whose baseline row is already pooled are not trained again.
    """
    state = comp.state
    state.phase = "baseline"
    comp.save()
    done = {r.description: r for r in _baseline_rows(comp)}
    todo = [a for a in state.agents if a.name not in done]
    if todo:
        comp.say(f"baseline: training {state.base_sha[:7]} once per agent")
    for agent in todo:  # trained in its worktree: the files the training writes are its own
        comp.settle(agent, agent.tip, between=False)
    parallel([partial(_baseline_run, comp, a) for a in todo])
    for agent in todo:
        comp.settle(agent, agent.tip)
    rows = _baseline_rows(comp)
    by_agent = {r.description: r for r in rows}
    ordered = [by_agent[a.name] for a in state.agents if a.name in by_agent]
    if all(r.value is None for r in ordered):
        raise baseline_failure(comp)
    for agent in state.agents:  # every agent's file gets every replicate, in agent order
        for row in ordered:
            desc = f"baseline ({row.description})"
            comp.record(
                agent, Row(row.commit, row.value, row.memory_gb, row.status, desc), pooled=False
            )
    state.baseline_value = state.champion_value = mean(ordered)
    state.champion_sha = state.base_sha
    comp.say(f"baseline: {state.baseline_value:.6f} over {len(ordered)} runs")
    comp.save()


def _baseline_run(comp: Competition, agent: AgentState) -> None:
    """One baseline training, written to the pooled file only (agent files follow in order)."""
    out = comp.train(agent, comp.state.base_sha, f"baseline-{agent.name}", agent.gpu)
    status = Status.KEEP if out.value is not None else Status.CRASH
    row = Row(
        comp.state.base_sha[:7],
        out.value,
        out.memory_gb,
        status,
        f"baseline ({agent.name})",
        out.node,
        out.gpu_type,
    )
    comp.record(agent, row, own=False)


def _baseline_rows(comp: Competition) -> list[Row]:
    """The pooled baseline rows, one per agent (the agent's name in ``description``)."""
    history = comp.pooled()
    rows = history.experiments if history else ()
    return [
        Row(e.commit, e.value, e.memory_gb, e.status, e.get("agent") or "")
        for e in rows
        if e.description.startswith("baseline")
    ]


def run_round(comp: Competition, k: int, *, resume: bool = False) -> None:
    """Every agent runs its experiments for round ``k``; then the round is closed."""
    state = comp.state
    if not resume:
        state.round, state.phase = k, "running"
        comp.guard.turn_ends(None)  # the worktrees as the last round left them
        for agent in state.agents:
            agent.done, agent.attempt, agent.start_sha = 0, 0, comp.wt(agent).head()
        comp.save()
        comp.say(f"round {k}/{state.config.rounds} starts from champion {state.champion_sha[:7]}")
    minutes = state.config.round_minutes
    deadline = time.monotonic() + minutes * 60 if minutes else float("inf")
    early = EarlyReruns(comp, k)

    def loop(agent: AgentState) -> None:
        per_round = state.config.experiments_per_round
        while agent.done < per_round and time.monotonic() < deadline and not agent.retired:
            if comp.stop.is_set() or comp.stop_requested():
                return
            if agent.exp_commit:  # a resumed run whose training was interrupted
                if state.config.parallel > 1:
                    run_wave(comp, agent, agent.attempt, resumed=True)
                else:
                    comp.measure_and_conclude(agent, agent.attempt)
                continue
            if agent.done == per_round - 1:  # the last turn: its start may be the final tip
                validate_early(comp, agent, k, early, speculative=True)
            comp.experiment(agent, k, agent.attempt)
            if agent.attempt >= 3 * per_round:
                break  # an agent that keeps making no commit cannot hold the round open
        agent.status = "done"
        validate_early(comp, agent, k, early)

    comp.on_wave = early.speculate_wave
    try:
        parallel([partial(loop, a) for a in state.agents])
    finally:
        comp.on_wave = lambda agent, commits: None
    if not comp.stop.is_set():
        close_round(comp, k, early)


def validate_early(
    comp: Competition, agent: AgentState, k: int, early: EarlyReruns, *, speculative: bool = False
) -> None:
    """Start the validation re-runs of an agent's final tip if it could be a candidate (or,
    ``speculative``, of its tip as its last turn starts)."""
    sha = agent.tip  # the controller's record: a neighbour may be writing into the worktree
    if not speculative:
        early.settle(agent, sha)
    if sha == agent.start_sha or agent.retired or tip_value(comp, sha) is None:
        return
    have = sum(r.description.startswith(f"validate r{k}:") for r in runs_of(comp, sha))
    if speculative:
        early.speculate(agent, sha, have)
    else:
        early.start(agent, sha, have)


def close_round(comp: Competition, k: int, early: EarlyReruns | None = None) -> None:
    """Tag tips, validate the best candidates, crown a champion, propagate, write hints.

    Every decision is written to ``state.round_plan`` before it is carried out, and every step
    is idempotent, so a controller killed anywhere in here can run it again from the start.
    """
    state = comp.state
    state.phase = "closing"
    comp.guard.turn_ends(None)  # anything a turn changed since the last check
    plan = state.round_plan
    if plan is None or plan.round != k:
        tips = {a.name: comp.wt(a).head() for a in state.agents}
        plan = state.round_plan = RoundPlan(k, tips, state.champion_sha)
    comp.save()
    for agent in state.agents:
        comp.set_ref(comp.s.layout.round_tag(k, agent.name), plan.tips[agent.name])
    if not plan.decided:
        candidates = rank_candidates(comp, plan)
        if early is not None:
            early.wait()
        validate(comp, candidates[:2], k, plan, early)
        plan = decide(comp, candidates[:2], k, plan)
        plan = state.round_plan = replace(plan, picks=crossover_picks(comp, k, plan))
        comp.events.append("round_decided", round=k, winner=plan.winner)
        comp.save()
    crown(comp, plan, k)
    propagate(comp, plan, k)
    write_hints(comp, k)
    finish_round(comp, plan, k)


def finish_round(comp: Competition, plan: RoundPlan, k: int) -> None:
    """Record the round and queue the cross-over picks for the next one."""
    state = comp.state
    if not any(r.round == k for r in state.rounds):
        state.rounds.append(
            RoundRecord(
                k,
                plan.winner,
                state.champion_sha,
                state.champion_value,
                plan.picks,
                (),
                plan.tips,
                plan.unvalidated,
                plan.passed_over,
            )
        )
    state.crossover = {name: list(shas) for name, shas in plan.picks.items()}
    state.round_plan = None
    comp.events.append("round_done", round=k, champion=state.champion_sha)
    comp.save()


def tip_value(comp: Competition, sha: str) -> float | None:
    """The mean over every pooled run of a commit."""
    return mean(runs_of(comp, sha))


def rank_candidates(comp: Competition, plan: RoundPlan) -> list[AgentState]:
    """Agents whose tip moved this round, best kept value first."""
    state = comp.state
    moved = [a for a in state.agents if plan.tips[a.name] != a.start_sha and not a.retired]
    scored = [(tip_value(comp, plan.tips[a.name]), a) for a in moved]
    ranked = sorted([(v, a) for v, a in scored if v is not None], key=lambda p: _signed(comp, p[0]))
    return [a for _, a in ranked]


def validate(
    comp: Competition,
    agents: list[AgentState],
    k: int,
    plan: RoundPlan,
    early: EarlyReruns | None = None,
) -> None:
    """Re-run each candidate ``validate`` times (any free GPU); re-runs already pooled count,
    and so do those run ``early`` (recorded now).

    With ``--validate-on TYPE`` the re-runs (at least one) go to that accelerator type, and the
    champion is re-run there too, so that the verdict compares runs of one type only.
    """
    jobs: list[Callable[[], None]] = []
    on = comp.state.config.validate_on or None
    count = max(comp.state.config.validate, 1) if on else comp.state.config.validate
    for agent in agents:
        sha = plan.tips[agent.name]
        have = sum(r.description.startswith(f"validate r{k}:") for r in runs_of(comp, sha, on))
        for j in range(have, count):
            held = early.take(sha, j) if early is not None else None
            jobs.append(partial(_rerun, comp, agent, sha, k, j, held=held))
    champion = plan.champion_before
    if on and agents:
        for j in range(len(runs_of(comp, champion, on)), count):
            jobs.append(partial(_rerun, comp, agents[0], champion, k, j, champion=True))
    parallel(jobs)


def _rerun(
    comp: Competition,
    agent: AgentState,
    sha: str,
    k: int,
    j: int,
    champion: bool = False,
    held: RunOutcome | None = None,
) -> None:
    """One validation re-run (or the ``held`` outcome of one run early), recorded."""
    on = comp.state.config.validate_on or None
    run = held if held is not None else train_rerun(comp, agent, sha, k, j, champion)
    outcome = single_summary(run, comp.state.config.metric)
    subject = comp.s.git.subject(sha) if champion else comp.wt(agent).subject(sha)
    desc = f"validate r{k}: {'champion ' if champion else ''}{subject}"
    status = Status.KEEP if outcome.value is not None else Status.CRASH
    row = Row(
        sha[:7], outcome.value, outcome.memory_gb, status, desc, outcome.node, outcome.gpu_type
    )
    comp.record(agent, row, own=not champion)
    comp.say(
        f"validate {'champion' if champion else agent.name} {sha[:7]}"
        f"{' on ' + on if on else ''}: {outcome.value}"
    )


def decide(comp: Competition, agents: list[AgentState], k: int, plan: RoundPlan) -> RoundPlan:
    """``plan`` with its winner: the best candidate (best mean first) that autojudge calls a
    keep against the champion, or None.

    Each candidate is judged as ``autojudge --results <pooled> --run <its last run>`` would,
    on every pooled run (so the noise floor and the prior are the competition's), with the
    champion as the incumbent. Without a validation budget (``--validate 0``) a retest can
    never be settled: the best candidate is then crowned when it is more likely better than
    not, and the round says it is unvalidated. A better-ranked candidate passed over for a
    worse one is named, with its verdict.
    """
    champion = plan.champion_before
    on = comp.state.config.validate_on or None  # judge on the validation type's runs only
    verdicts: list[tuple[AgentState, Judgement]] = []
    for agent in sorted(agents, key=lambda a: _signed(comp, tip_value(comp, plan.tips[a.name]))):
        sha = plan.tips[agent.name]
        if runs_of(comp, sha, on) and comp.s.git.is_ancestor(champion, sha):
            verdicts.append((agent, judge_candidate(comp, sha, champion, on)))
    for agent, verdict in verdicts:
        sha = plan.tips[agent.name]
        comp.say(
            f"round {k}: {agent.name} {sha[:7]} mean {tip_value(comp, sha):.6f} vs "
            f"champion {tip_value(comp, champion) or 0.0:.6f}: {verdict.verdict} "
            f"(P(better) {shown(verdict.assessment.p_improve)})"
        )
    winner = next(((a, v) for a, v in verdicts if v.verdict in WIN), None)
    if winner is None and verdicts and comp.state.config.validate == 0:
        best, verdict = verdicts[0]
        if verdict.verdict == RETEST and verdict.assessment.p_improve > 0.5:
            comp.say(
                f"round {k}: crowning {best.name} unvalidated (--validate 0: its retest "
                f"cannot run; P(better) {shown(verdict.assessment.p_improve)})"
            )
            return replace(plan, decided=True, winner=best.name, unvalidated=best.name)
    if winner is None:
        comp.say(f"round {k}: no candidate beat the champion beyond noise")
        return replace(plan, decided=True, winner=None)
    passed_over: list[str] = []
    for agent, verdict in verdicts:
        if agent is winner[0]:
            break
        passed_over.append(agent.name)
        comp.say(
            f"round {k}: {agent.name} has the better mean but is {verdict.verdict} "
            f"against the champion (P(better) {shown(verdict.assessment.p_improve)}); "
            f"{winner[0].name} is a {winner[1].verdict}"
        )
    return replace(plan, decided=True, winner=winner[0].name, passed_over=tuple(passed_over))


def judge_candidate(
    comp: Competition, sha: str, champion: str, gpu_type: str | None = None
) -> Judgement:
    """autojudge's judgement of ``sha``'s last run: every pooled run is history (the champion's
    as keeps, the rest as discards, the candidate's earlier runs as its replicates); with
    ``gpu_type`` only the runs on that accelerator type."""
    history = comp.pooled()
    rows = [
        e
        for e in (history.experiments if history else ())
        if gpu_type is None or e.get("gpu_type") == gpu_type
    ]
    cand = runs_of(comp, sha, gpu_type)
    before = [
        Row(
            e.commit,
            e.value,
            e.memory_gb,
            Status.KEEP if e.commit == champion[:7] else Status.DISCARD,
            e.description,
        )
        for e in rows
        if e.commit != sha[:7]
    ]
    before += [Row(r.commit, r.value, r.memory_gb, Status.RETEST, r.description) for r in cand[:-1]]
    last = cand[-1]
    direction = "max" if comp.higher_is_better() else "min"
    return judge(
        history_of(before, comp.state.config.metric, direction),
        RunInput(last.value, last.memory_gb, last.commit, last.description),
    )


def crown(comp: Competition, plan: RoundPlan, k: int) -> None:
    """Fast-forward the champion branch to the winner (idempotent)."""
    state = comp.state
    if plan.winner is None:
        return
    sha = plan.tips[plan.winner]
    comp.events.append("crown_intent", round=k, agent=plan.winner, commit=sha)
    comp.set_ref(f"refs/heads/{comp.s.layout.champion_branch}", sha)
    state.champion_sha, state.champion_value = sha, tip_value(comp, sha)
    state.champion_agent = plan.winner
    comp.save()
    comp.events.append("crown_done", round=k, commit=sha)


def adopters(comp: Competition, plan: RoundPlan) -> dict[str, str]:
    """Which agent moves to which commit under ``--propagate``."""
    state, mode = comp.state, comp.state.config.propagate
    tips = plan.tips
    others = [a.name for a in state.agents if a.name != plan.winner]
    if mode == "ring":
        names = [a.name for a in state.agents]
        moves = {}
        for i, name in enumerate(names):
            prev = names[i - 1]
            if prev != name and _signed(comp, tip_value(comp, tips[prev])) < _signed(
                comp, tip_value(comp, tips[name])
            ):
                moves[name] = tips[prev]
        return moves
    if plan.winner is None or mode == "none":
        return {}
    if mode == "bottom-half":
        ranked = sorted(others, key=lambda n: _signed(comp, tip_value(comp, tips[n])))
        others = ranked[len(ranked) - len(state.agents) // 2 :]
    return {name: tips[plan.winner] for name in others}


def propagate(comp: Competition, plan: RoundPlan, k: int) -> None:
    """Move the adopting agents' branches (old tips stay tagged) and mark the new baseline."""
    state = comp.state
    for name, sha in adopters(comp, plan).items():
        agent = state.agent(name)
        source = next((n for n, t in plan.tips.items() if t == sha and n != name), "?")
        what = "champion" if sha == state.champion_sha else "best"
        desc = f"adopt: {what} r{k} from {source} ({comp.wt(agent).subject(sha)})"
        comp.events.append("adopt_intent", round=k, agent=name, commit=sha)
        comp.guard.check(agent)  # what a neighbour wrote there is put back, not saved as WIP
        if comp.wt(agent).head() != sha:
            snapshot_dirty(comp, agent)  # a free-mode agent may be paused mid-edit
            comp.move(agent, sha)
        memory = next((r.memory_gb for r in runs_of(comp, sha) if r.memory_gb), None)
        comp.record(
            agent, Row(sha[:7], tip_value(comp, sha), memory, Status.KEEP, desc), pooled=False
        )
        comp.events.append("adopt_done", round=k, agent=name, commit=sha)


def crossover_picks(comp: Competition, k: int, plan: RoundPlan) -> dict[str, tuple[str, ...]]:
    """The best kept changes (and near-misses) of non-winners, to cherry-pick next round."""
    count = comp.state.config.crossover
    winner = plan.winner
    config = comp.state.config
    if count <= 0 or winner is None or config.propagate != "all" or config.mode != "harness":
        return {}
    history = comp.pooled()
    if history is None:
        return {}
    champ = tip_value(comp, plan.tips[winner]) or 0.0
    sigma = noise_sd(history)
    found = [
        e
        for e in history.experiments
        if e.get("round") == str(k)
        and e.value is not None
        and e.get("agent") != winner
        and not e.description.startswith(BOOKKEEPING)
        and (
            e.status == Status.KEEP
            or (e.status == Status.DISCARD and abs(e.value - champ) <= sigma)
        )
    ]
    found.sort(key=lambda e: _signed(comp, e.value))
    shas = list(dict.fromkeys(_full_sha(comp, e.commit) for e in found))[:count]
    receivers = [a.name for a in comp.state.agents if a.name != winner] or [winner]
    picks: dict[str, tuple[str, ...]] = {}
    for i, sha in enumerate(s for s in shas if s):
        name = receivers[i % len(receivers)]
        picks[name] = (*picks.get(name, ()), sha)
    return picks


def _full_sha(comp: Competition, short: str) -> str:
    refs = comp.s.git.refs(f"refs/autoevolve/{comp.state.tag}/exp/")
    return next((sha for sha in refs.values() if sha.startswith(short)), "")


def write_hints(comp: Competition, k: int) -> None:
    """The round's kept changes, best first, for the next round's prompts."""
    history = comp.pooled()
    if history is None:
        return
    keeps = [
        e
        for e in history.experiments
        if e.status == Status.KEEP
        and e.value is not None
        and e.get("round") == str(k)
        and not e.description.startswith(("validate", "baseline"))
    ]
    keeps.sort(key=lambda e: _signed(comp, e.value))
    lines = [f"- {e.description} ({e.get('agent') or '?'}: {e.value:.6f})" for e in keeps[:8]]
    path = comp.s.layout.hints(k)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n" if lines else "", encoding="utf-8")


def _signed(comp: Competition, value: float | None) -> float:
    if value is None:
        return float("inf")
    return -value if comp.higher_is_better() else value
