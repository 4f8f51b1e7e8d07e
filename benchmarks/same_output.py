"""Does this checkout's autojudge (or autosteer) print what another checkout's prints, on every
real file?

    python3 benchmarks/same_output.py --base /path/to/main/checkout [--data ../shared/data/real]
        [--tool autojudge|autosteer] [--extra FILE ...] [--rtol R]

Runs this repository's ``.venv/bin/autojudge`` (or ``autosteer``) twice per file and mode: once
as it is, once with ``PYTHONPATH`` pointing at the other checkout's ``shared/src`` and the
tool's ``src`` (so the same interpreter and packages run the other source tree), and compares
standard output, standard error and the exit code. autojudge's modes: one verdict (text and
``--format json``), ``--window 0 --format json``, and ``--all`` (text and JSON). autosteer's:
text, json and prompt with ``--mode auto``, and text and json with ``--mode exploit`` and
``--mode explore``, all with ``--seed 7``. ``--extra`` adds files (the benchmark histories).
For speed changes that must not change a single byte. Standard library only; prints the files
that differ and a count.

``--rtol R`` compares the JSON modes as parsed documents instead, numbers within R of each
other (relative), everything else equal, and prints, per JSON field, the largest relative
difference seen: for changes that may move the last digits of full-precision floats. Text
modes, standard error and exit codes must still be identical.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODES = {
    "verdict": [],
    "verdict-json": ["--format", "json"],
    "window0-json": ["--window", "0", "--format", "json"],
    "all": ["--all"],
    "all-json": ["--all", "--format", "json"],
}
STEER_MODES = {
    f"{mode}-{fmt}": ["--mode", mode, "--format", fmt, "--seed", "7"]
    for mode, formats in [
        ("auto", ("text", "json", "prompt")),
        ("exploit", ("text", "json")),
        ("explore", ("text", "json")),
    ]
    for fmt in formats
}


def run(path: Path, args: list[str], base: Path | None, tool: str) -> tuple[bytes, bytes, int]:
    """One run of `tool`: this checkout's code, or `base`'s source tree on the same venv."""
    env = dict(os.environ)
    if base is not None:
        env["PYTHONPATH"] = f"{base / 'shared' / 'src'}{os.pathsep}{base / tool / 'src'}"
    exe = ROOT / ".venv" / "bin" / tool
    proc = subprocess.run(
        [str(exe), "--results", str(path), *args], capture_output=True, env=env, check=False
    )
    return proc.stdout, proc.stderr, proc.returncode


def _numbers(a: object, b: object, path: str, worst: dict[str, float], rtol: float) -> bool:
    """Whether two parsed JSON values are equal, numbers within ``rtol``; records the largest
    relative difference of each numeric field (list positions dropped from the path)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(
            _numbers(a[k], b[k], f"{path}.{k}", worst, rtol) for k in a
        )
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(
            _numbers(x, y, f"{path}[]", worst, rtol) for x, y in zip(a, b, strict=True)
        )
    numeric = (int, float)
    if isinstance(a, numeric) and isinstance(b, numeric) and not isinstance(a, bool):
        if a == b:
            return True
        rel = abs(a - b) / max(abs(a), abs(b))
        worst[path] = max(worst.get(path, 0.0), rel)
        return rel <= rtol
    return a == b


def same(
    mode: str,
    ours: tuple[bytes, bytes, int],
    base: tuple[bytes, bytes, int],
    rtol: float,
    worst: dict[str, float],
) -> bool:
    """Byte-identical, or (``rtol`` > 0, a JSON mode) equal as documents within ``rtol``."""
    if ours == base:
        return True
    if rtol <= 0 or not mode.endswith("json") or ours[1:] != base[1:]:
        return False
    return _numbers(json.loads(ours[0]), json.loads(base[0]), "", worst, rtol)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", type=Path, required=True, help="the other checkout's root")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "real")
    parser.add_argument("--rtol", type=float, default=0.0, help="JSON numbers within this")
    parser.add_argument("--tool", choices=["autojudge", "autosteer"], default="autojudge")
    parser.add_argument("--extra", type=Path, nargs="*", default=[], help="more files to compare")
    args = parser.parse_args()
    files = sorted(p for p in args.data.iterdir() if p.is_file()) + list(args.extra)
    modes = MODES if args.tool == "autojudge" else STEER_MODES
    differ, worst = 0, dict[str, float]()
    for path in files:
        for mode, extra in modes.items():
            ours = run(path, extra, None, args.tool)
            base = run(path, extra, args.base.resolve(), args.tool)
            if not same(mode, ours, base, args.rtol, worst):
                differ += 1
                print(f"DIFFERS {path.name} ({mode})", flush=True)
    print(f"{args.tool}: {len(files)} files x {len(modes)} modes: {differ} differ")
    for field, rel in sorted(worst.items(), key=lambda kv: -kv[1]):
        print(f"  {field}: largest relative difference {rel:.2g}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
