"""--parallel K: up to K commits an agent turn, trained at once and judged in order."""

from __future__ import annotations

import csv
import json
import re
import subprocess
from pathlib import Path

import pytest
from evolve_cmd import PAIR, evolve_args, run_evolve
from evolve_rig import ae_dir, git, make_repo, rig_env, rig_prompt, write_agent

Done = tuple[Path, Path, subprocess.CompletedProcess[str]]

# A stand-in agent that makes three commits a turn, the second one touching program.md.
SNEAKY = """\
import os, re, subprocess
for j, name in enumerate(["X", "program", "Y"]):
    if name == "program":
        open("program.md", "a").write("edited\\n")
    else:
        src = open("train.py").read()
        old = re.search(rf"^{name} = ([0-9.]+)", src, re.M).group(1)
        open("train.py", "w").write(src.replace(f"{name} = {old}", f"{name} = {float(old) * 1.25}"))
    subprocess.run(["git", "commit", "-qam", f"variant {j}: {name}"], check=True)
"""


def common(
    tag: str,
    agent: str,
    turns: int = 2,
    strategies: tuple[str, ...] = PAIR,
    parallel: int = 3,
) -> list[str]:
    """One round of ``turns`` turns of up to ``parallel`` commits each, on 4 fake GPUs."""
    return evolve_args(
        tag,
        "--parallel",
        str(parallel),
        strategies=strategies,
        experiments=turns,
        gpus="0,1,2,3",
        agent=agent,
    )


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Done:
    """Two mock agents, 2 turns each, 3 variants a turn, on 4 fake GPUs."""
    root = tmp_path_factory.mktemp("waves")
    repo = make_repo(root)
    env = {**rig_env(root), "RIG_SLEEP": "1.0"}
    return root, repo, run_evolve(repo, *common("w1", "mock"), env=env)


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def test_three_rows_per_turn(finished: Done) -> None:
    _, repo, proc = finished
    assert proc.returncode in (0, 1, 2), proc.stderr
    state = json.loads((ae_dir(repo) / "state.json").read_text())
    assert state["config"]["parallel"] == 3  # saved: a resume keeps it
    pooled = rows(ae_dir(repo) / "results.all.tsv")
    for agent in state["agents"]:
        own = [
            r
            for r in pooled
            if r["agent"] == agent["name"]
            and not r["description"].startswith(("baseline", "validate"))
        ]
        assert len(own) == 6, own  # 2 turns x 3 variants, every one a row
        assert len({r["commit"] for r in own}) == 6
        assert agent["total"] == 6
        for turn in (own[:3], own[3:]):  # a change is trained alone on the turn's start unless
            seen: set[str] = set()  # it edits a knob an earlier variant of the turn changed
            start = git(repo, "rev-parse", f"{turn[0]['commit']}^")
            for row in turn:
                knob = row["description"].split()[0]
                stacked = "[stacked on " in row["description"]
                assert stacked == (knob in seen), turn
                assert (git(repo, "rev-parse", f"{row['commit']}^") == start) != stacked, row
                seen.add(knob)


def test_variants_of_a_turn_train_at_once(finished: Done) -> None:
    _, repo, _ = finished
    text = (ae_dir(repo) / "events.jsonl").read_text()
    events = [json.loads(line) for line in text.splitlines()]
    starts = {e["run"]: e["t"] for e in events if e["kind"] == "train_intent"}
    ends = {e["run"]: e["t"] for e in events if e["kind"] == "train_done"}
    waves: dict[str, list[str]] = {}
    for run in starts:
        if re.search(r"-e\d+-v\d+$", run):
            waves.setdefault(run.rsplit("-v", 1)[0], []).append(run)
    assert len(waves) == 4 and all(len(runs) == 3 for runs in waves.values()), waves
    for runs in waves.values():  # every variant had started before any of them ended
        assert max(starts[r] for r in runs) < min(ends[r] for r in runs), runs


def test_branch_ends_at_a_kept_variant_or_the_start(finished: Done) -> None:
    _, repo, _ = finished
    state = json.loads((ae_dir(repo) / "state.json").read_text())
    pooled = rows(ae_dir(repo) / "results.all.tsv")
    for agent in state["agents"]:
        tip = git(repo, "rev-parse", agent["branch"])
        mine = [r for r in pooled if r["agent"] == agent["name"]]
        kept = {r["commit"] for r in mine if r["status"] == "keep"}
        at_start = tip == state["base_sha"] or tip == state["champion_sha"]
        assert tip[:7] in kept or at_start, (tip, kept)


def sneaky_repo(root: Path) -> Path:
    """The rig repo, with the three-commit stand-in agent on PATH."""
    repo = make_repo(root)
    write_agent(root, "sneaky", SNEAKY)
    return repo


