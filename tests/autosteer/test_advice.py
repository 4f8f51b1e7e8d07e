"""autosteer's advice read as a researcher would: history not window, incumbent-relative
suggestions, labels that agree with their evidence, and the mode's stated reason."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from gitrepo import Repo
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import REAL_RESULTS

from autolab_shared.files.inputs import load_history
from autolab_shared.steering.gitknobs import diff_knob_changes
from autolab_shared.steering.ideas import values_equal
from autolab_shared.steering.knobs import parse_knobs
from autolab_shared.steering.steer import SteerOptions, steer
from autosteer.cli import cli

HEADER = "commit\tval_bpb\tmemory_gb\tstatus\tdescription\n"
H100 = REAL_RESULTS / "karpathy__autoresearch__branch-exp-H100-mar8__results.tsv"


def _write(path: Path, rows: list[tuple[float, str, str]]) -> Path:
    lines = [f"{i:07x}\t{v:.6f}\t44.0\t{s}\t{d}" for i, (v, s, d) in enumerate(rows)]
    path.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def _data(path: Path, *args: str) -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["--results", str(path), "--format", "json", *args])
    assert result.exit_code in (0, 1, 2), result.output
    data: dict[str, Any] = json.loads(result.stdout)["data"]
    return data


def _night(filler: int = 60) -> list[tuple[float, str, str]]:
    """A baseline, a kept batch halving, then `filler` rows of other knobs (mostly discards)."""
    rows = [(1.0, "keep", "baseline"), (0.99, "keep", "halve batch 524K to 262K")]
    value = 0.99
    for i in range(filler):
        if i % 7 == 3:
            value -= 0.002
            rows.append((value, "keep", f"weight decay 0.2 to 0.{i % 9 + 1}"))
        else:
            rows.append((value + 0.001, "discard", f"softcap 15 to {16 + i}"))
    return rows


def test_what_was_tried_comes_from_the_whole_history(tmp_path: Path) -> None:
    data = _data(_write(tmp_path / "r.tsv", _night()), "--mode", "exploit", "-n", "5")
    batch = next(c for c in data["categories"] if c["name"] == "batch_size")
    assert (batch["tried"], batch["tried_all"], batch["kept_all"]) == (0, 1, 1)
    assert "not tried yet" not in data["headline"] or "batch" not in data["headline"]
    for s in data["suggestions"]:
        if s["knob"] == "total_batch_size":  # 524K = 2**19 was the baseline's value
            assert not any(values_equal(s["value"], v) for v in ("524K", "262K"))
    text = CliRunner().invoke(cli, ["--results", str(tmp_path / "r.tsv")]).stdout
    assert "in all" in text and "last 50 experiments" in text


def test_steps_go_from_the_incumbent_and_never_pass_a_tried_value(tmp_path: Path) -> None:
    rows = [(1.0, "keep", "baseline"), (0.99, "keep", "matrix LR 0.04 to 0.05")]
    rows += [(0.995, "discard", "matrix LR 0.05 to 0.07")]
    rows += [(0.995, "discard", f"softcap 15 to {16 + i}") for i in range(10)]
    data = _data(_write(tmp_path / "r.tsv", rows), "--mode", "exploit", "-n", "5")
    lr = [s for s in data["suggestions"] if s["knob"] == "matrix_lr"]
    assert lr, data["suggestions"]
    assert lr[0]["value"] == "0.055" and lr[0]["text"].startswith("matrix_lr 0.05 -> ")
    assert "the kept direction" in lr[0]["why"]


def _every_draw(path: Path, n: int) -> list[list[dict[str, Any]]]:
    """The suggestions of every mode and of seeds 0-3 on one history, `n` each."""
    return [
        _data(path, "--mode", mode, "--seed", str(seed), "-n", str(n))["suggestions"]
        for mode in ("auto", "exploit", "explore")
        for seed in range(4)
    ]


def test_kept_catalogue_changes_are_not_offered_again(tmp_path: Path) -> None:
    rows = [(1.0, "keep", "baseline"), (0.99, "keep", "TOTAL_BATCH_SIZE 2**19 -> 2**18")]
    rows += [(0.98, "keep", "WARMDOWN_RATIO 0.5 -> 0.7")]
    rows += [(0.985, "discard", f"softcap 15 to {16 + i}") for i in range(10)]
    path = _write(tmp_path / "r.tsv", rows)
    for suggestions in _every_draw(path, 8):
        ids = {s["idea"] for s in suggestions}
        assert not ids & {"batch-2-18", "combo-batch-warmdown"}
        for s in suggestions:
            assert s["knob"] != "total_batch_size" or not values_equal(s["value"], "2**18")


def test_a_catalogue_idea_is_not_offered_backwards(tmp_path: Path) -> None:
    # the history halved its batch to 16K and shrank depth to 4: "2**19 -> 2**18 (twice the
    # steps)" and "DEPTH 8 -> 6 (more steps)" would now mean a 16x larger batch, a deeper model
    rows = [(1.0, "keep", "baseline"), (0.99, "keep", "total batch 2**19 to 16K")]
    rows += [(0.98, "keep", "depth 8 to 4")]
    rows += [(0.985, "discard", f"softcap 15 to {16 + i}") for i in range(10)]
    path = _write(tmp_path / "r.tsv", rows)
    for suggestions in _every_draw(path, 10):
        for s in suggestions:
            assert not (s["knob"] == "total_batch_size" and "catalogue" in s["text"]), s
            assert s["idea"] not in {"batch-2-18", "scale-depth-6"}, s


histories = st.lists(
    st.tuples(
        st.sampled_from(["keep", "discard", "discard", "discard", "crash"]),
        st.sampled_from(
            [
                "matrix LR 0.04 to 0.05",
                "weight decay 0.2 to 0.1",
                "softcap 15 to 20",
                "depth 8 to 9",
                "add 5% warmup",
                "RoPE base 10K to 200K",
            ]
        ),
        st.floats(min_value=-0.01, max_value=0.01),
    ),
    min_size=12,
    max_size=80,
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=histories)
def test_labels_agree_with_the_evidence_on_their_line(tmp_path: Path, rows: list[Any]) -> None:
    out = [(1.0, "keep", "baseline")] + [(1.0 + d, s, t) for s, t, d in rows]
    path = _write(tmp_path / "r.tsv", out)
    report = steer([load_history(str(path))], SteerOptions(window=30, seed=1))
    counted = [c for c in report.categories]
    average = sum(c.kept_all for c in counted) / max(sum(c.tried_all for c in counted), 1)
    for c in report.categories:
        if c.tried >= 5 and c.kept / c.tried >= average:
            assert c.label != "AVOID", c
        if c.label == "EXPLOIT":
            assert c.kept / c.tried > average, c
        assert c.tried <= c.tried_all and c.kept <= c.kept_all


def test_median_gain_is_shown_for_every_category_with_improving_keeps(tmp_path: Path) -> None:
    path = _write(tmp_path / "r.tsv", _night(30))
    data = _data(path)
    reg = next(c for c in data["categories"] if c["name"] == "regularization")
    assert reg["kept"] > 0 and reg["median_gain"] > 0 and reg["median_delta"] > 0


def test_auto_does_not_exploit_at_a_low_keep_rate_and_says_why(tmp_path: Path) -> None:
    data = _data(_write(tmp_path / "r.tsv", _night(40)), "--mode", "auto")
    assert data["mode"] != "exploit"
    assert data["mode_reason"].startswith("auto: ") and "kept in the last 20" in data["mode_reason"]
    assert (
        "noise floor (0.10%, assumed" in data["regime_reason"] or data["regime"] != "inconclusive"
    )


@pytest.mark.skipif(not H100.exists(), reason="../shared is absent")
@pytest.mark.parametrize("mode", ["auto", "exploit", "explore"])
def test_karpathy_h100_night(mode: str) -> None:
    descriptions = [line.split("\t")[4] for line in H100.read_text().splitlines()[1:]]
    written = [(c.knob, v) for d in descriptions for c in parse_knobs(d) for v in (c.old, c.new)]
    for seed in range(3):
        data = _data(H100, "--mode", mode, "--seed", str(seed), "-n", "5")
        assert "batch size (not tried yet)" not in data["headline"]
        cats = data["categories"]
        average = sum(c["kept_all"] for c in cats) / sum(c["tried_all"] for c in cats)
        for c in cats:
            if c["tried"] >= 5 and c["keep_rate"] >= average:
                assert c["label"] != "AVOID", c
            if c["kept"]:
                assert c["median_gain"] is not None, c
        for s in data["suggestions"]:  # no value the night already wrote for the knob
            seen = [v for k, v in written if k == s["knob"] and v is not None]
            assert not any(values_equal(s["value"], v) for v in seen), (s, seen)


@pytest.mark.parametrize("suffix", ["", "-dirty"])
def test_git_diffs_give_the_incumbents_knob_values(tmp_path: Path, suffix: str) -> None:
    repo = Repo(tmp_path / "repo")
    repo.commit("MATRIX_LR = 0.04\nDEPTH = 8  # layers\n", "knobs")
    base = repo.head()
    vague = repo.commit("MATRIX_LR = 0.05\nDEPTH = 8  # layers\n", "tune the optimizer")
    rows = [
        (base, 1.0, "keep", "baseline"),
        (vague + suffix, 0.99, "keep", "tune the optimizer a bit"),
    ]
    rows += [(f"{i:07x}", 0.995, "discard", f"softcap 15 to {16 + i}") for i in range(10)]
    path = tmp_path / "r.tsv"
    path.write_text(HEADER + "".join(f"{c}\t{v}\t44.0\t{s}\t{d}\n" for c, v, s, d in rows))
    assert diff_knob_changes("-MATRIX_LR = 0.04\n+MATRIX_LR = 0.05  # x\n")[0].new == "0.05"
    plain = _data(path, "--mode", "exploit", "-n", "5")
    with_git = _data(path, "--mode", "exploit", "-n", "5", "--git", str(repo.path))
    assert not any(s["knob"] == "matrix_lr" for s in plain["suggestions"])
    lr = [s for s in with_git["suggestions"] if s["knob"] == "matrix_lr"]
    assert lr and lr[0]["text"] == "matrix_lr 0.05 -> 0.055", with_git["suggestions"]


def test_a_category_kept_only_as_the_first_keep_says_so(tmp_path: Path) -> None:
    rows = [(1.0, "keep", "depth 8 -> 9"), (1.001, "discard", "softcap 15 -> 20")]
    rows += [(1.0, "keep", "matrix LR 0.04 -> 0.05"), (1.002, "discard", "warmup 0.0 -> 0.02")]
    result = CliRunner().invoke(cli, ["--results", str(_write(tmp_path / "r.tsv", rows))])
    scale = next(line for line in result.stdout.splitlines() if "model_scale:" in line)
    assert "median gain  - (first keep)" in scale
    lr = next(line for line in result.stdout.splitlines() if "learning_rate:" in line)
    assert "median gain          0 (0%)" in lr and "-0" not in lr  # a keep level with the best


def test_a_category_kept_only_before_the_window_shows_the_history_median(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--results", str(_write(tmp_path / "r.tsv", _night()))])
    batch = next(line for line in result.stdout.splitlines() if "batch_size:" in line)
    assert "0 kept" in batch and "median gain 0.01 (1%) in all" in batch
    data = _data(tmp_path / "r.tsv")
    row = next(c for c in data["categories"] if c["name"] == "batch_size")
    assert row["median_gain"] is None and row["median_delta_all"] == pytest.approx(0.01)
