"""The mock agent: no LLM, a real process that nudges train.py's numeric constants and commits.

    python -m autoevolve.mock_agent --strategy conservative --seed 3 [--file train.py]
        [--message-prefix TEXT] [--hints FILE]

Run inside a git work tree. It picks knobs and steps by strategy, rewrites only those literals
and commits the file with a ``KNOB old -> new`` message. The same seed, strategy, file and
hints give the same edit. Exit 0 after the commit; 1 (one line on stderr) when it cannot.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import click

from .demo import Knob, find_knobs


@dataclass(frozen=True)
class Profile:
    """How a strategy edits: how many knobs, the step factor range, preferred knob kinds."""

    count: tuple[int, int]
    step: tuple[float, float]
    prefer: tuple[str, ...] = ()
    down: tuple[str, ...] = ()


CONSERVATIVE = Profile((1, 1), (1.1, 1.25), ("lr", "ratio"))
AGGRESSIVE = Profile((2, 3), (1.5, 3.0))
RANDOM = Profile((1, 1), (1.02, 3.0))
STRATEGIES: dict[str, Profile] = {
    "conservative": CONSERVATIVE,
    "aggressive": AGGRESSIVE,
    "random": RANDOM,
    "architecture-first": Profile((1, 2), (1.1, 2.0), ("architecture",)),
    "hyperparams-first": Profile((1, 2), (1.1, 1.5), ("lr", "ratio", "regularization", "batch")),
    "optimizer-first": Profile((1, 2), (1.1, 1.6), ("lr",)),
    "regularization-first": Profile((1, 1), (1.1, 2.0), ("regularization",)),
    "efficiency-first": Profile((1, 2), (1.1, 2.0), ("batch", "depth"), ("batch", "depth")),
    "radical": Profile((3, 4), (1.5, 4.0)),
}
KINDS: dict[str, Callable[[str], bool]] = {
    "lr": lambda n: n.endswith("LR"),
    "ratio": lambda n: ("RATIO" in n or "FRAC" in n) and "ASPECT" not in n,
    "architecture": lambda n: re.search(r"DEPTH|LAYER|ASPECT|HEAD|EMBD|WIDTH|_DIM$", n) is not None,
    "depth": lambda n: "DEPTH" in n or "LAYER" in n,
    "regularization": lambda n: re.search(r"DECAY|DROPOUT|_WD$", n) is not None,
    "batch": lambda n: "BATCH" in n,
}
PREFERRED_WEIGHT = 8.0
DOWN_PROBABILITY = 0.85
HINT_PROBABILITY = 0.5
_HINT = re.compile(r"\b([A-Za-z][A-Za-z0-9_]*)\s+(\S+)\s*(?:->|→)\s*([^\s,;]+)")


class AgentError(Exception):
    """Why the mock agent made no commit."""


@dataclass(frozen=True)
class Change:
    """One literal to rewrite: the knob and its new literal text."""

    knob: Knob
    new: str

    def describe(self) -> str:
        """``NAME old -> new``."""
        return f"{self.knob.name} {self.knob.literal} -> {self.new}"


def profile_of(strategy: str) -> Profile:
    """A strategy's profile; unknown names (user markdown strategies) edit like ``random``."""
    return STRATEGIES.get(strategy, RANDOM)


def make_rng(strategy: str, seed: int, content: bytes, hints: bytes = b"") -> random.Random:
    """A generator seeded from the strategy, seed, the file's knob settings (``content``: an edit
    elsewhere in the file does not change it) and hints bytes (stable across runs)."""
    digest = hashlib.sha256(f"{strategy}\0{seed}\0".encode())
    for part in (content, b"\0", hints):
        digest.update(part)
    return random.Random(int.from_bytes(digest.digest()[:8], "big"))


def read_hints(text: str) -> dict[str, bool]:
    """Knob → direction (True = up) from ``KNOB old -> new`` lines of changes that helped."""
    hints: dict[str, bool] = {}
    for m in _HINT.finditer(text):
        try:
            old, new = float(m.group(2)), float(m.group(3))
        except ValueError:
            continue
        if old != new:
            hints[m.group(1).upper()] = new > old
    return hints


def _weight(name: str, profile: Profile) -> float:
    preferred = any(KINDS[kind](name) for kind in profile.prefer)
    return PREFERRED_WEIGHT if preferred else 1.0


def _pick(knobs: Sequence[Knob], count: int, profile: Profile, rng: random.Random) -> list[Knob]:
    """``count`` distinct knobs, drawn with the profile's preference weights."""
    pool, picked = list(knobs), []
    for _ in range(min(count, len(pool))):
        weights = [_weight(k.name, profile) for k in pool]
        picked.append(pool.pop(rng.choices(range(len(pool)), weights)[0]))
    return picked


def _up(name: str, profile: Profile, rng: random.Random) -> bool:
    if any(KINDS[kind](name) for kind in profile.down):
        return rng.random() > DOWN_PROBABILITY
    return rng.random() < 0.5


