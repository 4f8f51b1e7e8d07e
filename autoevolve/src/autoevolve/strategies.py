"""Agent strategies: built-in markdown texts or user files, each with an autosteer mode."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .names import UsageProblem, check_name

BUILTIN = (
    "conservative", "aggressive", "random", "architecture-first", "hyperparams-first",
    "optimizer-first", "regularization-first", "efficiency-first", "radical",
)  # fmt: skip
MODES = ("auto", "exploit", "explore", "random")
_FRONT = re.compile(r"\A---\n(.*?)\n---\n?", re.S)


@dataclass(frozen=True)
class Strategy:
    """A strategy's name, its autosteer mode and the text added to the agent's prompt."""

    name: str
    steer: str
    text: str
    source: str  # 'builtin' or the file it came from


def parse_strategy(name: str, text: str, source: str) -> Strategy:
    """Split optional front matter (``steer: explore``) from the body."""
    steer = "auto"
    match = _FRONT.match(text)
    if match:
        for line in match.group(1).splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "steer" and value.strip() in MODES:
                steer = value.strip()
        text = text[match.end() :]
    return Strategy(name, steer, text.strip(), source)


def load_strategy(spec: str) -> Strategy:
    """A built-in strategy by name, or a user strategy from a markdown file."""
    if spec in BUILTIN:
        body = resources.files(__package__).joinpath(f"strategies/{spec}.md").read_text("utf-8")
        return parse_strategy(spec, body, "builtin")
    path = Path(spec)
    if path.suffix == ".md" or path.exists():
        try:
            body = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageProblem(f"cannot read strategy file {spec}: {exc.strerror}") from None
        return parse_strategy(check_name(path.stem, "strategy name"), body, str(path))
    raise UsageProblem(
        f"unknown strategy {spec!r}: use one of {', '.join(BUILTIN)} or a markdown file"
    )


def agent_names(strategies: list[Strategy]) -> list[str]:
    """One unique agent name per strategy (``random``, ``random-2``, ...)."""
    seen: dict[str, int] = {}
    names = []
    for strategy in strategies:
        seen[strategy.name] = seen.get(strategy.name, 0) + 1
        count = seen[strategy.name]
        names.append(strategy.name if count == 1 else f"{strategy.name}-{count}")
    return names
