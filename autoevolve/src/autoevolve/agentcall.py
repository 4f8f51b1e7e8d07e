"""What an agent's command is given: its prompt file, the placeholders and the base environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .statefile import AgentState


@dataclass(frozen=True)
class AgentCall:
    """The placeholders of ``--agent`` and the environment common to both modes."""

    values: dict[str, str]
    env: dict[str, str]


def agent_call(rdir: Path, agent: AgentState, k: int, prompt: str, seed: str) -> AgentCall:
    """Write ``<agent>.prompt.md`` in round folder ``rdir``; the command's values and env."""
    rdir.mkdir(parents=True, exist_ok=True)
    prompt_file = rdir / f"{agent.name}.prompt.md"
    prompt_file.write_text(prompt, encoding="utf-8")
    values = {
        "prompt": prompt,
        "prompt_file": str(prompt_file),
        "worktree": agent.worktree,
        "agent": agent.name,
        "strategy": agent.strategy,
        "round": str(k),
        "seed": seed,
    }
    env = {
        **os.environ,
        "AUTOEVOLVE_AGENT": agent.name,
        "AUTOEVOLVE_ROUND": str(k),
        "AUTOEVOLVE_PROMPT_FILE": str(prompt_file),
    }
    return AgentCall(values, env)
