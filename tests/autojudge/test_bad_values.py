"""Extreme, malformed and empty values (issue 14 "Values").

Each is a warned bad value, parsed correctly, or a usage error: never an internal error. Each
kind runs through the installed console scripts; its many variants run in process (click's
test runner) to keep the suite fast.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scriptrun import BASE, HEADER, autojudge, autojudge_fast, in_process, run_tool

LOG = "---\nval_bpb: 0.994213\ntraining_seconds: 300.1\npeak_vram_mb: 45060.2\n"
STRANGE = [
    "1e308",
    "-1e308",
    "1e16",
    "inf",
    "-inf",
    "nan",
    "-0",
    "9" * 400,
    "0,994",
    "99.4%",
    "1e-320",
    "0x1p-3",
]


def _results_with(value: str) -> str:
    return BASE + f"c1c2c3d\t{value}\t44.0\tkeep\tstrange\nd1d2d3d\t0.995000\t44.0\tkeep\tafter\n"


@pytest.mark.parametrize("value", STRANGE)
def test_strange_value_in_results_never_breaks_the_statistics(tmp_path: Path, value: str) -> None:
    (tmp_path / "results.tsv").write_text(_results_with(value))
    for args in ([], ["--all"]):
        proc = autojudge_fast(tmp_path, *args, "--format", "json")
        assert proc.returncode in (0, 1, 2), proc.stderr
        assert "internal error" not in proc.stderr
        doc = json.loads(proc.stdout)
        codes = {w["code"] for w in doc["warnings"]}
        parsed = value in ("-0", "1e-320", "99.4%")
        assert parsed or "bad_value" in codes or value.lower() in ("inf", "-inf", "nan")


def test_huge_value_is_a_warned_bad_value(tmp_path: Path) -> None:
    """Through the installed script (the variants above run in process)."""
    (tmp_path / "results.tsv").write_text(_results_with("1e308"))
    doc = json.loads(autojudge(tmp_path, "--all", "--format", "json").stdout)
    bad = [w for w in doc["warnings"] if w["code"] == "bad_value"]
    assert len(bad) == 1 and bad[0]["line"] == 4


@pytest.mark.parametrize("value", STRANGE)
def test_strange_value_in_run_log_is_a_verdict_or_exit_3(tmp_path: Path, value: str) -> None:
    (tmp_path / "results.tsv").write_text(BASE)
    (tmp_path / "run.log").write_text(LOG.replace("0.994213", value))
    proc = autojudge_fast(tmp_path, "--run", "run.log", "--append", "--commit", "c1c2c3d")
    assert proc.returncode in (0, 1, 2, 3) and "internal error" not in proc.stderr
    rows = (tmp_path / "results.tsv").read_text()
    if proc.returncode == 3:
        assert rows == BASE and proc.stderr.count("\n") == 1
    else:
        assert rows.startswith(BASE) and rows.count("\n") == BASE.count("\n") + 1


def test_out_of_range_run_log_value_says_why(tmp_path: Path) -> None:
    (tmp_path / "results.tsv").write_text(BASE)
    (tmp_path / "run.log").write_text(LOG.replace("0.994213", "1e308"))
    proc = autojudge(tmp_path, "--run", "run.log")
    assert proc.returncode == 3 and "run.log:2: val_bpb 1e+308 is out of range" in proc.stderr


@pytest.mark.parametrize(
    "option",
    [
        "--noise=inf",
        "--noise=nan",
        "--noise=1e308",
        "--noise=-1",
        "--noise=5",
        "--max-memory-gb=nan",
        "--max-memory-gb=inf",
        "--memory-rate=nan",
        "--memory-rate=1e308",
    ],
)
def test_non_finite_or_absurd_numbers_in_options_are_usage_errors(
    tmp_path: Path, option: str
) -> None:
    (tmp_path / "results.tsv").write_text(BASE)
    (tmp_path / "run.log").write_text(LOG)
    for args in (["--run", "run.log"], ["--all"]):
        proc = autojudge_fast(tmp_path, *args, option)
        assert proc.returncode == 4, proc.stderr
        assert option.split("=")[0] in proc.stderr and "internal error" not in proc.stderr


@pytest.mark.parametrize(
    "option", ["--commit", "--description", "--run", "--results", "--html", "--plot", "--metric"]
)
@pytest.mark.parametrize("empty", ["", " "])
def test_empty_option_value_is_exit_4_never_a_silent_default(
    tmp_path: Path, option: str, empty: str
) -> None:
    (tmp_path / "results.tsv").write_text(HEADER + "a1b2c3d\t0.998000\t44.0\tkeep\tbaseline\n")
    (tmp_path / "run.log").write_text(LOG)
    args = ["--run", "run.log", "--append"] if option != "--run" else ["--append"]
    proc = autojudge_fast(tmp_path, *args, f"{option}={empty}")
    assert proc.returncode == 4 and f"{option} needs a value" in proc.stderr
    assert (tmp_path / "results.tsv").read_text().count("\n") == 2


@pytest.mark.parametrize("option", ["--tag", "--train-cmd", "--base", "--agent"])
def test_autoevolve_empty_option_value_is_exit_4(tmp_path: Path, option: str) -> None:
    proc = in_process("autoevolve", tmp_path, f"{option}=")
    assert proc.returncode == 4 and f"{option} needs a value" in proc.stderr


@pytest.mark.parametrize(
    "option", ["--timeout=nan", "--round-minutes=inf", "--agent-timeout=nan", "--timeout=1e300"]
)
def test_autoevolve_non_finite_numbers_are_exit_4(tmp_path: Path, option: str) -> None:
    proc = in_process("autoevolve", tmp_path, option)
    assert proc.returncode == 4 and option.split("=")[0] in proc.stderr
    assert "internal error" not in proc.stderr


def test_bad_option_values_through_the_installed_scripts(tmp_path: Path) -> None:
    """One of each kind through the console scripts (the variants above run in process)."""
    (tmp_path / "results.tsv").write_text(BASE)
    (tmp_path / "run.log").write_text(LOG)
    for args in (["--run", "run.log", "--noise=nan"], ["--run=", "--append"], ["--noise=5"]):
        proc = autojudge(tmp_path, *args)
        assert proc.returncode == 4 and "internal error" not in proc.stderr, args
    for option in ("--tag=", "--timeout=nan"):
        assert run_tool("autoevolve", tmp_path, option).returncode == 4
    assert (tmp_path / "results.tsv").read_text() == BASE
