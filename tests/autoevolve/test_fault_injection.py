"""Kill the controller with SIGKILL after events of a small competition, resume, compare.

The default run kills it at one event of every kind (chosen with a fixed seed); the exhaustive
run (marker ``slow``, run by ``.ci/run``) kills it after every event. After ``autoevolve resume``
the run must reach the same champion as an uninterrupted run with the same seeds, with the same
pooled rows (every row written before the kill exactly once, none lost), every experiment
commit still reachable through a ref, and no violation reported (nobody wrote where they must not).
"""

from __future__ import annotations

import json
import random
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from evolve_cmd import evolve_args, run_evolve
from evolve_rig import ae_dir, git

from autoevolve.demo import write_demo_repo

SEED = "4"  # a run whose round 1 queues a cross-over pick that round 2 applies (the mock agent's
# draws depend on the seed and the knob settings of train.py, not on the rest of the file)
ARGS = evolve_args("fi", "--seed", SEED, "--crossover", "1", rounds=2, experiments=1, quiet=True)
ENV = {"DEMO_NOISE_SEED": SEED, "DEMO_RUN_SECONDS": "0"}
FILES = (
    ".git/autoevolve/fi/results.all.tsv",
    "worktrees/fi-conservative/results.tsv",
    "worktrees/fi-random/results.tsv",
)


def competition(dest: Path, base: Path, fault: int | None = None) -> int:
    """Copy the pristine demo repo to ``dest`` and run the competition there."""
    shutil.copytree(base, dest)
    env = {**ENV, "AUTOEVOLVE_FAULT_AT": str(fault)} if fault else ENV
    return run_evolve(dest, *ARGS, env=env, timeout=120).returncode


def outcome(repo: Path) -> tuple[str, list[str]]:
    """The champion commit and the sorted pooled rows."""
    state = json.loads((ae_dir(repo) / "state.json").read_text())
    return state["champion_sha"], sorted((repo / FILES[0]).read_text().splitlines())


def kill_and_resume(base: Path, work: Path, n: int, reference: tuple[str, list[str]]) -> str:
    """One fault: '' when the resumed run matches the reference, else what went wrong."""
    repo = work / f"k{n}"
    code = competition(repo, base, fault=n)
    if code != -9:
        return f"event {n}: the controller was not killed (exit {code})"
    before = {f: (repo / f).read_text().splitlines() for f in FILES if (repo / f).exists()}
    resumed = run_evolve(repo, "resume", "-q", env=ENV, timeout=120)
    if resumed.returncode not in (0, 1, 2):
        return f"event {n}: resume exited {resumed.returncode}: {resumed.stderr[-300:]}"
    problems = []
    champion, pooled = outcome(repo)
    if champion != reference[0]:
        problems.append(f"champion {champion[:7]} != {reference[0][:7]}")
    if pooled != reference[1]:
        problems.append(f"pooled rows differ: {sorted(set(pooled) ^ set(reference[1]))[:2]}")
    for name, lines in before.items():
        final = (repo / name).read_text().splitlines()
        problems += [
            f"{name}: {line[:50]!r} x{final.count(line)}"
            for line in lines
            if final.count(line) != 1
        ]
    journal = (ae_dir(repo) / "events.jsonl").read_text().splitlines()
    if any(json.loads(line)["kind"] == "violation" for line in journal):
        problems.append("a violation reported in an honest run (the guard misread a resume)")
    refs = git(repo, "for-each-ref", "--format=%(objectname)", "refs/autoevolve/fi/exp/").split()
    for line in pooled:
        commit, desc = line.split("\t")[0], line.split("\t")[4]
        if commit == "commit":
            continue  # the header
        if not desc.startswith("baseline") and not any(r.startswith(commit) for r in refs):
            problems.append(f"commit {commit} has no ref")
    shutil.rmtree(repo)
    return f"event {n}: " + "; ".join(problems) if problems else ""


def reference_run(tmp_path: Path) -> tuple[Path, tuple[str, list[str]], list[str]]:
    """The pristine demo repo, the uninterrupted outcome and the kind of every event."""
    base = tmp_path / "base"
    write_demo_repo(base, run_seconds=0)
    reference_repo = tmp_path / "reference"
    assert competition(reference_repo, base) in (0, 1, 2)
    state = json.loads((ae_dir(reference_repo) / "state.json").read_text())
    assert state["rounds"][0]["picks"], "the scenario must exercise a cross-over pick"
    journal = (ae_dir(reference_repo) / "events.jsonl").read_text().splitlines()
    assert len(journal) > 40
    return base, outcome(reference_repo), [json.loads(line)["kind"] for line in journal]


def one_event_per_kind(kinds: list[str], seed: int = 7) -> list[int]:
    """A seeded sample of event numbers (1-based) holding every event kind at least once."""
    rng = random.Random(seed)
    by_kind: dict[str, list[int]] = {}
    for n, kind in enumerate(kinds, start=1):
        by_kind.setdefault(kind, []).append(n)
    return sorted(rng.choice(numbers) for numbers in by_kind.values())


def kill_at(base: Path, work: Path, faults: list[int], reference: tuple[str, list[str]]) -> None:
    with ThreadPoolExecutor(4) as pool:
        results = pool.map(lambda n: kill_and_resume(base, work, n, reference), faults)
        failures = [r for r in results if r]
    assert not failures, "\n".join(failures[:10])


def test_resume_after_sigkill_at_one_event_of_every_kind(tmp_path: Path) -> None:
    base, reference, kinds = reference_run(tmp_path)
    faults = one_event_per_kind(kinds)
    assert {kinds[n - 1] for n in faults} == set(kinds)
    assert len(set(kinds)) >= 15  # start, spawn, train/row/ref/crown/adopt/reset intents ...
    kill_at(base, tmp_path, faults, reference)


@pytest.mark.slow
def test_resume_after_sigkill_at_every_event(tmp_path: Path) -> None:
    base, reference, kinds = reference_run(tmp_path)
    kill_at(base, tmp_path, list(range(1, len(kinds) + 1)), reference)
