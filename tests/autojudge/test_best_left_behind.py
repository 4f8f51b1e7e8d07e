"""The audit says when the best row as written is not the final incumbent its verdict judges
(a night that kept a new track after its best), so the two summary lines can be read together."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from autojudge.cli import cli

HEADER = "commit\tval_bpb\tmemory_gb\tstatus\tdescription\n"
DENSE = [
    ("a000001", 1.3027, "keep", "baseline dense"),
    ("a000002", 1.2863, "keep", "batch 16"),
    ("a000003", 1.2706, "keep", "matrix LR 0.06 to 0.08"),
    ("a000004", 1.3300, "keep", "MoE top-2, 4 experts"),
    ("a000005", 1.3450, "discard", "MoE 8 experts"),
    ("a000006", 1.3198, "keep", "MoE top_k=3"),
]


def _audit(
    tmp_path: Path, rows: list[tuple[str, float, str, str]]
) -> tuple[str, dict[str, object]]:
    body = "".join(f"{c}\t{v:.6f}\t9.5\t{s}\t{d}\n" for c, v, s, d in rows)
    path = tmp_path / "results.tsv"
    path.write_text(HEADER + body, encoding="utf-8")
    text = CliRunner().invoke(cli, ["--results", str(path), "--all", "--no-color"]).stdout
    doc = CliRunner().invoke(cli, ["--results", str(path), "--all", "--format", "json"]).stdout
    data: dict[str, object] = json.loads(doc)["data"]
    return text, data


def test_a_best_left_behind_is_named_beside_the_final_incumbent(tmp_path: Path) -> None:
    text, data = _audit(tmp_path, DENSE)
    line = next(x for x in text.splitlines() if "is not the final incumbent" in x)
    assert "experiment_003 a000003 matrix LR 0.06 to 0.08" in line
    assert "up to experiment_006 a000006 MoE top_k=3" in line
    assert (data["best_raw_experiment"], data["final_experiment"]) == (
        "experiment_003",
        "experiment_006",
    )


def test_no_line_when_the_final_incumbent_holds_the_best_value(tmp_path: Path) -> None:
    rows = [*DENSE[:3], ("a000007", 1.2706, "keep", "matrix LR 0.08, fewer steps (tied)")]
    text, data = _audit(tmp_path, rows)
    assert "is not the final incumbent" not in text
    assert data["final_experiment"] == "experiment_004"
