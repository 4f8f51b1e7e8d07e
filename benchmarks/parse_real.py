"""Parse every real file in ../shared/data and print warnings per variant and parse speed.

    uv run python benchmarks/parse_real.py [--data ../shared/data] [--rows 2000]

Prints: files parsed, rows, warning codes with how many files and lines each touched,
crash classes of the run.logs, and the time to parse a synthetic file of --rows rows.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

from autolab_shared.parsing.results import parse_results, read_results
from autolab_shared.parsing.runlog import read_runlog

ROOT = Path(__file__).resolve().parents[1]


def survey_results(folder: Path) -> None:
    files = sorted(p for p in folder.iterdir() if p.is_file())
    per_code: Counter[str] = Counter()
    files_per_code: Counter[str] = Counter()
    rows = 0
    for path in files:
        history = read_results(path)
        rows += len(history)
        codes = Counter(w.code for w in history.warnings)
        per_code.update(codes)
        files_per_code.update(codes.keys())
    print(f"results files parsed: {len(files)} ({rows} rows), exceptions: 0")
    print(f"{'warning code':<20} {'files':>5} {'warnings':>8}")
    for code, n in files_per_code.most_common():
        print(f"{code:<20} {n:>5} {per_code[code]:>8}")


def survey_runlogs(folder: Path) -> None:
    files = sorted(p for p in folder.iterdir() if p.is_file())
    kinds = Counter((read_runlog(p).crash or _Ok()).kind for p in files)
    print(f"\nrun.logs parsed: {len(files)}, exceptions: 0")
    print("outcome: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))


class _Ok:
    kind = "ok (summary)"


def synthetic(rows: int, seed: int = 1) -> str:
    rng = random.Random(seed)
    lines = ["commit\tval_bpb\tmemory_gb\tstatus\tdescription"]
    for i in range(rows):
        status = rng.choice(["keep", "discard", "discard", "crash"])
        value = "0.000000\t0.0" if status == "crash" else f"{0.99 + rng.gauss(0, 0.01):.6f}\t44.0"
        lines.append(f"{i:07x}\t{value}\t{status}\tchange number {i}: LR {rng.random():.3f}")
    return "\n".join(lines) + "\n"


def time_parse(rows: int, repeats: int = 20) -> None:
    text = synthetic(rows)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        parse_results(text)
        times.append(time.perf_counter() - start)
    print(
        f"\nparse {rows} rows: median {statistics.median(times) * 1000:.1f} ms"
        f" (min {min(times) * 1000:.1f} ms, {repeats} repeats)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--rows", type=int, default=2000)
    args = parser.parse_args()
    if (args.data / "real").is_dir():
        survey_results(args.data / "real")
        survey_runlogs(args.data / "real-runlogs")
    else:
        print(f"{args.data} not found: skipping the real-file survey", file=sys.stderr)
    time_parse(args.rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