def plan(
    knobs: Sequence[Knob], profile: Profile, rng: random.Random, hints: dict[str, bool]
) -> list[Change]:
    """The changes one experiment makes: knobs, directions and step factors."""
    count = rng.randint(*profile.count)
    chosen = {k.name: k for k in _pick(knobs, count, profile, rng)}
    # a knob the hints name moves the way that helped, whether drawn or hinted
    directions = {
        name: hints[name] if name in hints else _up(name, profile, rng) for name in chosen
    }
    hinted = [k for k in knobs if k.name in hints]
    if hinted and rng.random() < HINT_PROBABILITY:
        knob = rng.choice(hinted)
        if knob.name not in chosen:
            chosen.pop(next(iter(chosen)))
            chosen = {knob.name: knob, **chosen}
        directions[knob.name] = hints[knob.name]
    low, high = profile.step
    changes = []
    for name, knob in chosen.items():
        factor = math.exp(rng.uniform(math.log(low), math.log(high)))
        changes.append(Change(knob, step(knob, factor, directions[name])))
    return changes


def step(knob: Knob, factor: float, up: bool) -> str:
    """The new literal of a knob moved by ``factor`` (ints stay ints, powers of two stay so)."""
    old = knob.value
    if isinstance(old, int):
        return str(_step_int(knob.name, old, factor, up))
    bounded = KINDS["ratio"](knob.name) and 0.0 <= old <= 1.0
    new = _step_float(old, factor, up)
    if bounded and new > 1.0:
        new = _step_float(old, factor, not up)
    return repr(new)


def _step_int(name: str, old: int, factor: float, up: bool) -> int:
    if old >= 1 and old & (old - 1) == 0 and ("BATCH" in name or name.endswith("_DIM")):
        shift = max(1, round(math.log2(factor)))
        new = old << shift if up or old >> shift < 1 else old >> shift
        return new
    new = round(old * factor) if up else round(old / factor)
    if new == old:
        new = old + (1 if up else -1)
    if old >= 1 > new:
        new = max(old + 1, round(old * factor))
    return new


def _step_float(old: float, factor: float, up: bool) -> float:
    if old == 0.0:
        return _round(0.02 * factor)
    new = _round(old * factor if up else old / factor)
    for digits in (4, 6, 10):
        if new != old:
            break
        new = _round(old * factor if up else old / factor, digits)
    return new


def _round(value: float, digits: int = 3) -> float:
    """``value`` to ``digits`` significant digits."""
    return float(f"{value:.{digits}g}")


def rewrite(text: str, changes: Sequence[Change]) -> str:
    """``text`` with each changed literal replaced and every other byte kept."""
    for change in sorted(changes, key=lambda c: c.knob.start, reverse=True):
        text = text[: change.knob.start] + change.new + text[change.knob.end :]
    return text


def _git(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=check)


def _commit(path: Path, message: str) -> None:
    """``git add`` and ``git commit`` just this file (with a fallback identity if none is set)."""
    identity: list[str] = []
    if _git("config", "user.email", check=False).returncode != 0:
        identity = ["-c", "user.name=autoevolve mock agent"]
        identity += ["-c", "user.email=mock-agent@autoevolve.invalid"]
    _git("add", "--", str(path))
    _git(*identity, "-c", "commit.gpgsign=false", "commit", "-q", "-m", message, "--", str(path))


def run(strategy: str, seed: int, file: Path, prefix: str, hints_file: Path | None) -> str:
    """Edit and commit ``file`` in the current work tree; return the commit message."""
    inside = _git("rev-parse", "--is-inside-work-tree", check=False)
    if inside.returncode != 0 or inside.stdout.strip() != "true":
        raise AgentError("not inside a git work tree")
    try:
        original = file.read_bytes()
        hints = hints_file.read_bytes() if hints_file is not None else b""
        text = original.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AgentError(f"cannot read {exc}") from exc
    knobs = find_knobs(text)
    if not knobs:
        raise AgentError(f"no UPPER_CASE numeric constant (NAME = number) in {file}")
    settings = "\n".join(f"{k.name}={k.literal}" for k in knobs).encode()
    rng = make_rng(strategy, seed, settings, hints)
    changes = plan(knobs, profile_of(strategy), rng, read_hints(hints.decode("utf-8", "replace")))
    description = ", ".join(change.describe() for change in changes)
    message = description if not prefix else f"{prefix.rstrip()} {description}"
    file.write_bytes(rewrite(text, changes).encode("utf-8"))
    try:
        _commit(file, message)
    except (OSError, subprocess.CalledProcessError) as exc:
        file.write_bytes(original)
        _git("reset", "-q", "--", str(file), check=False)
        detail = getattr(exc, "stderr", "") or str(exc)
        raise AgentError(f"git commit failed: {' '.join(detail.split())}") from exc
    return message


@click.command("mock_agent", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--strategy", required=True, help="Strategy name; unknown names act like random.")
@click.option("--seed", type=int, required=True, help="Seed: same seed and file, same edit.")
@click.option("--file", "file", default="train.py", show_default=True, help="File to edit.")
@click.option("--message-prefix", default="", help="Text put before the commit description.")
@click.option("--hints", "hints", default=None, help="File of `KNOB old -> new` lines that won.")
@click.option(
    "--variants",
    type=click.IntRange(1),
    default=1,
    show_default=True,
    envvar="AUTOEVOLVE_PARALLEL",
    help="Commits to make, one change each (stacked).",
)
def main(
    strategy: str, seed: int, file: str, message_prefix: str, hints: str | None, variants: int
) -> None:
    """Nudge train.py's numeric constants by strategy and commit the change (``--variants``
    times, each on top of the last)."""
    for j in range(variants):
        try:
            message = run(
                strategy, seed + j, Path(file), message_prefix, Path(hints) if hints else None
            )
        except AgentError as exc:
            click.echo(f"mock_agent: {exc}", err=True)
            sys.exit(1)
        click.echo(message)


if __name__ == "__main__":
    main()
