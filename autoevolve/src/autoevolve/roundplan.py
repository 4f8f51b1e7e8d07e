"""A round's end as typed records: the write-ahead plan and the round's entry in the history.

Both keep the JSON shape of the state file (``round_plan`` and ``rounds``) and of ``autoevolve
status`` (``history``): :meth:`to_json` writes it, :meth:`from_json` reads it, older files
included (a key they lack takes its default).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

Picks = Mapping[str, tuple[str, ...]]  # agent -> commits to cherry-pick next round


def _picks(raw: Any) -> dict[str, tuple[str, ...]]:
    return {str(name): tuple(shas) for name, shas in dict(raw or {}).items()}


def _picks_json(picks: Picks) -> dict[str, list[str]]:
    return {name: list(shas) for name, shas in picks.items()}


@dataclass(frozen=True)
class RoundPlan:
    """What a round's end will do, written before it is done: the tips, then the decision.

    ``decided`` is the JSON's "has a ``winner`` key": a plan without one has not been judged
    yet (``winner`` None then means "decided: no winner").
    """

    round: int
    tips: Mapping[str, str]
    champion_before: str
    decided: bool = False
    winner: str | None = None
    picks: Picks = field(default_factory=dict)
    unvalidated: str | None = None  # the winner crowned on a retest (--validate 0)
    passed_over: tuple[str, ...] = ()  # better means judged no keep against the champion

    def to_json(self) -> dict[str, Any]:
        """The state file's ``round_plan`` (optional keys only once they are set)."""
        out: dict[str, Any] = {
            "round": self.round,
            "tips": dict(self.tips),
            "champion_before": self.champion_before,
        }
        if self.unvalidated is not None:
            out["unvalidated"] = self.unvalidated
        if self.passed_over:
            out["passed_over"] = list(self.passed_over)
        if self.decided:
            out["winner"] = self.winner
            out["picks"] = _picks_json(self.picks)
        return out

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> RoundPlan:
        """Read what :meth:`to_json` wrote."""
        return cls(
            round=int(raw["round"]),
            tips=dict(raw["tips"]),
            champion_before=str(raw["champion_before"]),
            decided="winner" in raw,
            winner=raw.get("winner"),
            picks=_picks(raw.get("picks")),
            unvalidated=raw.get("unvalidated"),
            passed_over=tuple(raw.get("passed_over") or ()),
        )


@dataclass(frozen=True)
class RoundRecord:
    """A closed round in the history: who won, the champion after it, what was picked."""

    round: int
    winner: str | None
    champion: str
    value: float | None
    picks: Picks = field(default_factory=dict)
    conflicts: tuple[str, ...] = ()  # picks that did not apply cleanly
    tips: Mapping[str, str] = field(default_factory=dict)
    unvalidated: str | None = None
    passed_over: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The state file's ``rounds`` entry and ``autoevolve status``'s ``history`` entry."""
        return {
            "round": self.round,
            "winner": self.winner,
            "champion": self.champion,
            "value": self.value,
            "picks": _picks_json(self.picks),
            "conflicts": list(self.conflicts),
            "tips": dict(self.tips),
            "unvalidated": self.unvalidated,
            "passed_over": list(self.passed_over),
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> RoundRecord:
        """Read what :meth:`to_json` wrote."""
        return cls(
            round=int(raw["round"]),
            winner=raw.get("winner"),
            champion=str(raw.get("champion", "")),
            value=raw.get("value"),
            picks=_picks(raw.get("picks")),
            conflicts=tuple(raw.get("conflicts") or ()),
            tips=dict(raw.get("tips") or {}),
            unvalidated=raw.get("unvalidated"),
            passed_over=tuple(raw.get("passed_over") or ()),
        )
