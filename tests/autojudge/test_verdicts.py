"""autojudge verdicts on crafted histories with known answers, through the real CLI."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from histories import HEADER, write_history
from support import REPO_ROOT, console_script

from autojudge.cli import cli

SUMMARY = (
    "---\nval_bpb:          {value}\ntraining_seconds: 300.1\ntotal_seconds:    325.9\n"
    "peak_vram_mb:     {mb}\nmfu_percent:      39.80\ntotal_tokens_M:   499.6\n"
    "num_steps:        953\nnum_params_M:     50.3\ndepth:            8\n"
)


def _judge(*args: str) -> tuple[int, dict[str, object]]:
    result = CliRunner().invoke(cli, [*args, "--format", "json"])
    doc = json.loads(result.stdout)
    assert doc["exit_code"] == result.exit_code
    return result.exit_code, doc["data"]


def _runlog(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "run.log"
    path.write_text(text, encoding="utf-8")
    return path


def test_clear_gain_is_a_strong_keep(tmp_path: Path) -> None:
    code, data = _judge(
        "--results", str(write_history(tmp_path, "e000005\t0.985000\t44.1\tkeep\tx"))
    )
    assert (code, data["verdict"]) == (0, "STRONG_KEEP")
    assert data["confidence"] > 0.99
    assert data["incumbent"]["commit"] == "c000003"  # pooled kept change, not the raw minimum


def test_clear_regression_is_a_discard(tmp_path: Path) -> None:
    code, data = _judge(
        "--results", str(write_history(tmp_path, "e000005\t1.010000\t44.1\tkeep\tx"))
    )
    assert (code, data["verdict"]) == (1, "DISCARD")
    assert data["confidence"] < 0.01


def test_gain_within_noise_is_not_a_confident_keep(tmp_path: Path) -> None:
    _, data = _judge("--results", str(write_history(tmp_path, "e000005\t0.995600\t44.1\tkeep\tx")))
    assert data["verdict"] in {"MARGINAL", "RETEST"}
    assert 0.2 < data["confidence"] < 0.8
    strict, sdata = _judge("--results", str(tmp_path / "results.tsv"), "--policy", "strict")
    assert (strict, sdata["verdict"]) in {(1, "DISCARD"), (2, "RETEST")}  # never a strict keep


def test_single_run_within_noise_without_any_noise_estimate_asks_for_a_rerun(
    tmp_path: Path,
) -> None:
    history = HEADER + "a000001\t0.997900\t44.0\tkeep\tbaseline\n"
    path = write_history(tmp_path, "b000002\t0.997200\t44.0\tkeep\tx", base=history)
    code, data = _judge("--results", str(path))
    assert (code, data["verdict"], data["reasons"]) == (2, "RETEST", ["within_noise", "calibrate"])
    assert data["noise"]["source"] == "default"
    assert data["next_action"] == "rerun_candidate"


def test_replicates_of_the_candidate_are_pooled(tmp_path: Path) -> None:
    path = write_history(tmp_path, "e000005\t0.995600\t44.1\tretest\tx")
    log = _runlog(tmp_path, SUMMARY.format(value="0.995200", mb="45158.4"))
    _, data = _judge("--results", str(path), "--run", str(log), "--commit", "e000005")
    assert data["n_runs"] == 2
    assert data["value"] == pytest.approx((0.9956 + 0.9952) / 2)


@pytest.mark.parametrize("status", ["keep", "discard", "retest", "BEST", ""])
def test_verdict_does_not_depend_on_the_candidates_status_word(tmp_path: Path, status: str) -> None:
    reference = _judge(
        "--results", str(write_history(tmp_path, "e000005\t0.995000\t44.1\tkeep\tx"))
    )
    other = _judge(
        "--results", str(write_history(tmp_path, f"e000005\t0.995000\t44.1\t{status}\tx"))
    )
    assert other == reference


def test_higher_is_better_metric_is_mirrored(tmp_path: Path) -> None:
    base = "commit\tval_acc\tmemory_gb\tstatus\tdescription\n" + "".join(
        f"a000001\t{v}\t10.0\tkeep\tbaseline\n" for v in ("81.20", "81.40", "81.30")
    )
    better = write_history(tmp_path, "b000002\t84.00\t10.0\tdiscard\tx", base=base)
    code, data = _judge("--results", str(better))
    assert (code, data["direction"], data["verdict"]) == (0, "max", "STRONG_KEEP")
    worse = write_history(tmp_path, "b000002\t78.00\t10.0\tkeep\tx", base=base)
    assert _judge("--results", str(worse))[1]["verdict"] == "DISCARD"


def test_memory_cap_discards_a_gain(tmp_path: Path) -> None:
    path = write_history(tmp_path, "e000005\t0.985000\t52.0\tkeep\tx")
    code, data = _judge("--results", str(path), "--max-memory-gb", "48")
    assert (code, data["verdict"], data["reasons"]) == (1, "DISCARD", ["memory"])


def test_pareto_status_reports_dominated_candidates(tmp_path: Path) -> None:
    path = write_history(tmp_path, "e000005\t0.999500\t60.0\tkeep\tx")
    data = _judge("--results", str(path))[1]
    assert data["pareto"] == "DOMINATED" and "c000003" in data["dominated_by"]


def test_zero_noise_does_not_divide_by_zero(tmp_path: Path) -> None:
    base = HEADER + "".join(f"a000001\t2.314450\t40.0\tkeep\tbaseline {i}\n" for i in range(4))
    tiny = write_history(tmp_path, "b000002\t2.314443\t40.0\tkeep\tx", base=base)
    code, data = _judge("--results", str(tiny))
    assert code in (0, 1, 2) and data["noise"]["sigma"] >= 0
    clear = write_history(tmp_path, "b000002\t2.300000\t40.0\tkeep\tx", base=base)
    assert _judge("--results", str(clear))[1]["verdict"] == "STRONG_KEEP"
    given = _judge("--results", str(clear), "--noise", "0")
    assert given[1]["noise"]["source"] == "given" and given[1]["verdict"] == "STRONG_KEEP"


CRASH_LOGS = {
    "oom": "step 00010 | loss: 3.2\ntorch.OutOfMemoryError: CUDA out of memory.\n",
    "nan": "step 00010 (1.0%) | loss: nan\nFAIL\n",
    "traceback": 'Traceback (most recent call last):\n  File "train.py", line 3\n'
    "NameError: name 'x' is not defined\n",
    "timeout": "step 00010 (1.0%) | loss: 3.2\nstep 00011 (1.1%) | loss: 3.1",
    "empty": "",
}  # fmt: skip


@pytest.mark.parametrize("kind", sorted(CRASH_LOGS))
def test_crash_logs_are_crashes_with_their_class(tmp_path: Path, kind: str) -> None:
    log = _runlog(tmp_path, CRASH_LOGS[kind])
    path = write_history(tmp_path)
    code, data = _judge("--results", str(path), "--run", str(log), "--commit", "e000005")
    assert (code, data["verdict"]) == (1, "CRASH")
    assert data["crash"]["kind"] == kind


def test_a_crashed_baseline_is_never_a_keep(tmp_path: Path) -> None:
    empty = write_history(tmp_path, base=HEADER)
    log = _runlog(tmp_path, CRASH_LOGS["oom"])
    code, data = _judge("--results", str(empty), "--run", str(log), "--commit", "a000001")
    assert (code, data["verdict"]) == (1, "CRASH")
    crash_row = write_history(tmp_path, "a000001\t0.000000\t0.0\tcrash\tbaseline", base=HEADER)
    assert _judge("--results", str(crash_row))[1]["verdict"] == "CRASH"


def test_first_baseline_run_asks_for_a_replicate(tmp_path: Path) -> None:
    empty = write_history(tmp_path, base=HEADER)
    log = _runlog(tmp_path, SUMMARY.format(value="0.997900", mb="45060.2"))
    code, data = _judge("--results", str(empty), "--run", str(log), "--commit", "a000001")
    assert (code, data["verdict"], data["reasons"]) == (2, "RETEST", ["calibrate"])


def test_append_writes_the_verdict_status(tmp_path: Path) -> None:
    path = write_history(tmp_path)
    log = _runlog(tmp_path, SUMMARY.format(value="0.985000", mb="45158.4"))
    args = [
        "--results",
        str(path),
        "--run",
        str(log),
        "--commit",
        "e000005",
        "--description",
        "RoPE base 10000 -> 50000",
        "--append",
        "-q",
    ]
    assert CliRunner().invoke(cli, args).exit_code == 0
    last = path.read_text().splitlines()[-1]
    assert last == "e000005\t0.985000\t44.1\tkeep\tRoPE base 10000 -> 50000"
    crash = _runlog(tmp_path, CRASH_LOGS["oom"])
    args[3] = str(crash)
    args[5] = "f000006"
    assert CliRunner().invoke(cli, args).exit_code == 1
    assert path.read_text().splitlines()[-1].startswith("f000006\t0.000000\t0.0\tcrash\t")


def test_append_without_run_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--results", str(write_history(tmp_path)), "--append"])
    assert result.exit_code == 4


def test_concurrent_appends_through_the_console_script(tmp_path: Path) -> None:
    path = write_history(tmp_path)
    log = _runlog(tmp_path, SUMMARY.format(value="0.999000", mb="45060.2"))
    exe = console_script("autojudge")
    procs = [
        subprocess.Popen([exe, "--results", str(path), "--run", str(log), "--commit",
                          f"f{i:06d}", "--description", f"writer {i}", "--append", "-q"],
                         stdout=subprocess.DEVNULL)
        for i in range(6)
    ]  # fmt: skip
    codes = [p.wait(timeout=120) for p in procs]
    assert all(c in (0, 1, 2) for c in codes)
    rows = path.read_text().splitlines()[8:]
    assert sorted(r.split("\t")[0] for r in rows) == [f"f{i:06d}" for i in range(6)]
    assert all(len(r.split("\t")) == 5 for r in rows)


@pytest.mark.parametrize(
    ("row", "code"),
    [
        ("e000005\t0.985000\t44.1\tkeep\tx", 0),
        ("e000005\t1.010000\t44.1\tkeep\tx", 1),
        ("e000005\t0.000000\t0.0\tcrash\tx", 1),
    ],
)
def test_exit_codes_through_the_installed_script(tmp_path: Path, row: str, code: int) -> None:
    path = str(write_history(tmp_path, row))
    proc = subprocess.run(
        [console_script("autojudge"), "--results", path], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == code


def test_retest_exit_code_through_the_installed_script(tmp_path: Path) -> None:
    path = write_history(
        tmp_path,
        "b000002\t0.997200\t44.0\tkeep\tx",
        base=HEADER + "a000001\t0.997900\t44.0\tkeep\tbaseline\n",
    )
    proc = subprocess.run(
        [console_script("autojudge"), "--results", str(path), "-q"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and proc.stdout.startswith("RETEST")


def test_text_output_matches_the_fixture_byte_for_byte(tmp_path: Path) -> None:
    path = write_history(tmp_path, "e000005\t0.994500\t44.1\tkeep\tRoPE base 10000 -> 50000")
    result = CliRunner().invoke(cli, ["--results", str(path), "--no-color"])
    expected = (REPO_ROOT / "tests" / "fixtures" / "autojudge_verdict.txt").read_text()
    assert result.stdout.replace(str(path), "results.tsv") == expected


def test_commit_and_description_default_to_git_head(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@x",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@x",
        "PATH": "/usr/bin:/bin",
    }
    for args in (["init", "-q"], ["commit", "-q", "--allow-empty", "-m", "SwiGLU activation"]):
        subprocess.run(["git", *args], cwd=repo, check=True, env=env)
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    path = write_history(repo)
    log = _runlog(repo, SUMMARY.format(value="0.990000", mb="45060.2"))
    monkeypatch.chdir(repo)
    _, data = _judge("--results", str(path), "--run", str(log))
    assert (data["commit"], data["description"]) == (head, "SwiGLU activation")
