"""A throwaway autoresearch-like git repo whose train.py simulates a known landscape (the demo).

The repo's train.py is :mod:`autoevolve.demo_train` copied verbatim (only the default of
DEMO_RUN_SECONDS is filled in), so :func:`true_value` scores a train.py with the very function
the run uses.
"""

from __future__ import annotations

import math
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DEMO_KNOBS", "Knob", "find_knobs", "read_knobs", "true_value", "write_demo_repo"]

TEMPLATE = Path(__file__).with_name("demo_train.py")
_RUN_SECONDS = '"DEMO_RUN_SECONDS", "1.0"'
_KNOB_LINE = re.compile(
    r"^(?P<name>[A-Z][A-Z0-9_]*)[ \t]*=[ \t]*"
    r"(?P<value>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)[ \t]*(?:#[^\r\n]*)?\r?$",
    re.MULTILINE,
)


@dataclass(frozen=True)
class Knob:
    """One ``NAME = number`` line of a train.py: the value and where its literal sits."""

    name: str
    value: float | int
    literal: str
    start: int
    end: int


def find_knobs(train_py: str) -> list[Knob]:
    """Every module-level UPPER_CASE numeric constant, in file order (the first of a repeat)."""
    knobs: dict[str, Knob] = {}
    for m in _KNOB_LINE.finditer(train_py):
        literal = m.group("value")
        integral = not any(c in literal for c in ".eE")
        value: float | int = int(literal) if integral else float(literal)
        knobs.setdefault(m.group("name"), Knob(m.group("name"), value, literal, *m.span("value")))
    return list(knobs.values())


def read_knobs(train_py: str) -> dict[str, float | int]:
    """The module-level UPPER_CASE numeric constants of a train.py text (ints stay ints)."""
    return {knob.name: knob.value for knob in find_knobs(train_py)}


def _template() -> str:
    return TEMPLATE.read_text(encoding="utf-8")


DEMO_KNOBS: dict[str, float | int] = read_knobs(_template())


def true_value(train_py: str) -> float:
    """Noise-free val_bpb of the landscape at a train.py's constants; inf where the run crashes."""
    from . import demo_train as landscape  # imported only here, not by the mock agent

    knobs = {**DEMO_KNOBS, **read_knobs(train_py)}
    try:
        landscape.check(knobs)
        landscape.check_memory(knobs, landscape.shape(knobs))
    except (ValueError, AssertionError, landscape.OutOfMemoryError):
        return math.inf
    return landscape.true_bpb(knobs)


def demo_train_py(run_seconds: float = 1.0) -> str:
    """The demo's train.py text, taking ``run_seconds`` wall seconds a run by default."""
    if not (math.isfinite(run_seconds) and run_seconds >= 0):
        raise ValueError(f"run_seconds must be a finite number >= 0, got {run_seconds!r}")
    text = _template()
    if _RUN_SECONDS not in text:
        raise RuntimeError(f"{TEMPLATE} lost its DEMO_RUN_SECONDS default")
    return text.replace(_RUN_SECONDS, f'"DEMO_RUN_SECONDS", "{float(run_seconds)!r}"')


def write_demo_repo(path: Path, *, run_seconds: float = 1.0) -> None:
    """Create the demo git repo at ``path`` (absent or an empty directory) with one commit."""
    path = Path(path)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise FileExistsError(f"{path} exists and is not an empty directory")
    files = {"train.py": demo_train_py(run_seconds), **DEMO_FILES}
    path.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (path / name).write_text(text, encoding="utf-8")
    _git(path, "init", "-q")
    _git(path, "symbolic-ref", "HEAD", "refs/heads/master")
    if _git(path, "config", "user.email", check=False).returncode != 0:
        _git(path, "config", "user.name", "autoevolve demo")
        _git(path, "config", "user.email", "demo@autoevolve.invalid")
    _git(path, "add", "--", *sorted(files))
    _git(path, "-c", "commit.gpgsign=false", "commit", "-q", "-m", "demo: baseline train.py")


def _git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=check)


def _lines(lines: Sequence[str]) -> str:
    return "\n".join(lines) + "\n"


PROGRAM_MD = _lines(
    [
        "# autoresearch (demo)",
        "",
        "This is an experiment to have the LLM do its own research, on a simulated problem.",
        "",
        "## Setup",
        "",
        "1. Agree on a run tag and create the branch `autoresearch/<tag>` from master.",
        "2. Read README.md, prepare.py and train.py for context.",
        "3. Create `results.tsv` with just the header row:",
        "   `commit\\tval_bpb\\tmemory_gb\\tstatus\\tdescription`.",
        "",
        "## Experimenting",
        "",
        "Each experiment runs on a fixed time budget. Launch it as `uv run train.py`.",
        "",
        "**What you CAN do:** modify `train.py` (the only file you edit): architecture,",
        "optimizer, hyperparameters, batch size, model size.",
        "",
        "**What you CANNOT do:** modify `prepare.py`, install packages, or change the",
        "evaluation.",
        "",
        "**The goal is simple: get the lowest val_bpb.** Memory (peak_vram_mb) is a soft",
        "constraint; simpler is better at equal val_bpb.",
        "",
        "## The experiment loop",
        "",
        "LOOP FOREVER:",
        "",
        "1. Look at the git state: the current branch and commit.",
        "2. Tune `train.py` with an experimental idea by directly hacking the code.",
        "3. git commit, with a description such as `MATRIX_LR 0.04 -> 0.05`.",
        "4. Run the experiment: `uv run train.py > run.log 2>&1`.",
        '5. Read the results: `grep "^val_bpb:\\|^peak_vram_mb:" run.log`.',
        "6. If the grep is empty the run crashed: `tail -n 50 run.log`, fix or give up.",
        "7. Record the results in results.tsv (do not commit results.tsv).",
        "8. If val_bpb improved (lower), keep the commit and advance the branch.",
        "9. Otherwise git reset back to where you started.",
        "",
        "A run that takes more than twice its budget is a failure. NEVER STOP: keep going",
        "until you are interrupted.",
    ]
)

PREPARE_PY = _lines(
    [
        '"""Demo prepare.py: the simulated train.py needs no data, tokenizer or download."""',
        "",
        'if __name__ == "__main__":',
        '    print("Nothing to prepare: the demo train.py simulates its training run.")',
    ]
)

GITIGNORE = _lines(["run.log", "results.tsv", "worktrees/", "__pycache__/"])

README_MD = _lines(
    [
        "# autoresearch demo (made by autoevolve)",
        "",
        "A throwaway repository laid out like karpathy/autoresearch. `train.py` trains",
        "nothing: it simulates a 5-minute H100 run of the same model from its constants",
        "(DEPTH, MATRIX_LR, TOTAL_BATCH_SIZE, ...) on a known smooth landscape plus noise,",
        "in about a second of CPU, and prints the standard summary block (val_bpb,",
        "peak_vram_mb, ...). Settings a real run would choke on crash the same way:",
        "a traceback, a CUDA out-of-memory error, or a loss that explodes (FAIL).",
        "",
        "    python train.py > run.log 2>&1",
        "",
        "Environment: DEMO_RUN_SECONDS (wall seconds a run takes), DEMO_NOISE_SD (relative",
        "noise, default 0.0015; 0 for none), DEMO_NOISE_SEED (reproducible noise).",
        "See program.md for the agent's instructions.",
    ]
)

DEMO_FILES = {
    "program.md": PROGRAM_MD,
    "prepare.py": PREPARE_PY,
    ".gitignore": GITIGNORE,
    "README.md": README_MD,
}
