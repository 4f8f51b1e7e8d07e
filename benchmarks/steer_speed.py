"""Wall time of the whole ``autosteer`` command on synthetic histories, and of ``--help``.

    uv run python benchmarks/steer_speed.py [--rows 2000 100000] [--repeats 3] [--bytecode env]

Targets from the issue: 2,000 rows ≤ 0.3 s, 100,000 rows ≤ 3 s, --help ≤ 0.2 s.
``--bytecode env`` (default) runs in the environment as it is (PYTHONDONTWRITEBYTECODE=1 on the
development machine: every start compiles the sources); ``--bytecode cached`` points the runs
at a temporary PYTHONPYCACHEPREFIX that one untimed warm-up run of each command fills, as after
a pip install, without writing into the venv.
"""

from __future__ import annotations

import argparse
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
    times = []
    for n in range(repeats + warm):
        start = time.perf_counter()
        subprocess.run(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=env
        )
        if n >= warm:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, nargs="+", default=[2000, 100_000])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--bytecode", choices=["env", "cached"], default="env")
    args = ap.parse_args()
    exe = str(Path(sys.executable).parent / "autosteer")
    warm = args.bytecode == "cached"
    with tempfile.TemporaryDirectory() as tmp:
        env = None
        if warm:
            env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
            env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        print(f"bytecode: {args.bytecode}\n\n| command | median wall s |\n|---|---|")
        print(f"| autosteer --help | {timed([exe, '--help'], args.repeats, env, warm):.3f} |")
        for rows in args.rows:
            path = Path(tmp) / f"r{rows}.tsv"
            write_history(path, rows)
            cmd = [exe, "--results", str(path), "--seed", "1"]
            print(f"| autosteer on {rows:,} rows | {timed(cmd, args.repeats, env, warm):.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
