"""Start-up time of our autojudge against the published one (autojudge==1.0.1 on PyPI).

    python3 benchmarks/startup.py [--repeats 20] [--rows 200] [--keep-file PATH]
        [--ours "CMD"] [--published "CMD"] [--bytecode cached|env]

Writes a realistic results.tsv of --rows rows to a temporary folder, runs each command
twice to warm the file cache, then times --repeats cold starts of each (a new process each
time, stdout and stderr to /dev/null, wall time with time.perf_counter; the commands take
turns so that drift on a busy machine hits both alike). Prints median, min and p90 in ms,
the exit codes seen, and the ratio ours/published of the medians.

By default (--bytecode cached) both commands load .pyc files from one temporary
PYTHONPYCACHEPREFIX that the warm-up runs fill: a uv venv ships no .pyc files, pip
compiles them at install, and with PYTHONDONTWRITEBYTECODE=1 set one side would otherwise
compile from source on every start. --bytecode env keeps the environment as it is.

`{results}` in a command is replaced by the generated file's path. The published tool is
installed outside the repository:

    python3 -m venv /tmp/published-autojudge
    /tmp/published-autojudge/bin/pip install autojudge==1.0.1

and is skipped, with a message, when that is absent (or with --published "").
A command's exit code is recorded, not judged: a verdict exit (1 discard, 2 retest or
discard) is a normal run. A command that cannot be started at all is reported as such
(and the script exits 1). Standard library only.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import random
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OURS_DEFAULT = f"{ROOT / '.venv' / 'bin' / 'autojudge'} --results {{results}} -q"
PUBLISHED_BIN = Path("/tmp/published-autojudge/bin/autojudge")
PUBLISHED_DEFAULT = f"{PUBLISHED_BIN} --results {{results}} -q"
HEADER = "commit\tval_bpb\tmemory_gb\tstatus\tdescription"
CHANGES: list[tuple[str, Callable[[random.Random], object]]] = [
    ("increase matrix LR to {:.3f}", lambda r: r.uniform(0.02, 0.08)),
    ("decrease embedding LR to {:.3f}", lambda r: r.uniform(0.2, 0.6)),
    ("warmup ratio {:.2f}", lambda r: r.uniform(0.0, 0.2)),
    ("weight decay {:.3f}", lambda r: r.uniform(0.0, 0.2)),
    ("depth {} layers", lambda r: r.randint(6, 14)),
    ("aspect ratio {}", lambda r: r.choice([48, 64, 80, 96])),
    ("window pattern SSSL, short window {}", lambda r: r.choice([256, 512, 1024])),
    ("total batch size 2**{}", lambda r: r.randint(17, 20)),
    ("logit softcap {}", lambda r: r.choice([10, 15, 20, 30])),
    ("muon momentum {:.2f}", lambda r: r.uniform(0.85, 0.97)),
    ("rope base {}", lambda r: r.choice([10000, 50000, 100000])),
    ("value embeddings every {} layers", lambda r: r.randint(1, 4)),
]


def make_results(rows: int, seed: int = 0) -> str:
    """A results.tsv like an autoresearch session writes: a baseline, ~25% keep, ~5% crash.

    Kept rows lower the best val_bpb a little; discarded ones land just above it; a crash
    row is `0.000000\\t0.0\\tcrash`. A few rows re-run the previous commit (replicates).
    """
    rng = random.Random(seed)
    n_crash = round(rows * 0.05)
    n_keep = max(1, round(rows * 0.25))
    statuses = ["crash"] * n_crash + ["keep"] * (n_keep - 1)
    statuses += ["discard"] * (rows - 1 - len(statuses))
    rng.shuffle(statuses)
    statuses = ["keep", *statuses][:rows]
    n_replicates = min(rows - 2, max(2, rows // 40))
    replicate_at = set(rng.sample(range(2, rows), k=n_replicates))

    best = 0.998 + rng.gauss(0, 0.002)
    lines = [HEADER]
    commit, value, memory, status, description = "", best, 44.0, "keep", "baseline"
    for i, planned in enumerate(statuses):
        if i in replicate_at and status != "crash":
            # Same commit run again to see the noise; it keeps the previous row's status.
            replicate = value + rng.gauss(0, 0.0008)
            lines.append(
                f"{commit}\t{replicate:.6f}\t{memory:.1f}\t{status}\t{description} (replicate)"
            )
            continue
        status = planned
        commit = f"{rng.getrandbits(28):07x}"
        if i > 0:
            template, draw = rng.choice(CHANGES)
            description = template.format(draw(rng))
        if status == "crash":
            lines.append(f"{commit}\t0.000000\t0.0\tcrash\t{description} (OOM)")
            continue
        memory = 44.0 + rng.gauss(0, 1.5)
        if status == "keep" and i > 0:
            best -= abs(rng.gauss(0.0005, 0.0004))
            value = best
        elif status == "discard":
            value = best + abs(rng.gauss(0.002, 0.003))
        lines.append(f"{commit}\t{value:.6f}\t{memory:.1f}\t{status}\t{description}")
    return "\n".join(lines) + "\n"


@dataclass
class Measurement:
    name: str
    argv: list[str]
    env: dict[str, str] | None = None
    times_ms: list[float] = field(default_factory=list)
    exit_codes: Counter[int] = field(default_factory=Counter)
    error: str | None = None

    def run_once(self, timed: bool) -> None:
        """Run the command once; a timed run records its wall time (ms) and exit code."""
        if self.error is not None:
            return
        start = time.perf_counter()
        try:
            code = subprocess.call(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=self.env,
            )
        except FileNotFoundError as exc:
            self.error = f"cannot start: not found: {exc.filename or self.argv[0]}"
            return
        except OSError as exc:
            self.error = f"cannot start: {exc.strerror or exc} ({self.argv[0]})"
            return
        elapsed = (time.perf_counter() - start) * 1000.0
        if timed:
            self.times_ms.append(elapsed)
            self.exit_codes[code] += 1


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def command(template: str, results: Path) -> list[str]:
    return [part.replace("{results}", str(results)) for part in shlex.split(template)]


def child_env(mode: str, cache: Path) -> dict[str, str] | None:
    """The environment the commands run in, so both sides load Python code the same way.

    env: inherited as is (a venv that uv made holds no .pyc files, pip compiles them at
    install time, and PYTHONDONTWRITEBYTECODE=1 keeps them from being written: one side
    may compile its code on every start and the other not). cached: .pyc files go to and
    come from `cache` (PYTHONPYCACHEPREFIX), written by the warm-up runs, for every
    module of both sides alike, and nothing is written into either venv.
    """
    if mode == "env":
        return None
    env = dict(os.environ, PYTHONPYCACHEPREFIX=str(cache))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def measure(commands: list[Measurement], repeats: int, warmup: int) -> None:
    for _ in range(warmup):
        for m in commands:
            m.run_once(timed=False)
    for _ in range(repeats):
        for m in commands:
            m.run_once(timed=True)


def report(commands: list[Measurement]) -> None:
    print(f"{'command':<10} {'runs':>4} {'median ms':>10} {'min ms':>8} {'p90 ms':>8}  exit codes")
    for m in commands:
        if m.error is not None:
            print(f"{m.name:<10} {'-':>4} {'-':>10} {'-':>8} {'-':>8}  {m.error}")
            continue
        codes = ", ".join(f"{code} x{n}" for code, n in sorted(m.exit_codes.items()))
        print(
            f"{m.name:<10} {len(m.times_ms):>4} {statistics.median(m.times_ms):>10.1f} "
            f"{min(m.times_ms):>8.1f} {p90(m.times_ms):>8.1f}  {codes}"
        )
    by_name = {m.name: m for m in commands if m.error is None and m.times_ms}
    if "ours" in by_name and "published" in by_name:
        ratio = statistics.median(by_name["ours"].times_ms) / statistics.median(
            by_name["published"].times_ms
        )
        print(f"\nratio ours/published (medians): {ratio:.2f}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time cold starts of our autojudge and the published autojudge==1.0.1.",
    )
    parser.add_argument("--ours", default=OURS_DEFAULT, help="our command (default: %(default)s)")
    parser.add_argument(
        "--published",
        default=None,
        help=f"published command; '' skips it (default: {PUBLISHED_DEFAULT} if that exists)",
    )
    parser.add_argument("--repeats", type=int, default=20, help="timed runs each (default: 20)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed runs each (default: 2)")
    parser.add_argument("--rows", type=int, default=200, help="results.tsv rows (default: 200)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated file")
    parser.add_argument(
        "--bytecode",
        choices=["cached", "env"],
        default="cached",
        help="cached: both run from .pyc files the warm-up wrote to a temporary "
        "PYTHONPYCACHEPREFIX (as after a pip install); env: the inherited environment as "
        "is, .pyc files or none (default: %(default)s)",
    )
    parser.add_argument("--keep-file", type=Path, help="also write the generated file here")
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.warmup < 0 or args.rows < 2:
        parser.error("--repeats must be >= 1, --warmup >= 0, --rows >= 2")
    if not shlex.split(args.ours):
        parser.error("--ours must name a command")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    text = make_results(args.rows, args.seed)
    if args.keep_file is not None:
        args.keep_file.write_text(text, encoding="utf-8")
        print(f"generated file kept at {args.keep_file}")

    published = args.published
    if published is None:
        if PUBLISHED_BIN.exists():
            published = PUBLISHED_DEFAULT
        else:
            print(
                f"published autojudge skipped: {PUBLISHED_BIN} not found; install it with\n"
                "  python3 -m venv /tmp/published-autojudge && "
                "/tmp/published-autojudge/bin/pip install autojudge==1.0.1\n"
            )

    with tempfile.TemporaryDirectory(prefix="autojudge-startup-") as tmp:
        results = Path(tmp) / "results.tsv"
        results.write_text(text, encoding="utf-8")
        env = child_env(args.bytecode, Path(tmp) / "pycache")
        commands = [Measurement("ours", command(args.ours, results), env)]
        if published:
            commands.append(Measurement("published", command(published, results), env))
        print(
            f"{args.rows} rows, {args.warmup} warm-up + {args.repeats} timed runs each, "
            f"bytecode: {args.bytecode}; "
            f"{platform.python_implementation()} {platform.python_version()} (this script), "
            f"{os.cpu_count()} CPUs, {platform.system()} {platform.machine()}"
        )
        for m in commands:
            print(f"  {m.name}: {shlex.join(m.argv).replace(str(results), '{results}')}")
        print()
        measure(commands, args.repeats, args.warmup)
    report(commands)
    return 1 if any(m.error is not None for m in commands) else 0


if __name__ == "__main__":
    sys.exit(main())
