"""autosteer through the real CLI on crafted histories."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from support import EXAMPLES, console_script

from autolab_shared.steering.taxonomy import load_taxonomy
from autosteer.cli import cli

HEADER = "commit\tval_bpb\tmemory_gb\tstatus\tdescription\n"


def _write(tmp_path: Path, rows: list[tuple[float, str, str]], name: str = "results.tsv") -> Path:
    path = tmp_path / name
    lines = [f"{i:07x}\t{v:.6f}\t44.0\t{s}\t{d}" for i, (v, s, d) in enumerate(rows)]
    path.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def _progressing() -> list[tuple[float, str, str]]:
    rows = [(1.0, "keep", "baseline")]
    value = 1.0
    for i in range(30):
        if i % 3 == 0:
            value -= 0.004
            rows.append((value, "keep", f"MATRIX_LR 0.04 -> 0.0{5 + i % 4}"))
        else:
            rows.append((value + 0.003, "discard", f"weight decay 0.2 -> 0.{i % 9 + 1}"))
    return rows


def _invoke(*args: str) -> tuple[int, dict[str, object]]:
    result = CliRunner().invoke(cli, [*args, "--format", "json", "--seed", "3"])
    doc = json.loads(result.stdout)
    return result.exit_code, doc["data"]


def test_documented_form_works(tmp_path: Path) -> None:
    path = _write(tmp_path, _progressing())
    result = CliRunner().invoke(cli, ["--results", str(path), "--mode", "exploit", "--no-color"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Category analysis (all experiments):")  # 31 rows < 50
    assert "learning_rate:" in result.stdout and "Suggested next:" in result.stdout


def test_exit_codes_follow_the_regime(tmp_path: Path) -> None:
    assert _invoke("--results", str(_write(tmp_path, _progressing())))[0] == 0
    stuck = _progressing() + [(1.01, "discard", f"DEPTH 8 -> {9 + i % 3}") for i in range(12)]
    code, data = _invoke("--results", str(_write(tmp_path, stuck)))
    assert (code, data["regime"]) == (1, "stuck")
    short = _progressing()[:4]
    assert _invoke("--results", str(_write(tmp_path, short)))[0] == 2


def test_seed_makes_output_deterministic(tmp_path: Path) -> None:
    path = str(_write(tmp_path, _progressing()))
    assert _invoke("--results", path) == _invoke("--results", path)


def test_learning_rate_changes_are_not_embedding_changes(tmp_path: Path) -> None:
    rows = [(1.0, "keep", "baseline")] + [(0.999, "discard", "embedding LR 0.6 to 0.8")] * 3
    data = _invoke("--results", str(_write(tmp_path, rows)))[1]
    names = {c["name"]: c["tried"] for c in data["categories"]}  # type: ignore[union-attr]
    assert names.get("learning_rate") == 3


def test_unknown_descriptions_go_to_other_and_are_reported(tmp_path: Path) -> None:
    rows = [(1.0, "keep", "baseline")] + [(1.0, "discard", "frobnicate the quux")] * 3
    data = _invoke("--results", str(_write(tmp_path, rows)))[1]
    other = [c for c in data["categories"] if c["name"] == "other"]  # type: ignore[union-attr]
    assert other and other[0]["tried"] == 3
    assert "frobnicate the quux" in data["unclassified"]  # type: ignore[operator]


def test_tried_ideas_are_not_suggested_again(tmp_path: Path) -> None:
    path = str(_write(tmp_path, _progressing()))
    first = _invoke("--results", path, "-n", "5")[1]["suggestions"]
    texts = [s["text"] for s in first if s["idea"]]  # type: ignore[union-attr]
    assert texts
    rows = _progressing() + [(1.01, "discard", t) for t in texts]
    again = _invoke("--results", str(_write(tmp_path, rows)), "-n", "5")[1]["suggestions"]
    assert not set(texts) & {s["text"] for s in again}  # type: ignore[union-attr]


def test_kept_knob_values_lead_to_untried_neighbours(tmp_path: Path) -> None:
    rows = [(1.0, "keep", "baseline"), (0.99, "keep", "MATRIX_LR 0.04 -> 0.045")]
    rows += [(0.995, "discard", f"weight decay 0.2 -> 0.{i}") for i in range(1, 9)]
    data = _invoke("--results", str(_write(tmp_path, rows)), "--mode", "exploit")[1]
    whys = " | ".join(s["why"] for s in data["suggestions"])  # type: ignore[union-attr]
    assert "matrix_lr is 0.045 in the best configuration" in whys and "0.05 is one step up" in whys


def test_pending_categories_spread_the_suggestions(tmp_path: Path) -> None:
    path = str(_write(tmp_path, _progressing()))
    data = _invoke("--results", path, "--mode", "explore", "-n", "1")[1]
    top = data["suggestions"][0]["category"]  # type: ignore[index]
    pending = [arg for _ in range(6) for arg in ("--pending", top)]
    again = _invoke("--results", path, "--mode", "explore", "-n", "1", *pending)[1]
    assert again["suggestions"][0]["category"] != top  # type: ignore[index]


def test_unknown_pending_category_is_a_usage_error(tmp_path: Path) -> None:
    path = str(_write(tmp_path, _progressing()))
    assert CliRunner().invoke(cli, ["--results", path, "--pending", "nope"]).exit_code == 4


def test_several_results_files_are_pooled_by_agent(tmp_path: Path) -> None:
    a = _write(tmp_path, _progressing(), "agent1.tsv")
    b = _write(tmp_path, _progressing()[:12], "agent2.tsv")
    data = _invoke("--results", str(a), "--results", str(b))[1]
    assert data["experiments"] == 31 + 12
    assert data["histories"] == [str(a), str(b)]


def test_higher_is_better_metric(tmp_path: Path) -> None:
    path = tmp_path / "acc.tsv"
    lines = ["commit\tval_acc\tstatus\tdescription", "a000001\t80.0\tkeep\tbaseline"]
    lines += [f"b{i:06d}\t{80 + i}.0\tkeep\tlearning rate 0.1 -> 0.{i + 2}" for i in range(12)]
    path.write_text("\n".join(lines) + "\n")
    code, data = _invoke("--results", str(path))
    assert code == 0 and data["regime"] == "progressing"


def test_prompt_format_is_markdown(tmp_path: Path) -> None:
    path = str(_write(tmp_path, _progressing()))
    out = CliRunner().invoke(cli, ["--results", path, "--format", "prompt", "--seed", "1"])
    assert out.stdout.startswith("## Next experiment (autosteer)")
    assert "1. " in out.stdout


def test_show_taxonomy_round_trips_and_extends(tmp_path: Path) -> None:
    dumped = CliRunner().invoke(cli, ["--show-taxonomy"]).stdout
    saved = tmp_path / "tax.toml"
    saved.write_text(dumped)
    assert load_taxonomy(str(saved)).names == load_taxonomy().names
    extra = tmp_path / "extra.toml"
    extra.write_text('[[category]]\nname = "frobnication"\npatterns = ["frobnicat"]\n')
    rows = [(1.0, "keep", "baseline")] + [(1.0, "discard", "frobnicate the quux")] * 3
    path = str(_write(tmp_path, rows))
    data = _invoke("--results", path, "--taxonomy", str(extra))[1]
    assert "frobnication" in {c["name"] for c in data["categories"]}  # type: ignore[union-attr]


def test_bad_taxonomy_file_is_an_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[[category]\n")
    result = CliRunner().invoke(
        cli, ["--results", str(EXAMPLES / "results.tsv"), "--taxonomy", str(bad)]
    )
    assert result.exit_code == 3 and "bad.toml" in result.stderr


@pytest.mark.parametrize("args", [["--mode", "explore"], ["--mode", "random"], ["--mode", "auto"]])
def test_installed_script_on_the_examples(args: list[str]) -> None:
    cmd = [console_script("autosteer"), "--results", str(EXAMPLES / "results.tsv"), "--seed", "1"]
    proc = subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=60)
    assert proc.returncode in (0, 1, 2) and "Category analysis" in proc.stdout
