"""Validation re-runs started while other agents finish: the round's decisions stay the same."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from evolve_cmd import evolve_args, run_evolve
from evolve_rig import ae_dir, make_repo, rig_env, validate_rows

Runs = dict[str, Path]
FOUR = ("conservative", "aggressive", "random", "radical")


def evolve(repo: Path, env: dict[str, str], gpus: str) -> subprocess.CompletedProcess[str]:
    args = evolve_args(
        None, "--seed", "1", "--validate", "1", strategies=FOUR, rounds=2, gpus=gpus, quiet=True
    )
    return run_evolve(repo, *args, env=env, timeout=300)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    """One competition on 4 GPUs (re-runs start early) and the same on 1 GPU (they cannot)."""
    out: Runs = {}
    for name, gpus in (("four", "0,1,2,3"), ("one", "0")):
        root = tmp_path_factory.mktemp(name)
        repo = make_repo(root)
        proc = evolve(repo, {**rig_env(root), "RIG_SLEEP": "0.3"}, gpus)
        assert proc.returncode in (0, 1, 2), proc.stderr
        out[name] = ae_dir(repo)
    return out


def events(home: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (home / "events.jsonl").read_text().splitlines()]


def test_decisions_match_validating_at_the_close(runs: Runs) -> None:
    """Same winners, champion and validation rows as on one GPU, where nothing starts early."""
    four, one = (json.loads((runs[n] / "state.json").read_text()) for n in ("four", "one"))
    assert [r["winner"] for r in four["rounds"]] == [r["winner"] for r in one["rounds"]]
    assert four["champion_value"] == one["champion_value"]
    assert validate_rows(runs["four"]) == validate_rows(runs["one"])
    assert validate_rows(runs["four"]), "no round validated a candidate: the test shows nothing"


def test_only_candidates_recorded_and_nothing_lost(runs: Runs) -> None:
    """At most 2 validation rows a round; every early re-run ended (none outlives its round)."""
    log = events(runs["four"])
    started = {e["run"] for e in log if e["kind"] == "train_intent"}
    done = {e["run"] for e in log if e["kind"] == "train_done"}
    assert started <= done
    for k in (1, 2):
        rows = [r for r in validate_rows(runs["four"]) if r[1].startswith(f"validate r{k}:")]
        assert len(rows) <= 2
        reruns = {str(r) for r in done if str(r).startswith(f"r{k}-validate-")}
        assert len(reruns) >= len(rows)
        decided = next(
            i for i, e in enumerate(log) if e["kind"] == "round_decided" and e["round"] == k
        )
        late = [
            e
            for e in log[decided:]
            if e["kind"] == "train_intent" and str(e["run"]).startswith(f"r{k}-")
        ]
        assert not late, "a round-k training started after the round was decided"
