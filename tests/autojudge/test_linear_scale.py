"""A file with a value <= 0 is judged on a linear scale: its amounts are in the metric's units,
and the output says so instead of printing them as percentages."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from autojudge.cli import cli

HEADER = "commit\tval_rmse\tstatus\tdescription\n"


def _file(tmp_path: Path) -> Path:
    """An RMSE night around 27-35 whose last row reads 0.0 (a fit on the validation set)."""
    values = [32.68, 34.38, 43.51, 35.49, 33.58, 36.89, 33.78, 55.72, 39.97, 34.01, 27.78]
    values += [27.79, 27.80, 27.79, 33.20, 27.80, 27.77, 27.76, 27.75, 27.74, 27.57, 0.0]
    best, lines = float("inf"), []
    for i, v in enumerate(values):
        status = "keep" if v < best else "discard"
        best = min(best, v)
        lines.append(f"c{i:06x}\t{v:.4f}\t{status}\tchange {i}")
    path = tmp_path / "results.tsv"
    path.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_linear_scale_prints_metric_units_not_percent(tmp_path: Path) -> None:
    path = _file(tmp_path)
    text = CliRunner().invoke(cli, ["--results", str(path), "--no-color"]).stdout
    floor = next(line for line in text.splitlines() if line.startswith("  noise floor:"))
    assert "in the metric's units" in floor and "%" not in floor
    gain = next(line for line in text.splitlines() if "expected gain" in line)
    assert "%" not in gain.replace("90%", "") and "(val_rmse units: linear scale)" in gain
    audit = CliRunner().invoke(cli, ["--results", str(path), "--all", "--no-color"]).stdout
    footer = next(line for line in audit.splitlines() if line.startswith("noise floor:"))
    assert "in the metric's units" in footer and "% relative" not in footer


def test_json_names_the_scale(tmp_path: Path) -> None:
    path = _file(tmp_path)
    for extra in ([], ["--all"]):
        out = CliRunner().invoke(cli, ["--results", str(path), "--format", "json", *extra])
        assert json.loads(out.stdout)["data"]["scale"] == "linear"
    path.write_text(path.read_text(encoding="utf-8").replace("\t0.0000\t", "\t27.0000\t"))
    out = CliRunner().invoke(cli, ["--results", str(path), "--format", "json"])
    assert json.loads(out.stdout)["data"]["scale"] == "log"


def test_autosteer_on_a_linear_scale_shows_no_percentages(tmp_path: Path) -> None:
    from autosteer.cli import cli as steer

    path = _file(tmp_path)
    result = CliRunner().invoke(steer, ["--results", str(path), "--no-color"])
    table = [line for line in result.stdout.splitlines() if "median gain" in line]
    assert table and not any("%)" in line.split("median gain")[1][:20] for line in table)
    assert "floor (" not in result.stdout or "%)" not in result.stdout.split("floor (")[1][:12]
    data = CliRunner().invoke(steer, ["--results", str(path), "--format", "json"]).stdout
    assert json.loads(data)["data"]["noise"]["scale"] == "linear"


def test_the_replicates_note_is_in_metric_units_too(tmp_path: Path) -> None:
    path = _file(tmp_path)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    rerun = lines[11]  # change 10 (27.78), measured twice more: 2 replicate df
    again = [rerun.replace("27.7800", v) for v in ("27.9100", "27.6500")]
    path.write_text("".join(lines[:12] + again + lines[12:]), encoding="utf-8")
    text = CliRunner().invoke(cli, ["--results", str(path), "--no-color"]).stdout
    note = next(line for line in text.splitlines() if "replicates (" in line)
    assert "%" not in note, note
