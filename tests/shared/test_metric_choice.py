"""Which column is the metric and which way is better, on patterns seen in real files."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from support import console_script

from autolab_shared.parsing.declared import split_declared
from autolab_shared.parsing.results import History, parse_results

PROPS = settings(max_examples=150, deadline=None)
HEADER = "commit\tval_bpb\tmemory_gb\tstatus\tdescription\n"
ROWS = [("a1b2c3d", 1.2, "keep"), ("b1b2c3d", 1.1, "keep"), ("c1b2c3d", 1.3, "discard")]


def _codes(history: History) -> set[str]:
    return {w.code for w in history.warnings}


def _rows(cells: str, sep: str = "\t") -> str:
    return "".join(
        f"{c}{sep}{v:.6f}{sep}44.0{sep}{s}{sep}change {i}\n" for i, (c, v, s) in enumerate(ROWS)
    ).replace("\t", sep)


# -- declared directions ---------------------------------------------------------------------

FALLING = "commit\t{name}\tmfu\tstatus\tdescription\n" + "".join(
    f"{i:07x}\t{1.0 - 0.1 * i:.2f}\t{39 + i / 7:.2f}\tkeep\tstep {i}\n" for i in range(1, 6)
)


@pytest.mark.parametrize(
    ("cell", "direction"),
    [
        ("val_acc (lower is better)", "min"),
        ("val_acc↓", "min"),
        ("primary_score [min]", "min"),
        ("val_loss (max)", "max"),
        ("fid (higher=better)", "max"),
        ("reward_lower_is_better", "min"),
    ],
)
def test_a_header_cell_that_declares_the_direction_beats_the_name(
    cell: str, direction: str
) -> None:
    history = parse_results(FALLING.format(name=cell))
    assert (history.direction, history.direction_source) == (direction, "declared")
    assert history.metric == split_declared(history.metric)[0] and "(" not in history.metric
    assert "direction_conflict" not in _codes(history)


@pytest.mark.parametrize(
    ("comment", "direction", "source"),
    [
        ("# primary_score: lower is better", "min", "declared"),
        ("# lower is better", "min", "declared"),
        ("# goal: minimize primary_score", "min", "declared"),
        ("# mfu: higher is better; primary_score: lower is better", "min", "declared"),
        ("# mfu higher is better", "max", "known"),
    ],  # names another column: not ours
)
def test_a_comment_that_declares_the_direction_beats_the_name(
    comment: str, direction: str, source: str
) -> None:
    history = parse_results(comment + "\n" + FALLING.format(name="primary_score"))
    assert (history.metric, history.direction, history.direction_source) == (
        "primary_score",
        direction,
        source,
    )
    assert len(history) == 5 and "comment" in _codes(history)


def test_a_commented_out_header_is_the_header() -> None:
    history = parse_results("# " + HEADER + _rows(""))
    assert history.metric == "val_bpb" and [e.value for e in history.experiments] == [1.2, 1.1, 1.3]
    assert history.header_lines == (1,)


def test_the_flag_still_beats_a_declaration() -> None:
    history = parse_results(FALLING.format(name="score (min)"), direction="max")
    assert (history.direction, history.direction_source) == ("max", "given")


# -- settings are not metrics ----------------------------------------------------------------


def test_configuration_columns_of_a_csv_are_never_the_metric() -> None:
    text = "run,imgsz,samples,epochs,fitness,status\n" + "".join(
        f"r{i},{640 * (1 + i % 2)},5000,{10 + i},{0.5 + 0.01 * i:.3f},keep\n" for i in range(6)
    )
    history = parse_results(text, "results.csv")
    assert history.metric == "fitness" and history.direction == "max"


@PROPS
@given(
    st.lists(
        st.sampled_from(["imgsz", "samples", "workers", "max_len", "grid"]),
        min_size=1,
        max_size=4,
        unique=True,
    ),
    st.lists(st.floats(0.01, 100.0, allow_nan=False), min_size=3, max_size=12, unique=True),
    st.integers(1, 4096),
)
@example(["imgsz", "samples"], [1.0, 2.0, 3.0], 1)  # results that come out whole: "1.0000"
def test_whole_number_or_constant_settings_before_a_result_are_skipped(
    settings_: list[str], results: list[float], setting: int
) -> None:
    header = ",".join(["name", *settings_, "result"])
    body = "".join(
        ",".join(
            [f"r{i}", *(str(setting + i * (k % 2)) for k in range(len(settings_))), f"{r:.4f}"]
        )
        + "\n"
        for i, r in enumerate(results)
    )
    history = parse_results(header + "\n" + body, "x.csv")
    assert history.metric == "result"


# -- date-like first columns -----------------------------------------------------------------

STAMPS = st.sampled_from(
    [
        "2026-03-{d:02d}",
        "2026-03-{d:02d}T10:00:00Z",
        "2026/03/{d:02d} 10:00",
        "03/{d:02d}/2026",
        "2026-03-{d:02d} 10:00:01+02:00",
        "[2026-03-{d:02d} 10:00]",
    ]
)


@PROPS
@given(STAMPS, st.sampled_from(["\t", ","]))
def test_a_date_stamp_before_each_row_does_not_make_crashes(stamp: str, sep: str) -> None:
    header = HEADER.replace("\t", sep)
    body = "".join(
        f"{stamp.format(d=i + 1)}{sep}{line}"
        for i, line in enumerate(_rows("", sep).splitlines(keepends=True))
    )
    history = parse_results(header + body, "r.csv" if sep == "," else "r.tsv")
    assert [e.value for e in history.experiments] == [1.2, 1.1, 1.3]
    assert [e.commit for e in history.experiments] == [c for c, _, _ in ROWS]
    assert history.experiments[0].get("date") == stamp.format(d=1)


@PROPS
@given(STAMPS)
def test_a_header_less_file_with_a_date_first_names_it_date(stamp: str) -> None:
    body = "".join(
        f"{stamp.format(d=i + 1)}\t{c}\t{v}\t44.0\t{s}\tchange {i}\n"
        for i, (c, v, s) in enumerate(ROWS)
    )
    history = parse_results(body)
    assert history.columns[0] == "date" and history.columns[1] == "commit"
    assert [e.value for e in history.experiments] == [1.2, 1.1, 1.3]


# -- a second header mid-file ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("second", "cells", "code"),
    [
        ("commit\tfinal_val_bpb\tmemory_gb\tstatus\tnote", "0.990000\t44.0", "metric_renamed"),
        ("commit\tmetric_name\tmetric_value\tstatus\tnote", "val_bpb\t0.990000", "metric_renamed"),
        ("commit\tfid\tmemory_gb\tstatus\tnote", "320.5\t44.0", "metric_missing"),
        ("commit\tval_loss\tmemory_gb\tstatus\tnote", "0.990000\t44.0", "metric_missing"),
    ],
)
def test_a_second_header_is_followed_when_it_names_the_same_quantity(
    second: str, cells: str, code: str
) -> None:
    text = HEADER + _rows("") + second + "\n" + f"d1b2c3d\t{cells}\tkeep\tlater\n"
    history = parse_results(text)
    later = history.experiments[-1].value
    assert later == (0.99 if code == "metric_renamed" else None)
    assert code in _codes(history)


# -- through the installed tools ---------------------------------------------------------------


def test_declared_direction_through_the_installed_tools(tmp_path: Path) -> None:
    path = tmp_path / "results.tsv"
    path.write_text(
        "# primary_score: lower is better\n" + FALLING.format(name="primary_score"),
        encoding="utf-8",
    )
    proc = subprocess.run(
        [console_script("autoevolve"), "--results", str(path), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    data = json.loads(proc.stdout)["data"]
    assert (data["direction"], data["direction_source"]) == ("min", "declared")
    judged = subprocess.run(
        [console_script("autojudge"), "--results", str(path), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    doc = json.loads(judged.stdout)
    assert doc["data"]["direction"] == "min" and judged.returncode in (0, 1, 2)


def test_settings_and_date_stamps_through_the_installed_autojudge(tmp_path: Path) -> None:
    csv = tmp_path / "results.csv"
    csv.write_text(
        "run,imgsz,samples,fitness,status,description\n"
        + "".join(
            f"r{i},640,{5000 * (1 + i % 2)},{0.5 + 0.01 * i:.3f},keep,try {i}\n" for i in range(5)
        ),
        encoding="utf-8",
    )
    stamped = tmp_path / "results.tsv"
    stamped.write_text(
        HEADER
        + "".join(
            f"2026-03-0{i + 1} 10:0{i}\t{line}" for i, line in enumerate(_rows("").splitlines(True))
        ),
        encoding="utf-8",
    )
    for path, metric, values in ((csv, "fitness", 5), (stamped, "val_bpb", 3)):
        proc = subprocess.run(
            [console_script("autojudge"), "--results", str(path), "--all", "--format", "json"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        data = json.loads(proc.stdout)["data"]
        assert data["metric"] == metric and proc.returncode in (0, 1, 2)
        assert len(data["experiments"]) == values
        assert all(e["verdict"] != "CRASH" for e in data["experiments"]), data["experiments"]
