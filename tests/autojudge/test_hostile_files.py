"""Hostile and broken files through the installed ``autojudge`` (issue 14 "Files", issue 12).

Every case runs the console script in a real subprocess in a tmp dir outside any git repo.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from scriptrun import BASE, HEADER, autojudge, autojudge_fast

SUMMARY = "step 00100 (x) loss: 3.0\n---\nval_bpb:          0.994213\ntraining_seconds: 300.1\n"
LOG = SUMMARY + "peak_vram_mb:     45060.2\n"


@pytest.fixture
def night(tmp_path: Path) -> Path:
    """A folder with results.tsv (two keeps) and run.log (a finished run)."""
    (tmp_path / "results.tsv").write_text(BASE)
    (tmp_path / "run.log").write_text(LOG)
    return tmp_path


def _append(night: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return autojudge(
        night, "--run", "run.log", "--append", "--commit", "c1c2c3d", "--description", "x", *extra
    )


# -- --append in place ---------------------------------------------------------------------


def test_append_keeps_inode_mode_and_hard_links(night: Path) -> None:
    results = night / "results.tsv"
    results.chmod(0o640)
    os.link(results, night / "copy.tsv")
    before = results.stat()
    proc = _append(night)
    assert proc.returncode in (0, 1, 2), proc.stderr
    after = results.stat()
    assert (after.st_ino, after.st_uid, after.st_gid) == (
        before.st_ino,
        before.st_uid,
        before.st_gid,
    )
    assert stat.S_IMODE(after.st_mode) == 0o640
    assert (night / "copy.tsv").read_text() == results.read_text()
    assert results.read_text().startswith(BASE) and results.read_text().count("\n") == 4
    assert sorted(p.name for p in night.iterdir()) == ["copy.tsv", "results.tsv", "run.log"]


def test_torn_last_line_is_never_merged_and_is_warned(night: Path) -> None:
    (night / "results.tsv").write_text(BASE + "deadbee\t0.99")
    proc = _append(night, "--format", "json")
    lines = (night / "results.tsv").read_text().split("\n")
    assert lines[-3] == "deadbee\t0.99" and lines[-2].startswith("c1c2c3d\t0.994213\t")
    assert lines[-1] == ""
    assert "torn_line" in {w["code"] for w in json.loads(proc.stdout)["warnings"]}
    assert "no line end" in proc.stderr


def test_append_outside_git_without_commit_warns_how_to_name_it(night: Path) -> None:
    proc = autojudge(night, "--run", "run.log", "--append")
    assert proc.returncode in (0, 1, 2), proc.stderr
    assert (night / "results.tsv").read_text().splitlines()[-1].startswith("unknown\t0.994213")
    assert "warning" in proc.stderr and "--commit" in proc.stderr


def test_append_on_a_replicate_writes_the_measured_value(tmp_path: Path) -> None:
    """Issue 12: the run's own 0.994000, never the pooled mean 0.992000 of the commit."""
    (tmp_path / "results.tsv").write_text(
        HEADER + "a1b2c3d\t0.998000\t44.0\tkeep\tbaseline\nabc1234\t0.990000\t44.0\tkeep\tlr\n"
    )
    (tmp_path / "run.log").write_text(LOG.replace("0.994213", "0.994000"))
    proc = autojudge(
        tmp_path, "--run", "run.log", "--append", "--commit", "abc1234", "--description", "lr"
    )
    assert proc.returncode in (0, 1, 2), proc.stderr
    last = (tmp_path / "results.tsv").read_text().splitlines()[-1].split("\t")
    assert last[:3] == ["abc1234", "0.994000", "44.0"]


# -- output paths --------------------------------------------------------------------------


@pytest.mark.parametrize("option", ["--html", "--plot", "--plot-pareto"])
@pytest.mark.parametrize("target", ["results.tsv", "./results.tsv", "link.tsv", "hard.tsv"])
def test_output_that_is_the_input_is_refused_before_writing(
    night: Path, option: str, target: str
) -> None:
    (night / "link.tsv").symlink_to(night / "results.tsv")
    os.link(night / "results.tsv", night / "hard.tsv")
    script = option == "--html" and target == "results.tsv"  # one through the script
    run = autojudge if script else autojudge_fast
    proc = run(night, "--run", "run.log", "--append", "--commit", "c1c2c3d", option, target)
    assert proc.returncode == 4, proc.stderr
    assert "input file" in proc.stderr and proc.stderr.count("\n") == 1
    assert (night / "results.tsv").read_text() == BASE


def test_output_that_is_the_run_log_is_refused(night: Path) -> None:
    proc = autojudge(night, "--run", "run.log", "--html", "run.log")
    assert proc.returncode == 4 and (night / "run.log").read_text() == LOG


def test_append_to_the_run_log_itself_is_refused(night: Path) -> None:
    proc = autojudge(night, "--results", "run.log", "--run", "run.log", "--append")
    assert proc.returncode == 4 and (night / "run.log").read_text() == LOG


def test_unwritable_output_stops_before_the_row_is_written(night: Path) -> None:
    proc = _append(night, "--html", "missing/report.html")
    assert proc.returncode == 3 and "no such folder" in proc.stderr
    assert (night / "results.tsv").read_text() == BASE


