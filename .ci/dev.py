#!/usr/bin/env python3
"""Bootstrap and run autolab's two entry points on a machine with only Python and git.

    python3 .ci/dev.py example   # autojudge on examples/, the autoevolve demo, autosteer
    python3 .ci/dev.py test      # lint, types and the whole test suite

It finds uv (PATH, ``python -m uv``, or a private venv it creates under
.autolab-bootstrap/), then ``uv sync --locked`` makes .venv with all four
packages installed editable (with the plot extra), then runs the command through ``uv run``.
Extra arguments after the command are passed on (to autojudge or pytest).
CI also runs ``python3 .ci/dev.py wheels``: build every wheel and pip-install
each CLI on its own into a fresh virtual environment.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOOT = ROOT / ".autolab-bootstrap"


def log(message: str) -> None:
    print(f"[dev] {message}", file=sys.stderr, flush=True)


def _works(cmd: list[str]) -> bool:
    try:
        return subprocess.run([*cmd, "--version"], capture_output=True, check=False).returncode == 0
    except OSError:
        return False


def _private_uv() -> list[str]:
    """Install uv into a private virtual environment (works under PEP 668 too)."""
    bindir = BOOT / ("Scripts" if os.name == "nt" else "bin")
    uv = bindir / ("uv.exe" if os.name == "nt" else "uv")
    if _works([str(uv)]):
        return [str(uv)]
    log("uv not found: installing it with pip into .autolab-bootstrap/")
    made = subprocess.run([sys.executable, "-m", "venv", str(BOOT)], check=False).returncode == 0
    if made:
        pip = [
            str(bindir / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ]
        subprocess.run([*pip, "uv"], check=True)
        return [str(uv)]
    log("python -m venv is unavailable: installing uv with pip --user")
    user = [sys.executable, "-m", "pip", "install", "--quiet", "--user", "uv"]
    if subprocess.run(user, check=False).returncode != 0:
        subprocess.run([*user, "--break-system-packages"], check=True)
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
    """Create or update .venv exactly as uv.lock says."""
    cmd = [*uv, "sync", "--locked", "--all-packages", "--all-extras", "--compile-bytecode"]
    if run([*cmd, "--quiet"]) != 0:
        sys.exit("[dev] uv sync failed (is uv.lock stale? run: uv lock)")


def example(uv: list[str], extra: list[str]) -> int:
    """autojudge on examples/, then the autoevolve demo and autojudge/autosteer on its results.

    Each tool answers with 0, 1 or 2 (keep/discard/retest, progressing/stuck/...); only an
    error code (3 and up) from any step fails the command.
    """
    if extra:
        return run([*uv, "run", "--no-sync", "autojudge", *extra])
    tool = [*uv, "run", "--no-sync"]
    demo = Path(tempfile.mkdtemp(prefix="autolab-demo-")) / "repo"
    pooled = str(demo / ".git" / "autoevolve" / "demo" / "results.all.tsv")
    steps = [
        [*tool, "autojudge", "--results", "examples/results.tsv", "--run", "examples/run.log",
         "--commit", "eb5bdc1", "--description", "scalar LR 0.6 to 0.4"],
        [*tool, "autoevolve", "demo", "--dir", str(demo)],
        [*tool, "autojudge", "--results", pooled, "--all"],
        [*tool, "autosteer", "--results", pooled],
    ]  # fmt: skip
    for step in steps:
        code = run(step)
        if code > 2:
            return code
    log(f"example finished (answers 0-2 are verdicts, not failures); demo repo: {demo}")
    return 0


def test(uv: list[str], extra: list[str]) -> int:
    steps = [
        ["ruff", "check", "."],
        ["ruff", "format", "--check", "."],
        ["mypy"],
        ["pytest", "--durations=5", *extra],
    ]
    for step in steps:
        code = run([*uv, "run", "--no-sync", *step])
        if code != 0:
            log(f"failed: {' '.join(step)} (exit {code})")
            return code
    return 0


def wheels(uv: list[str], extra: list[str]) -> int:
    """Build all wheels without workspace sources; pip-install each CLI alone in a fresh venv."""
    import tempfile

    dist = ROOT / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    if run([*uv, "build", "--all-packages", "--no-sources", "--out-dir", str(dist)]) != 0:
        return 3
    shared = sorted(dist.glob("autolab_shared-*.whl"))
    for tool in ("autojudge", "autosteer", "autoevolve"):
        with tempfile.TemporaryDirectory(prefix=f"autolab-{tool}-") as tmp:
            if _smoke(Path(tmp), [*shared, *sorted(dist.glob(f"{tool}-*.whl"))], tool) != 0:
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
        checks.append([str(bindir / tool), "--results", example, "--all", "-q", "--html",
                       str(venv / "report.html")])  # fmt: skip
    return next((code for code in map(run, checks) if code != 0), 0)


COMMANDS = {"example": example, "test": test, "wheels": wheels}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(__doc__, file=sys.stderr)
        return 4
    uv = find_uv()
    sync(uv)
    return COMMANDS[argv[0]](uv, argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
