"""train.py's idea catalogue is offered only to histories that look like train.py's: a bpb
metric, or rows that set train.py's own settings; elsewhere the advice says why it has none."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from autolab_shared.steering.catalogfit import catalogue_fit
from autolab_shared.steering.knobs import parse_knobs
from autolab_shared.steering.namedrows import NEAR_MISS_IDEA
from autosteer.cli import cli

TABULAR = [
    (0.8010, "keep", "baseline lightgbm"),
    (0.8032, "keep", "num_leaves 31 -> 63"),
    (0.8021, "discard", "min_child_samples=20"),
    (0.8040, "keep", "learning_rate 0.1 -> 0.05"),
    (0.8035, "discard", "feature_fraction 0.8 -> 0.6"),
    (0.8030, "discard", "add target encoding of ZIP"),
    (0.8038, "discard", "bagging_freq=5"),
    (0.8025, "discard", "drop HAS_BASEMENT"),
    (0.8039, "discard", "num_leaves 63 -> 127"),
    (0.8031, "discard", "lambda_l2 0 -> 1"),
]


def _write(path: Path, metric: str, rows: list[tuple[float, str, str]]) -> Path:
    head = f"commit\t{metric}\tmemory_gb\tstatus\tdescription\n"
    lines = [f"{i + 1:07x}\t{v:.4f}\t2.0\t{s}\t{d}" for i, (v, s, d) in enumerate(rows)]
    path.write_text(head + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def _run(path: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--results", str(path), "--seed", "1", *args])
    assert result.exit_code in (0, 1, 2), result.output
    return result.stdout


def test_the_fit_reads_the_metric_and_train_pys_own_settings() -> None:
    assert catalogue_fit(["val_bpb"], []).applies
    rows = [parse_knobs(d) for d in ("matrix LR 0.04 -> 0.05", "depth 8 -> 9", "GeLU", "x")]
    assert catalogue_fit(["val_loss"], rows).applies  # 1 of 4 rows: matrix LR is train.py's
    shared = [parse_knobs(d) for d in ("depth 8 -> 9", "weight decay 0.1 -> 0.2", "GeLU")]
    fit = catalogue_fit(["auc"], shared)  # depth and weight decay are every script's
    assert not fit.applies and "0 of 3 rows" in fit.reason and "auc" in fit.reason


def test_a_tabular_night_gets_no_train_py_ideas(tmp_path: Path) -> None:
    path = _write(tmp_path / "results.tsv", "val_auc", TABULAR)
    data: dict[str, Any] = json.loads(_run(path, "--format", "json", "-n", "5"))["data"]
    assert data["catalogue"]["applies"] is False and "val_auc" in data["catalogue"]["reason"]
    assert data["angles"] == []  # the built-in angles are train.py's (FP8, value embeddings)
    assert all(s["idea"] in (None, NEAR_MISS_IDEA) for s in data["suggestions"])
    text = _run(path)
    assert "Ideas: none from the catalogue" in text and "Specific angles" not in text


def test_a_bpb_night_keeps_the_catalogue(tmp_path: Path) -> None:
    path = _write(tmp_path / "results.tsv", "val_bpb", TABULAR)
    data: dict[str, Any] = json.loads(_run(path, "--format", "json", "-n", "5"))["data"]
    assert data["catalogue"]["applies"] is True
    assert any(s["idea"] not in (None, NEAR_MISS_IDEA) for s in data["suggestions"])
    assert "Ideas:" not in _run(path)
