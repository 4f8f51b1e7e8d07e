"""A simplification level with the incumbent is kept (non-inferiority), through the CLI: only
when its change part says it removes something and it does not need more memory."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from support import console_script

HISTORY = """commit\tval_bpb\tmemory_gb\tstatus\tdescription
a000001\t1.000000\t40.0\tkeep\tbaseline
a000001\t1.000400\t40.0\tkeep\tbaseline rerun
a000001\t0.999700\t40.0\tkeep\tbaseline run 3
b000002\t0.995000\t40.0\tkeep\tmatrix LR 0.04 to 0.05
b000002\t0.995300\t40.0\tkeep\tmatrix LR 0.04 to 0.05 rerun
c000003\t0.996500\t40.0\tdiscard\twarmup 0.02
d000004\t0.997000\t40.0\tdiscard\tGeLU
e000005\t0.996000\t40.0\tdiscard\tdepth 9
"""
RUN = "---\nval_bpb:          0.994000\npeak_vram_mb:     {mib}\n"


def _verdict(tmp_path: Path, description: str, mib: float) -> tuple[str, list[str]]:
    (tmp_path / "results.tsv").write_text(HISTORY, encoding="utf-8")
    (tmp_path / "run.log").write_text(RUN.format(mib=mib), encoding="utf-8")
    args = ["--results", "results.tsv", "--run", "run.log", "--commit", "f000006"]
    proc = subprocess.run(
        [console_script("autojudge"), *args, "--description", description, "--format", "json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    data = json.loads(proc.stdout)["data"]
    assert 0.55 <= data["confidence"] < 0.80  # a MARGINAL on the metric alone
    return data["verdict"], data["reasons"]


def test_a_simplification_level_with_the_incumbent_is_kept(tmp_path: Path) -> None:
    assert _verdict(tmp_path, "remove value embeddings", 39_000.0) == ("KEEP", ["non_inferior"])


@pytest.mark.parametrize(
    ("description", "mib"),
    [
        ("remove value embeddings", 52_000.0),  # +27 % memory: not simpler to run
        ("Force batch=8: val_bpb WORSE, tok/sec dropped 68K to 64K", 39_000.0),  # a result
    ],
)
def test_no_non_inferiority_for_more_memory_or_a_removal_word_in_the_results(
    tmp_path: Path, description: str, mib: float
) -> None:
    assert _verdict(tmp_path, description, mib) == ("MARGINAL", ["expected_gain"])
