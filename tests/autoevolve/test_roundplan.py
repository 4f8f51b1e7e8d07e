"""Round plans and round records are typed, and the state file keeps its JSON shape."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from autoevolve.roundplan import RoundPlan, RoundRecord
from autoevolve.statefile import AgentState, Config, State, load_state, save_state

NAMES = st.sampled_from(["a1", "a2", "agent-3"])
SHAS = st.text("0123456789abcdef", min_size=7, max_size=40)
TIPS = st.dictionaries(NAMES, SHAS, min_size=1)
PICKS = st.dictionaries(NAMES, st.lists(SHAS, max_size=3).map(tuple))

# A decided plan and a round record exactly as the dict-based code wrote them.
OLD_PLAN: dict[str, Any] = {
    "round": 2,
    "tips": {"a1": "a" * 40, "a2": "b" * 40},
    "champion_before": "c" * 40,
    "passed_over": ["a2"],
    "winner": "a1",
    "picks": {"a2": ["d" * 40]},
}
OLD_RECORD: dict[str, Any] = {
    "round": 1,
    "winner": None,
    "champion": "c" * 40,
    "value": 0.9979,
    "picks": {},
    "conflicts": ["1234567"],
    "tips": {"a1": "c" * 40},
    "unvalidated": None,
    "passed_over": [],
}


@given(
    round_=st.integers(1, 99),
    tips=TIPS,
    champion=SHAS,
    decided=st.booleans(),
    winner=st.none() | NAMES,
    picks=PICKS,
    unvalidated=st.none() | NAMES,
    passed=st.lists(NAMES, max_size=2).map(tuple),
)
def test_a_plan_survives_its_json(
    round_: int,
    tips: dict[str, str],
    champion: str,
    decided: bool,
    winner: str | None,
    picks: dict[str, tuple[str, ...]],
    unvalidated: str | None,
    passed: tuple[str, ...],
) -> None:
    plan = RoundPlan(
        round_,
        tips,
        champion,
        decided,
        winner if decided else None,
        picks if decided else {},
        unvalidated,
        passed,
    )
    raw = json.loads(json.dumps(plan.to_json()))
    assert RoundPlan.from_json(raw) == plan
    assert ("winner" in raw) is decided


@given(
    round_=st.integers(1, 99),
    winner=st.none() | NAMES,
    champion=SHAS,
    value=st.none() | st.floats(0, 10),
    picks=PICKS,
    tips=TIPS,
    conflicts=st.lists(SHAS, max_size=2).map(tuple),
)
def test_a_round_record_survives_its_json(
    round_: int,
    winner: str | None,
    champion: str,
    value: float | None,
    picks: dict[str, tuple[str, ...]],
    tips: dict[str, str],
    conflicts: tuple[str, ...],
) -> None:
    record = RoundRecord(round_, winner, champion, value, picks, conflicts, tips)
    assert RoundRecord.from_json(json.loads(json.dumps(record.to_json()))) == record


def test_the_old_dicts_read_and_write_back_unchanged() -> None:
    plan = RoundPlan.from_json(OLD_PLAN)
    assert plan.decided and plan.winner == "a1" and plan.picks == {"a2": ("d" * 40,)}
    assert plan.to_json() == OLD_PLAN
    undecided = {k: OLD_PLAN[k] for k in ("round", "tips", "champion_before")}
    assert not RoundPlan.from_json(undecided).decided
    assert RoundPlan.from_json(undecided).to_json() == undecided
    assert RoundRecord.from_json(OLD_RECORD).to_json() == OLD_RECORD
    older = {k: v for k, v in OLD_RECORD.items() if k not in ("unvalidated", "passed_over")}
    assert RoundRecord.from_json(older).passed_over == ()  # a file from before those keys


def _state() -> State:
    config = Config(
        strategies=["greedy"],
        agent="mock",
        gpus=["0"],
        rounds=3,
        experiments_per_round=2,
        round_minutes=None,
        train_cmd="python train.py",
        timeout=60.0,
        agent_timeout=60.0,
        propagate="all",
        seed=1,
    )
    agent = AgentState("a1", "greedy", "auto", "b", "w", "0")
    return State("t", "main", "c" * 40, config, [agent], round=2, phase="closing")


def test_the_state_file_keeps_its_shape(tmp_path: Path) -> None:
    """A state file written by the dict-based code loads, and writes back byte for byte."""
    path = tmp_path / "state.json"
    save_state(path, _state())
    raw = json.loads(path.read_text())
    raw["rounds"], raw["round_plan"] = [OLD_RECORD], OLD_PLAN
    old_text = json.dumps(raw, indent=1, sort_keys=True) + "\n"
    path.write_text(old_text)
    state = load_state(path)
    assert state.round_plan == RoundPlan.from_json(OLD_PLAN)
    assert state.rounds == [RoundRecord.from_json(OLD_RECORD)]
    assert save_state(path, state) == old_text
