"""Time reading a large run.log: the library call and the whole autojudge command.

Writes a run.log of ``--mb`` megabytes of training progress (one line per step, or one
``\\r``-joined physical line with ``--one-line``) ending in the summary block, then prints the
wall time and peak memory of ``read_runlog`` (in a fresh process) and of
``autojudge --results R --run LOG -q``. Usage::

    .venv/bin/python benchmarks/runlog_tail.py --mb 200
    .venv/bin/python benchmarks/runlog_tail.py --mb 200 --one-line
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SUMMARY = b"---\nval_bpb: 0.994213\ntraining_seconds: 300.1\npeak_vram_mb: 45060.2\n"
LINE = b"step 00812 (95.2%) | loss: 3.123456 | lrm: 0.50 | dt: 312ms | tok/sec: 1,681,234\n"
RESULTS = "commit\tval_bpb\tmemory_gb\tstatus\tdescription\na1b2c3d\t0.998\t44.0\tkeep\tbase\n"
READ = (
    "import resource, sys, time\n"
    "t = time.perf_counter()\n"
    "from autolab_shared.parsing.runlog import read_runlog\n"
    "run = read_runlog(sys.argv[1])\n"
    "took = time.perf_counter() - t\n"
    "rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
    "print(f'{took:.3f} {rss:.0f} {run.val_bpb} {run.summary_line}')\n"
)


def write_log(path: Path, megabytes: int, one_line: bool) -> None:
    line = LINE.replace(b"\n", b"\r") if one_line else LINE
    count = megabytes * 1_000_000 // len(line)
    with open(path, "wb") as fh:
        for _ in range(0, count, 10_000):
            fh.write(line * 10_000)
        fh.write(b"\n" + SUMMARY)


def timed(cmd: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    return time.perf_counter() - start, (proc.stdout + proc.stderr).strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--one-line", action="store_true")
    args = parser.parse_args()
    bindir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory() as tmp:
        log, results = Path(tmp) / "run.log", Path(tmp) / "results.tsv"
        write_log(log, args.mb, args.one_line)
        results.write_text(RESULTS)
        print(f"run.log: {os.path.getsize(log) / 1e6:.1f} MB, one line: {args.one_line}")
        for _ in range(3):
            out = subprocess.run(
                [sys.executable, "-c", READ, str(log)], capture_output=True, text=True, check=True
            ).stdout.split()
            print(
                f"read_runlog: {out[0]} s, peak RSS {out[1]} MB, val_bpb {out[2]}, "
                f"summary line {out[3]}"
            )
        exe = str(bindir / "autojudge")
        for _ in range(3):
            took, text = timed([exe, "--results", str(results), "--run", str(log), "-q"])
            print(f"autojudge --run: {took:.3f} s: {text}")


if __name__ == "__main__":
    main()
