"""How often the audit's row verdicts are the single call's at that row, on real files.

For every judged configuration of every file, the single call (`judge`) on the rows up to the
configuration's first row against the audit's verdict for it (`audit`, which replays the night
in one pass): exit codes that agree, and the largest difference of confidence.

    python benchmarks/audit_as_went.py [--shared ../shared/data/real] [--limit 0]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from autolab_shared.files.inputs import load_history
from autolab_shared.stats.audit import audit
from autolab_shared.stats.judge import judge


def one_file(path: Path, tmp: Path) -> tuple[int, int, float, list[str]]:
    """(rows judged, exit codes that agree, largest |Δ confidence|, the rows that differ)."""
    history = load_history(path)
    report = audit(history)
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)
    n = same = 0
    worst, differ = 0.0, []
    for row in report.rows:
        a = row.assessment
        if a is None:
            continue
        prefix = tmp / path.name
        prefix.write_text("".join(lines[: row.config.rows[-1].line]), encoding="utf-8")
        j = judge(load_history(prefix))
        n += 1
        same += int(j.assessment.exit_code) == row.exit_code
        worst = max(worst, abs(j.assessment.p_improve - a.p_improve))
        if int(j.assessment.exit_code) != row.exit_code:
            differ.append(
                f"line {row.config.first.line}: audit {a.verdict} {a.p_improve:.2f},"
                f" single {j.assessment.verdict} {j.assessment.p_improve:.2f}"
            )
    return n, same, worst, differ


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=Path("../shared/data/real"))
    parser.add_argument("--limit", type=int, default=0, help="files (0 = all)")
    args = parser.parse_args(argv)
    files = sorted(args.shared.glob("*.tsv")) + sorted(args.shared.glob("*.csv"))
    files = files[: args.limit] if args.limit else files
    total = agree = 0
    t0 = time.process_time()
    with tempfile.TemporaryDirectory() as tmp:
        for path in files:
            try:
                n, same, worst, differ = one_file(path, Path(tmp))
            except Exception as exc:  # a file the tools reject is not this benchmark's concern
                print(f"{path.name}: skipped ({type(exc).__name__})")
                continue
            total, agree = total + n, agree + same
            print(f"{path.name}: {same}/{n} agree, largest |dP| {worst:.3f}")
            for d in differ[:5]:
                print(f"    {d}")
    share = agree / total if total else float("nan")
    cpu = time.process_time() - t0
    print(f"all files: {agree}/{total} exit codes agree ({share:.1%}); {cpu:.0f} s CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