def test_commits_beyond_k_keep_a_ref_but_are_not_trained(tmp_path: Path) -> None:
    repo = sneaky_repo(tmp_path)
    args = common("w3", "sneaky {prompt_file}", 1, ("random",), parallel=2)
    proc = run_evolve(repo, *args, env=rig_env(tmp_path))
    assert proc.returncode in (0, 1, 2), proc.stderr
    assert "made 3 commits; only the first 2 are trained" in proc.stdout + proc.stderr
    own = [
        r["description"]
        for r in rows(ae_dir(repo) / "results.all.tsv")
        if r["description"].startswith("variant")
    ]
    assert [d.split(":")[0] for d in own] == ["variant 0", "variant 1"]
    refs = git(repo, "for-each-ref", "--format=%(objectname)", "refs/autoevolve/w3/exp/")
    subjects = [git(repo, "log", "-1", "--format=%s", sha) for sha in refs.split()]
    assert "variant 2: Y" in subjects  # the untrained third commit is not lost


def test_each_variant_is_checked_for_protected_paths(tmp_path: Path) -> None:
    repo = sneaky_repo(tmp_path)
    args = common("w2", "sneaky {prompt_file}", turns=1)
    proc = run_evolve(repo, *args, env=rig_env(tmp_path))
    assert proc.returncode in (0, 1, 2), proc.stderr
    own = [
        r for r in rows(ae_dir(repo) / "results.all.tsv") if r["description"].startswith("variant")
    ]
    assert len(own) == 6  # two agents, three variants each
    for row in own:  # the 2nd variant changes program.md: never trained; the 3rd is trained
        rejected = row["description"].startswith("variant 1")  # alone, without that change
        assert (row["status"] == "crash") == rejected, row
        assert ("protected_path" in row["description"]) == rejected, row


def test_the_prompt_offers_k_commits() -> None:
    one, three = rig_prompt(), rig_prompt(parallel=3)
    assert "exactly ONE experimental change" in one and "up to" not in one
    assert "up to 3 experimental changes" in three and "exactly ONE" not in three
    assert "Only `train.py` may change" in three


def first_seq(repo: Path, kind: str, tag: str) -> int:
    """The sequence number of the first ``kind`` event of a wave variant."""
    text = (ae_dir(repo, tag) / "events.jsonl").read_text()
    base = str(state_of(repo, tag)["base_sha"])[:7]
    for event in map(json.loads, text.splitlines()):
        run = str(event.get("run", "")) + str(event.get("commit", ""))
        variant = "-e0-v" in run or (kind == "row_done" and event.get("commit") != base)
        if event["kind"] == kind and variant:
            return int(event["seq"])
    raise AssertionError(f"no {kind} event")


def state_of(repo: Path, tag: str) -> dict[str, object]:
    return dict(json.loads((ae_dir(repo, tag) / "state.json").read_text()))


@pytest.mark.parametrize("kind", ["train_done", "row_done"])
def test_a_wave_killed_midway_resumes_without_losing_or_doubling_rows(
    tmp_path: Path, kind: str
) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    clean, repo = make_repo(tmp_path / "a"), make_repo(tmp_path / "b")
    env = {**rig_env(tmp_path), "RIG_SLEEP": "0.5"}
    one = ("conservative",)
    assert run_evolve(clean, *common("k0", "mock", 1, one), env=env).returncode in (0, 1, 2)
    seq = first_seq(clean, kind, "k0")  # killed right after the first variant's event
    killed = run_evolve(
        repo, *common("k1", "mock", 1, one), env={**env, "AUTOEVOLVE_FAULT_AT": str(seq)}
    )
    assert killed.returncode == -9, killed.stderr
    resumed = run_evolve(repo, "resume", env=env)
    assert resumed.returncode in (0, 1, 2), resumed.stderr
    pooled = [
        r
        for r in rows(ae_dir(repo, "k1") / "results.all.tsv")
        if not r["description"].startswith(("baseline", "validate"))
    ]
    want = [
        r
        for r in rows(ae_dir(clean, "k0") / "results.all.tsv")
        if not r["description"].startswith(("baseline", "validate"))
    ]
    assert len(want) == 3  # the same variants, each once, in order, with the same verdicts
    assert [(unsha(r["description"]), r["status"]) for r in pooled] == [
        (unsha(r["description"]), r["status"]) for r in want
    ]


def unsha(description: str) -> str:
    """A row description without commit ids (the two repos' first commits differ in date)."""
    return re.sub(r"\b[0-9a-f]{7}\b", "<sha>", description)
