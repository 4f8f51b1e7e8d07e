"""Wall time of the whole ``autosteer`` command on synthetic histories, and of ``--help``.

    uv run python benchmarks/steer_speed.py [--rows 2000 100000] [--repeats 5] [--bytecode env]
        [--published 1.0.1 | --published none | --published-exe PATH]

Targets from issue 13: 2,000 rows ≤ 0.3 s, 100,000 rows ≤ 2 s (medians of 5), --help ≤ 0.2 s.
The published autosteer (default 1.0.1) is pip-installed into a throwaway venv in the
temporary folder and timed on the same files in the same run, taking turns with ours; the
last column is the ratio ours/published of the medians.
``--bytecode env`` (default) runs in the environment as it is (PYTHONDONTWRITEBYTECODE=1 on the
development machine: every start compiles the sources); ``--bytecode cached`` points the runs
at a temporary PYTHONPYCACHEPREFIX that one untimed warm-up run of each command fills, as after
a pip install, without writing into the venv.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IDEAS = ["MATRIX_LR 0.04 -> {v}", "EMBEDDING_LR 0.6 to {v}", "warmdown ratio 0.5 -> {v}",
         "weight decay 0.2 -> {v}", "DEPTH 8 -> 9", "add z-loss {v}", "RoPE base 10000 -> 50000",
         "WINDOW_PATTERN SSSL -> SSL", "batch 524K to 262K", "Adam beta1 0.8 -> {v}",
         "init scale 1.0 -> {v}", "SwiGLU activation", "remove value embeddings",
         "muon momentum 0.95 -> {v}", "softcap 15 -> {v}"]  # fmt: skip


def synthetic_descriptions(rows: int, seed: int = 1) -> list[str]:
    """The descriptions `write_history` writes, in order (for tests of the fast paths)."""
    rng = random.Random(seed)
    out = []
    for i in range(rows):
        out.append(rng.choice(IDEAS).format(v=round(rng.uniform(0.01, 0.9), 3)) + f" #{i}")
        if rng.random() >= 0.05:  # not a crash: write_history draws its value
            rng.gauss(0.001, 0.002)
    return out


def write_history(path: Path, rows: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    lines = ["commit\tval_bpb\tmemory_gb\tstatus\tdescription"]
    best = 1.0
    for i in range(rows):
        desc = rng.choice(IDEAS).format(v=round(rng.uniform(0.01, 0.9), 3)) + f" #{i}"
        if rng.random() < 0.05:
            lines.append(f"{i:07x}\t0.000000\t0.0\tcrash\t{desc}")
            continue
        value = best + rng.gauss(0.001, 0.002)
        status = "keep" if value < best else "discard"
        best = min(best, value)
        lines.append(f"{i:07x}\t{value:.6f}\t44.0\t{status}\t{desc}")
    path.write_text("\n".join(lines) + "\n")


def timed(cmd: list[str], repeats: int, env: dict[str, str] | None, warm: bool) -> float:
    return timed_pair([cmd], repeats, env, warm)[0]


def timed_pair(
    cmds: list[list[str]],
    repeats: int,
    env: dict[str, str] | None,
    warm: bool,
    limit: float = 120.0,
) -> list[float]:
    """Median wall time of each command, the commands taking turns run by run; a command
    that runs past `limit` seconds is stopped, counted as inf and not run again."""
    times: list[list[float]] = [[] for _ in cmds]
    for n in range(repeats + warm):
        for cmd, mine in zip(cmds, times, strict=True):
            if mine and mine[-1] == math.inf:
                continue
            start = time.perf_counter()
            try:
                subprocess.run(
                    cmd,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    check=False,
                    env=env,
                    timeout=limit,
                )
                took = time.perf_counter() - start
            except subprocess.TimeoutExpired:
                took = math.inf
            if n >= warm or took == math.inf:
                mine.append(took)
    return [statistics.median(t) for t in times]


def published_exe(version: str, folder: Path) -> str:
    """autosteer==`version` pip-installed into a throwaway venv under `folder`."""
    venv = folder / "published"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", f"autosteer=={version}"]
    subprocess.run(pip, check=True, stdout=subprocess.DEVNULL)
    return str(venv / "bin" / "autosteer")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, nargs="+", default=[2000, 100_000])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--bytecode", choices=["env", "cached"], default="env")
    ap.add_argument("--published", default="1.0.1", help="version to compare with, or none")
    ap.add_argument("--published-exe", default=None, help="an installed published autosteer")
    ap.add_argument("--limit", type=float, default=120.0, help="seconds before a run is stopped")
    args = ap.parse_args()
    exe = str(Path(sys.executable).parent / "autosteer")
    warm = args.bytecode == "cached"
    with tempfile.TemporaryDirectory() as tmp:
        theirs = args.published_exe
        if theirs is None and args.published != "none":
            theirs = published_exe(args.published, Path(tmp))
        env = None
        if warm:
            env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
            env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        exes = [exe] if theirs is None else [exe, theirs]
        print(f"bytecode: {args.bytecode}; medians of {args.repeats} runs\n")
        print("| command | ours s | published s | ours/published |\n|---|---|---|---|")
        _row("autosteer --help", [[e, "--help"] for e in exes], args.repeats, env, warm)
        for rows in args.rows:
            path = Path(tmp) / f"r{rows}.tsv"
            write_history(path, rows)
            cmds = [[e, "--results", str(path)] for e in exes]  # 1.0.1 has no --seed
            cmds[0] += ["--seed", "1"]
            _row(f"autosteer on {rows:,} rows", cmds, args.repeats, env, warm, args.limit)
    return 0


def _row(
    name: str,
    cmds: list[list[str]],
    repeats: int,
    env: dict[str, str] | None,
    warm: bool,
    limit: float = 120.0,
) -> None:
    times = timed_pair(cmds, repeats, env, warm, limit)
    shown = [f"{t:.3f}" if math.isfinite(t) else f"> {limit:.0f} (stopped)" for t in times]
    if len(times) == 1:
        print(f"| {name} | {shown[0]} | - | - |")
        return
    ratio = times[0] / times[1] if math.isfinite(times[1]) else times[0] / limit
    sign = "< " if not math.isfinite(times[1]) else ""
    print(f"| {name} | {shown[0]} | {shown[1]} | {sign}{ratio:.2f} |")


if __name__ == "__main__":
    sys.exit(main())
