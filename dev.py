#!/usr/bin/env python3
"""Set up autolab on a machine with only Python and git, then run its examples or its tests.

    python3 dev.py example          # autojudge on examples/, the autoevolve demo, autosteer
    python3 dev.py test             # ruff, ruff format, mypy --strict and the tests (not `slow`)
    python3 dev.py test --slow      # only the tests marked `slow` (the exhaustive fault test ...)
    python3 dev.py test -- -k noise # anything after `--` goes to pytest
    python3 dev.py wheels           # build every wheel, pip-install each CLI alone in a new venv

It finds uv (PATH, ``python -m uv``, or a private venv it creates under .autolab-bootstrap/),
then ``uv sync --locked`` makes .venv with all four packages installed editable (all extras).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
BOOT = ROOT / ".autolab-bootstrap"


def log(message: str) -> None:
    print(f"[dev] {message}", file=sys.stderr, flush=True)


def _works(cmd: list[str]) -> bool:
    try:
        return subprocess.run([*cmd, "--version"], capture_output=True, check=False).returncode == 0
    except OSError:
        return False


class BootstrapError(Exception):
    """A set-up step failed; the message holds the command and what it printed."""


def _checked(cmd: list[str], what: str) -> None:
    """Run a set-up command; on failure raise with its own output (the real cause)."""
    log("$ " + " ".join(cmd))
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        said = (proc.stderr.strip() or proc.stdout.strip() or "(no output)")[-3000:]
        raise BootstrapError(f"{what} failed (exit {proc.returncode}):\n{said}")


def _private_uv() -> list[str]:
    """Install uv into a private virtual environment (works under PEP 668 too)."""
    bindir = BOOT / ("Scripts" if os.name == "nt" else "bin")
    uv = bindir / ("uv.exe" if os.name == "nt" else "uv")
    if _works([str(uv)]):
        return [str(uv)]
    log("uv not found: installing it with pip into .autolab-bootstrap/")
    made = subprocess.run([sys.executable, "-m", "venv", str(BOOT)], check=False).returncode == 0
    quiet = ["install", "--quiet", "--disable-pip-version-check", "uv"]
    if made:
        _checked([str(bindir / "python"), "-m", "pip", *quiet], "installing uv with pip")
        return [str(uv)]
    log("python -m venv is unavailable: installing uv with pip --user")
    user = [sys.executable, "-m", "pip", *quiet, "--user"]
    try:
        _checked(user, "installing uv with pip --user")
    except BootstrapError:
        _checked([*user, "--break-system-packages"], "installing uv with pip --user")
    return [sys.executable, "-m", "uv"]


def find_uv() -> list[str]:
    """A command line that runs uv."""
    found = shutil.which("uv")
    if found and _works([found]):
        return [found]
    if _works([sys.executable, "-m", "uv"]):
        return [sys.executable, "-m", "uv"]
    return _private_uv()


def run(cmd: list[str]) -> int:
    log("$ " + " ".join(cmd))
    return subprocess.run(cmd, cwd=ROOT, check=False).returncode


def sync(uv: list[str]) -> None:
    """Create or update .venv exactly as uv.lock says; on failure say why (stale lock or not)."""
    cmd = [*uv, "sync", "--locked", "--all-packages", "--all-extras", "--compile-bytecode"]
    try:
        _checked([*cmd, "--quiet"], "uv sync")
    except BootstrapError as error:
        if "needs to be updated" in str(error):  # uv's own words for a stale lock file
            raise BootstrapError(
                f"{error}\nuv.lock is stale: run  {' '.join([*uv, 'lock'])}"
            ) from None
        raise
    if not shutil.which("uv"):
        log(f"uv is not on PATH; where this README says `uv run`, use: {' '.join(uv)} run")


def example(uv: list[str], _options: argparse.Namespace) -> int:
    """autojudge on examples/, then the autoevolve demo and autojudge/autosteer on its results.

    Each tool answers with 0, 1 or 2 (keep/discard/retest, progressing/stuck/...); only an
    error code (3 and up) from any step fails the command.
    """
    tool = [*uv, "run", "--no-sync"]
    demo = Path(tempfile.mkdtemp(prefix="autolab-demo-")) / "repo"
    pooled = str(demo / ".git" / "autoevolve" / "demo" / "results.all.tsv")
    steps = [
        [*tool, "autojudge", "--results", "examples/results.tsv", "--run", "examples/run.log",
         "--commit", "eb5bdc1", "--description", "scalar LR 0.6 to 0.4"],
        [*tool, "autoevolve", "demo", "--dir", str(demo)],
    ]  # fmt: skip
    for step in steps:
        code = run(step)
        if code > 2:
            return code
    # the champion's own lineage is what autoevolve judged (the pooled file mixes every agent)
    state = json.loads((demo / ".git" / "autoevolve" / "demo" / "state.json").read_text())
    holder = next((a for a in state["agents"] if a["name"] == state["champion_agent"]), None)
    lineage = str(Path(holder["worktree"]) / "results.tsv") if holder else pooled
    for step in (
        [*tool, "autojudge", "--results", lineage, "--all"],
        [*tool, "autosteer", "--results", pooled],
    ):
        code = run(step)
        if code > 2:
            return code
    log(f"example finished (answers 0-2 are verdicts, not failures); demo repo: {demo}")
    return 0


def test(uv: list[str], options: argparse.Namespace) -> int:
    """Lint, types and the tests not marked slow; with --slow only the slow tests."""
    # tests run in parallel (pytest-xdist), one group per worker: the Ray cluster tests share one
    workers = str(min(4, os.cpu_count() or 1))
    pytest = ["pytest", "--durations=5", "-n", workers, "--dist", "loadgroup", *options.pytest_args]
    steps = [
        ["ruff", "check", "."],
        ["ruff", "format", "--check", "."],
        ["mypy"],
        [*pytest, "-m", "not slow"],
    ]
    if options.slow:
        steps = [[*pytest, "-m", "slow"]]
    for step in steps:
        code = run([*uv, "run", "--no-sync", *step])
        if code != 0:
            log(f"failed: {' '.join(step)} (exit {code})")
            return code
    return 0


def wheels(uv: list[str], _options: argparse.Namespace) -> int:
    """Build all wheels without workspace sources; pip-install each CLI alone in a fresh venv."""
    import tempfile

    dist = ROOT / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    if run([*uv, "build", "--all-packages", "--no-sources", "--out-dir", str(dist)]) != 0:
        return 3
    shared = sorted(dist.glob("autolab_shared-*.whl"))
    for tool in ("autojudge", "autosteer", "autoevolve"):
        with tempfile.TemporaryDirectory(prefix=f"autolab-{tool}-") as tmp:
            if (
                _smoke(Path(tmp), [*shared, *sorted(dist.glob(f"autolab_{tool[4:]}-*.whl"))], tool)
                != 0
            ):
                return 3
    return 0


def _smoke(venv: Path, wheel_files: list[Path], tool: str) -> int:
    """pip install the wheels into a new venv; run --help, --version, python -m (and a report)."""
    if run([sys.executable, "-m", "venv", str(venv)]) != 0:
        return 3
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    pip = [str(bindir / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    checks = [
        [*pip, *map(str, wheel_files)],
        [str(bindir / tool), "--help"],
        [str(bindir / tool), "--version"],
        [str(bindir / "python"), "-m", tool, "--version"],
    ]
    if tool == "autojudge":  # the report template is package data: render it without matplotlib
        example = str(ROOT / "examples" / "results.tsv")
        checks.append(
            [
                str(bindir / tool),
                "--results",
                example,
                "--all",
                "-q",
                "--html",
                str(venv / "report.html"),
            ]
        )
    return next((code for code in map(run, checks) if code != 0), 0)


COMMANDS = {"example": example, "test": test, "wheels": wheels}


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="python3 dev.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("example", help="run the tools on the bundled example data and the demo")
    test_cmd = commands.add_parser("test", help="ruff, mypy --strict and pytest (what CI runs)")
    test_cmd.add_argument("--slow", action="store_true", help="run only the tests marked slow")
    commands.add_parser("wheels", help="build the wheels and install each CLI in a fresh venv")
    return top


def main(argv: list[str]) -> int:
    extra = argv[argv.index("--") + 1 :] if "--" in argv else []
    own = argv[: argv.index("--")] if "--" in argv else argv
    try:
        options = parser().parse_args(own)
    except SystemExit as stop:  # argparse: 0 for --help, 2 for a usage error
        return 0 if stop.code == 0 else 4
    if extra and options.command != "test":
        print(f"python3 dev.py {options.command}: takes no arguments after --", file=sys.stderr)
        return 4
    options.pytest_args = extra
    try:
        uv = find_uv()
        sync(uv)
    except BootstrapError as error:
        log(f"set-up failed: {error}")
        return 3
    return COMMANDS[options.command](uv, options)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
