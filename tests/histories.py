"""A crafted results history with a known noise floor, shared by the verdict tests."""

from __future__ import annotations

from pathlib import Path

HEADER = "commit\tval_bpb\tmemory_gb\tstatus\tdescription\n"
# Baseline run 3 times and one kept change run twice: replicate df 3, sd about 0.0005.
BASE = HEADER + (
    "a000001\t0.997900\t44.0\tkeep\tbaseline\n"
    "a000001\t0.998400\t44.0\tkeep\tbaseline rerun\n"
    "a000001\t0.997400\t44.0\tkeep\tbaseline rerun 2\n"
    "b000002\t0.999000\t44.0\tdiscard\tGeLU activation\n"
    "c000003\t0.996000\t44.1\tkeep\tmatrix_lr 0.04 -> 0.045\n"
    "c000003\t0.996600\t44.1\tkeep\tmatrix_lr 0.04 -> 0.045 (rerun)\n"
    "d000004\t1.004000\t44.0\tdiscard\tdepth 8 -> 9\n"
)


def write_history(tmp_path: Path, *rows: str, base: str = BASE) -> Path:
    """``base`` and then ``rows`` (one line each) as ``tmp_path/results.tsv``."""
    path = tmp_path / "results.tsv"
    path.write_text(base + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path
