"""Speed and memory of our autojudge against the published autojudge 1.0.1, in one run.

    python3 benchmarks/scale.py [--repeats 15] [--published PATH] [--rows 200,20000,100000]

Installs ``autojudge==1.0.1`` with pip into a throwaway venv (unless --published names its
``autojudge`` script), writes realistic histories (values stay positive, about 8 % crashes,
3 % re-runs that share commit and description, gains that get rarer and smaller), and times:

* cold start on the smallest file (--repeats runs each, the two tools taking turns);
* one verdict on the largest file (the last row judged against the rest);
* our ``--all`` on every size except the smallest (the published tool has no audit), to
  check that it is linear in rows (no warm-up run: the file cache is warm by then).

Each run is a new process; wall time, CPU time (user + system, from the child's rusage,
which a busy machine inflates far less than wall time) and peak RSS are recorded, and the
medians printed with the ratios ours/published. Both tools load bytecode from one
temporary ``PYTHONPYCACHEPREFIX`` that untimed warm-up runs fill. Standard library only.
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
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OURS = ROOT / ".venv" / "bin" / "autojudge"
HEADER = "commit\tval_bpb\tmemory_gb\tstatus\tdescription"


def make_history(rows: int, seed: int = 0) -> str:
    """A long autoresearch night: keeps when the run beats the best so far, as agents log."""
    rng = random.Random(seed)
    truth, best, previous = 1.0, None, None
    lines = [HEADER]
    for i in range(rows):
        draw = rng.random()
        if previous is not None and draw < 0.03:
            commit, true, desc, status = previous
            lines.append(
                f"{commit}\t{true + rng.gauss(0, 5e-4):.6f}\t44.0\t{status}\t{desc} (rerun)"
            )
            continue
        commit, desc = f"{rng.getrandbits(28):07x}", f"change {i}: lr {rng.random():.3f}"
        if draw < 0.08:
            lines.append(f"{commit}\t0.000000\t0.0\tcrash\t{desc}")
            previous = None
            continue
        size = 0.002 / (1 + i / 300)
        effect = -abs(rng.gauss(0, size)) if rng.random() < 0.15 else abs(rng.gauss(0, 0.003))
        true = truth + effect
        value = true + rng.gauss(0, 5e-4)
        status = "keep" if best is None or value < best else "discard"
        if status == "keep":
            best, truth = value, true
        lines.append(f"{commit}\t{value:.6f}\t{44 + rng.gauss(0, 1):.1f}\t{status}\t{desc}")
        previous = (commit, true, desc, status)
    return "\n".join(lines) + "\n"


@dataclass
class Runs:
    """Timed runs of one command."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)
    codes: set[int] = field(default_factory=set)

    def row(self, name: str) -> str:
        med = statistics.median
        return (
            f"{name:<34} {len(self.wall):>4} {med(self.wall):>9.3f} {med(self.cpu):>9.3f}"
            f" {max(self.rss_mb):>9.1f}  {sorted(self.codes)}"
        )


def run(argv: list[str], env: dict[str, str], into: Runs | None) -> None:
    """One run in a new process; recorded into ``into`` unless it is a warm-up."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if into is not None:
        into.wall.append(wall)
        into.cpu.append(usage.ru_utime + usage.ru_stime)
        into.rss_mb.append(usage.ru_maxrss / 1024)
        into.codes.add(os.waitstatus_to_exitcode(status))


def install_published(folder: Path) -> Path:
    """pip install autojudge==1.0.1 into a new venv under ``folder``; its console script."""
    venv = folder / "published"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [
        str(venv / "bin" / "python"),
        "-m",
        "pip",
        "install",
        "-q",
        "--disable-pip-version-check",
    ]
    subprocess.run([*pip, "autojudge==1.0.1"], check=True)
    return venv / "bin" / "autojudge"


def compare(
    cmds: dict[str, list[str]], env: dict[str, str], repeats: int, *, warm: bool = True
) -> dict[str, Runs]:
    """Time each command ``repeats`` times, taking turns (after one warm-up run each)."""
    runs = {name: Runs() for name in cmds}
    for argv in cmds.values() if warm else ():
        run(argv, env, None)
    for _ in range(repeats):
        for name, argv in cmds.items():
            run(argv, env, runs[name])
    return runs


def ratio_line(what: str, ours: Runs, theirs: Runs) -> str:
    med = statistics.median
    return (
        f"{what:<34} wall {med(ours.wall) / med(theirs.wall):5.2f}x"
        f"   cpu {med(ours.cpu) / med(theirs.cpu):5.2f}x"
        f"   peak rss {max(ours.rss_mb):.0f} MB vs {max(theirs.rss_mb):.0f} MB"
    )


def _show(table: dict[str, Runs]) -> dict[str, Runs]:
    """Print a table's rows as soon as it is measured (the big runs take minutes)."""
    for name, runs in table.items():
        print(runs.row(name), flush=True)
    return table


def _pair(published: Path, path: Path, rows: int) -> dict[str, list[str]]:
    """Our and the published autojudge judging the last row of ``path``."""
    return {
        f"ours, {rows} rows": [str(OURS), "--results", str(path), "-q"],
        f"published, {rows} rows": [str(published), "--results", str(path), "-q"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--big-repeats", type=int, default=3)
    parser.add_argument("--published", type=Path, help="an installed autojudge 1.0.1 script")
    parser.add_argument("--rows", default="200,20000,100000")
    parser.add_argument("--skip-audit", action="store_true", help="no --all runs (minutes each)")
    args = parser.parse_args()
    sizes = sorted(int(n) for n in args.rows.split(","))
    with tempfile.TemporaryDirectory(prefix="autojudge-scale-") as tmp:
        folder = Path(tmp)
        published = args.published or install_published(folder)
        env = {**os.environ, "PYTHONPYCACHEPREFIX": str(folder / "pycache")}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        files = {}
        for n in sizes:
            files[n] = folder / f"results-{n}.tsv"
            files[n].write_text(make_history(n), encoding="utf-8")
        print(f"{'command':<34} {'runs':>4} {'wall s':>9} {'cpu s':>9} {'rss MB':>9}  exit codes")
        small, big = sizes[0], sizes[-1]
        cold = _show(compare(_pair(published, files[small], small), env, args.repeats))
        verdict = _show(compare(_pair(published, files[big], big), env, args.big_repeats))
        audits = {
            f"ours --all, {n} rows": [str(OURS), "--results", str(files[n]), "--all", "-q"]
            for n in ([] if args.skip_audit else sizes[1:])
        }
        audit = _show(compare(audits, env, args.big_repeats, warm=False)) if audits else {}
        print()
        print(ratio_line(f"cold start, {small} rows", *cold.values()))
        print(ratio_line(f"one verdict, {big} rows", *verdict.values()))
        if len(audit) > 1:
            ordered = list(audit.values())
            r1, r2 = ordered[0], ordered[-1]
            grow = sizes[-1] / sizes[1]
            cpu = statistics.median(r2.cpu) / statistics.median(r1.cpu)
            print(
                f"--all from {sizes[1]} to {sizes[-1]} rows ({grow:.0f}x rows): cpu {cpu:.2f}x,"
                f" per row {cpu / grow:.2f} of the smaller file's"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