def test_failing_report_after_append_is_a_warning_not_a_failed_run(
    night: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The row is in the file: the exit code stays the verdict's and a warning says so."""
    from autojudge import extras
    from autojudge.cli import cli
    from autolab_shared.core.errors import InputError
    from autolab_shared.core.vocabulary import Verdict

    def broken(target: str, content: bytes, **_: object) -> None:
        raise InputError(target, "cannot write: No space left on device")

    monkeypatch.setattr(extras, "write_atomic", broken)
    monkeypatch.chdir(night)
    args = ["--run", "run.log", "--append", "--commit", "c1c2c3d", "--html", "r.html"]
    quiet = CliRunner().invoke(cli, [*args, "-q"], standalone_mode=False)
    verdict = quiet.output.splitlines()[-1].split()[0]  # the exit code stays the verdict's
    assert quiet.return_value == int(Verdict(verdict).exit_code), quiet.output
    assert (night / "results.tsv").read_text().count("c1c2c3d") == 1
    assert "row was appended" in quiet.output


# -- inputs that are not regular files -----------------------------------------------------


def _special(night: Path, kind: str) -> str:
    if kind == "fifo":
        os.mkfifo(night / "pipe")
        return "pipe"
    if kind == "directory":
        (night / "folder").mkdir()
        return "folder"
    return "/dev/zero"


@pytest.mark.parametrize("kind", ["fifo", "directory", "device"])
@pytest.mark.parametrize("option", ["--results", "--run"])
def test_special_input_is_exit_3_never_a_hang(night: Path, kind: str, option: str) -> None:
    path = _special(night, kind)
    proc = autojudge(night, option, path, timeout=20)  # a subprocess: a hang would time out
    assert proc.returncode == 3, proc.stderr
    assert "not a regular file" in proc.stderr and "Traceback" not in proc.stderr


def test_append_to_a_fifo_is_exit_3_never_a_hang(night: Path) -> None:
    os.mkfifo(night / "pipe")
    proc = autojudge(night, "--results", "pipe", "--run", "run.log", "--append", timeout=20)
    assert proc.returncode == 3 and "not a regular file" in proc.stderr


def test_results_over_the_size_limit_is_exit_3(night: Path) -> None:
    with open(night / "huge.tsv", "wb") as fh:
        fh.write(BASE.encode())
        fh.truncate(300 * 1024 * 1024)  # sparse: no disk used
    proc = autojudge(night, "--results", "huge.tsv", timeout=30)
    assert proc.returncode == 3 and "limit" in proc.stderr


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads all")
def test_unreadable_file_is_exit_3(night: Path) -> None:
    (night / "results.tsv").chmod(0)
    proc = autojudge(night, "--run", "run.log")
    assert proc.returncode == 3 and "permission denied" in proc.stderr


def test_unreadable_file_is_exit_3_in_process(night: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same under root (which reads every file): the reader's PermissionError is exit 3."""
    from autojudge.cli import cli

    real_open = os.open

    def denied(path: str, *args: int, **kw: int) -> int:
        if str(path).endswith("results.tsv"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kw)

    monkeypatch.chdir(night)
    monkeypatch.setattr(os, "open", denied)
    result = CliRunner().invoke(cli, ["--run", "run.log"], standalone_mode=False)
    assert result.return_value == 3 and "permission denied" in result.output


def test_large_run_log_is_read_from_its_tail(night: Path) -> None:
    """A log ten times the tail window: the summary is found, lines count from the tail."""
    progress = "step 00100 (1.0%) | loss: 3.141593 | dt: 312ms | tok/sec: 1,681,234\n"
    count = 40 * 1024 * 1024 // len(progress)
    with open(night / "run.log", "w") as fh:
        fh.write(progress * count + LOG.split("\n", 1)[1] + "extra: x\nnot a summary line\n")
    proc = autojudge(night, "--run", "run.log", "--format", "json")
    assert proc.returncode in (0, 1, 2), proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["data"]["value"] == pytest.approx(0.994213)
    notes = {w["code"]: w for w in doc["warnings"]}
    assert "line numbers count from there" in notes["tail_only"]["reason"]
    window = 4 * 1024 * 1024 // len(progress) + 8  # lines in the 4 MiB tail read
    assert 0 < notes["summary_trailing"]["line"] <= window


def test_two_outputs_on_one_path_are_refused(night: Path) -> None:
    proc = autojudge(night, "--all", "--html", "out.png", "--plot-pareto", "out.png")
    assert proc.returncode == 4 and "also the output of --plot-pareto" in proc.stderr
    assert not (night / "out.png").exists()


@pytest.mark.parametrize("kind", ["fifo", "directory"])
def test_autosteer_taxonomy_that_is_not_a_file_is_exit_3(night: Path, kind: str) -> None:
    from scriptrun import run_tool

    proc = run_tool("autosteer", night, "--taxonomy", _special(night, kind), timeout=20)
    assert proc.returncode == 3 and "not a regular file" in proc.stderr
