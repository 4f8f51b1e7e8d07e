"""Does this checkout's autojudge print what another checkout's prints, on every real file?

    python3 benchmarks/same_output.py --base /path/to/main/checkout [--data ../shared/data/real]

Runs this repository's ``.venv/bin/autojudge`` twice per file and mode: once as it is, once with
``PYTHONPATH`` pointing at the other checkout's ``shared/src`` and ``autojudge/src`` (so the
same interpreter and packages run the other source tree), and compares standard output,
standard error and the exit code. Modes: one verdict (text and ``--format json``), ``--window
0 --format json``, and ``--all`` (text and JSON). For speed changes that must not change a
single byte. Standard library only; prints the files that differ and a count.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OURS = ROOT / ".venv" / "bin" / "autojudge"
MODES = {
    "verdict": [],
    "verdict-json": ["--format", "json"],
    "window0-json": ["--window", "0", "--format", "json"],
    "all": ["--all"],
    "all-json": ["--all", "--format", "json"],
}


def run(path: Path, args: list[str], base: Path | None) -> tuple[bytes, bytes, int]:
    """One autojudge run: this checkout's code, or `base`'s source tree on the same venv."""
    env = dict(os.environ)
    if base is not None:
        env["PYTHONPATH"] = f"{base / 'shared' / 'src'}{os.pathsep}{base / 'autojudge' / 'src'}"
    proc = subprocess.run(
        [str(OURS), "--results", str(path), *args], capture_output=True, env=env, check=False
    )
    return proc.stdout, proc.stderr, proc.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", type=Path, required=True, help="the other checkout's root")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "real")
    args = parser.parse_args()
    files = sorted(p for p in args.data.iterdir() if p.is_file())
    differ = 0
    for path in files:
        for mode, extra in MODES.items():
            if run(path, extra, None) != run(path, extra, args.base.resolve()):
                differ += 1
                print(f"DIFFERS {path.name} ({mode})", flush=True)
    print(f"{len(files)} files x {len(MODES)} modes: {differ} differ")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
