"""Install size and cold start of each CLI, from its wheels, in a fresh virtual environment.

    python benchmarks/install_footprint.py              # this checkout
    python benchmarks/install_footprint.py --ref e15c252  # and an older commit, for before/after

Builds the wheels (``uv build --all-packages --no-sources``), pip-installs each CLI with the shared
library into its own new venv, and prints: the size of site-packages, the distributions pulled in
(largest first), and the median wall time of ``<tool> --version`` and of one real command on the
bundled example (5 runs each, after one warm-up run). Needs network access to the package index.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ("autojudge", "autosteer", "autoevolve")
EXAMPLE = ROOT / "examples" / "results.tsv"
COMMANDS = {
    "autojudge": ["--results", str(EXAMPLE), "-q"],
    "autosteer": ["--results", str(EXAMPLE), "-q"],
    "autoevolve": ["--help"],
}


def size_of(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def build(source: Path, dist: Path) -> None:
    subprocess.run(
        ["uv", "build", "--all-packages", "--no-sources", "--out-dir", str(dist)],
        cwd=source,
        check=True,
        capture_output=True,
    )


def wheels_for(dist: Path, tool: str) -> list[str]:
    own = [*dist.glob(f"autolab_{tool[4:]}-*.whl"), *dist.glob(f"{tool}-*.whl")]
    return [str(p) for p in (*dist.glob("autolab_shared-*.whl"), *own)]


def timed(argv: list[str], runs: int = 5) -> float:
    subprocess.run(argv, capture_output=True, check=False)  # warm the page cache
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(dist: Path, tool: str, work: Path) -> dict[str, object]:
    venv = work / f"venv-{tool}"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [
        str(venv / "bin" / "python"),
        "-m",
        "pip",
        "install",
        "-q",
        "--disable-pip-version-check",
    ]
    subprocess.run([*pip, *wheels_for(dist, tool)], check=True)
    site = next((venv / "lib").glob("python3*/site-packages"))
    packages = sorted(
        (
            (size_of(p), p.name)
            for p in site.iterdir()
            if p.is_dir()
            and not p.name.endswith((".dist-info", "__pycache__"))
            and p.name not in ("pip", "_distutils_hack")
        ),
        reverse=True,
    )
    exe = str(venv / "bin" / tool)
    return {
        "site_mb": size_of(site) / 2**20,
        "top": ", ".join(f"{name} {size / 2**20:.1f}" for size, name in packages[:6]),
        "version_s": timed([exe, "--version"]),
        "command_s": timed([exe, *COMMANDS[tool]]),
    }


def report(label: str, source: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="autolab-footprint-") as tmp:
        dist = Path(tmp) / "dist"
        build(source, dist)
        print(f"\n## {label}\n")
        print("| tool | site-packages MB | largest packages (MB) | --version s | one command s |")
        print("|---|---|---|---|---|")
        for tool in TOOLS:
            m = measure(dist, tool, Path(tmp))
            print(
                f"| {tool} | {m['site_mb']:.1f} | {m['top']} | {m['version_s']:.3f} "
                f"| {m['command_s']:.3f} |"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", help="also measure this git commit (e.g. the one before a change)")
    args = parser.parse_args()
    if args.ref:
        with tempfile.TemporaryDirectory(prefix="autolab-ref-") as tmp:
            old = Path(tmp) / "src"
            subprocess.run(
                ["git", "worktree", "add", "-q", "--detach", str(old), args.ref],
                cwd=ROOT,
                check=True,
            )
            try:
                report(f"before: {args.ref}", old)
            finally:
                subprocess.run(
                    ["git", "worktree", "remove", "--force", str(old)], cwd=ROOT, check=False
                )
                shutil.rmtree(old, ignore_errors=True)
    report("this checkout", ROOT)


if __name__ == "__main__":
    main()
