"""The bundled example data is exactly what examples/generate.py writes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from support import EXAMPLES


def test_generator_reproduces_the_committed_files(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(EXAMPLES / "generate.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    for name in ("results.tsv", "run.log"):
        assert (tmp_path / name).read_bytes() == (EXAMPLES / name).read_bytes(), name


def test_truth_has_one_line_per_row_plus_the_candidate() -> None:
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / "generate.py"), "--truth"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.splitlines()
    rows = (EXAMPLES / "results.tsv").read_text().splitlines()[1:]
    assert out[0].split("\t") == ["commit", "true_value", "true_effect", "source"]
    assert [line.split("\t")[0] for line in out[1:-1]] == [r.split("\t")[0] for r in rows]
    assert out[-1].endswith("\trun.log")
