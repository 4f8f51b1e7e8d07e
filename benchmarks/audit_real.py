"""Run ``autojudge --all``'s audit on the real histories in ../shared/data/real.

    uv run python benchmarks/audit_real.py [--data ../shared/data/real] [--top 15]

Prints, per file with at least 5 valued rows: rows, keeps, replicate df, noise source, keeps
surviving Benjamini-Hochberg and empirical-Bayes FDR control (q = 0.10) and the night's
verdict; Karpathy's H100 run first, then the rest by size.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from autolab_shared.core.errors import InputError
from autolab_shared.parsing.results import read_results
from autolab_shared.stats.audit import audit

ROOT = Path(__file__).resolve().parents[1]
FIRST = "karpathy__autoresearch__branch-exp-H100-mar8__results.tsv"
NIGHT = {0: "improvement", 1: "no improvement", 2: "not enough signal"}


def row(path: Path) -> tuple[str, ...] | None:
    try:
        history = read_results(path)
    except InputError:
        return None
    if sum(e.value is not None for e in history.experiments) < 5:
        return None
    start = time.perf_counter()
    report = audit(history)
    took = time.perf_counter() - start
    keeps = [r for r in report.rows if r.kept and r.assessment is not None]
    bh = sum(r.survives_bh for r in keeps)
    eb = sum(r.survives_eb for r in keeps)
    noise = report.noise
    return (
        path.name[:60],
        str(len(history.experiments)),
        history.metric[:14],
        str(len(keeps)),
        f"{noise.df:g}",
        noise.source,
        str(bh),
        str(eb),
        NIGHT[report.exit_verdict],
        f"{took * 1000:.0f}",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "real")
    parser.add_argument("--top", type=int, default=0, help="only the N largest files (0 = all)")
    args = parser.parse_args()
    if not args.data.is_dir():
        print(f"{args.data} not found", file=sys.stderr)
        return 3
    files = sorted(args.data.iterdir(), key=lambda p: (p.name != FIRST, -p.stat().st_size))
    rows = [r for r in map(row, files[: args.top or None]) if r is not None]
    head = ("file", "rows", "metric", "keeps", "df", "noise", "BH", "EB", "night", "ms")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        print("| " + " | ".join(r) + " |")
    total = sum(int(r[3]) for r in rows)
    print(
        f"\n{len(rows)} histories, {total} keeps; surviving BH {sum(int(r[6]) for r in rows)},"
        f" EB {sum(int(r[7]) for r in rows)}; with replicates:"
        f" {sum(r[5] != 'default' for r in rows)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
