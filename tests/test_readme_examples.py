"""The outputs README.md shows are what the installed tools print today."""

from __future__ import annotations

import subprocess
from pathlib import Path

from support import REPO_ROOT, console_script

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
H100 = "karpathy__autoresearch__branch-exp-H100-mar8__results.tsv"


def _block_after(marker: str) -> list[str]:
    """The lines of the first bare fenced block (no language) that opens after ``marker``."""
    lines = README.split("\n")
    at = next(i for i, line in enumerate(lines) if marker in line)
    fenced, opening = False, None
    for i, line in enumerate(lines):
        if line.startswith("```"):
            if not fenced and i > at and line == "```":
                opening = i
            elif fenced and opening is not None:
                return lines[opening + 1 : i]
            fenced = not fenced
    raise AssertionError(f"no output block after {marker!r}")


def _run(*args: str) -> list[str]:
    proc = subprocess.run(
        [*args, "--no-color"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode in (0, 1, 2), proc.stderr
    return proc.stdout.rstrip("\n").split("\n")


def test_the_autojudge_example_is_what_autojudge_prints() -> None:
    shown = _block_after("autojudge --results results.tsv --all")
    printed = _run(
        console_script("autojudge"),
        *("--results", "examples/results.tsv", "--run", "examples/run.log"),
        *("--commit", "eb5bdc1", "--description", "scalar LR 0.6 to 0.4"),
    )
    assert shown == printed


def test_the_autosteer_example_is_what_autosteer_prints(real_results_dir: Path) -> None:
    shown = _block_after("On Karpathy's H100 night")
    printed = _run(
        console_script("autosteer"), "--results", str(real_results_dir / H100), "--seed", "7"
    )
    kept = [line for line in shown if line != "  ..."]  # the README abridges the categories
    at = 0
    for line in kept:
        assert line in printed[at:], line
        at = printed.index(line, at) + 1
    assert printed[-len(kept[-6:]) :] == kept[-6:]  # the suggestions, last lines included
