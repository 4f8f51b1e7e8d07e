"""Exit-code plumbing of the three CLIs, through CliRunner and as installed console scripts."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from support import TOOLS, console_script

from autolab_shared.core.exitcodes import ExitCode

STANDARD = (
    "commit\tval_bpb\tmemory_gb\tstatus\tdescription\n"
    "a1b2c3d\t0.997900\t44.0\tkeep\tbaseline\n"
    "b2c3d4e\t0.993200\t44.2\tkeep\tincrease LR to 0.04\n"
    "c3d4e5f\t1.005000\t44.0\tdiscard\tswitch to GeLU activation\n"
    "d4e5f6a\t0.000000\t0.0\tcrash\tdouble model width (OOM)\n"
)


# The last STANDARD row is a crash, so autojudge's verdict on it is CRASH (exit 1); four rows
# are too little history for autosteer (inconclusive, exit 2).
EXPECTED = {
    "autojudge": ExitCode.DISCARD,
    "autosteer": ExitCode.RETEST,
    "autoevolve": ExitCode.KEEP,
}
SUMMARY_TOOLS = ("autoevolve",)


def _cli(tool: str) -> click.Command:
    return importlib.import_module(f"{tool}.cli").cli  # type: ignore[no-any-return]


@pytest.fixture
def results_file(tmp_path: Path) -> Path:
    path = tmp_path / "results.tsv"
    path.write_text(STANDARD, encoding="utf-8")
    return path


def _run_script(
    tool: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [console_script(tool), *args],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=60,
    )


@pytest.mark.parametrize("tool", TOOLS)
def test_help_exits_0_and_lists_the_exit_codes(tool: str) -> None:
    result = CliRunner().invoke(_cli(tool), ["--help"])
    assert result.exit_code == 0
    assert "Exit codes:" in result.output
    for code in ExitCode:
        assert f"{int(code):>3}  " in result.output


@pytest.mark.parametrize("tool", TOOLS)
def test_version_names_tool_shared_library_and_python(tool: str) -> None:
    result = CliRunner().invoke(_cli(tool), ["--version"])
    version = importlib.import_module(tool).__version__
    assert result.exit_code == 0
    dist = f"autolab-{tool[4:]}"
    assert result.output.startswith(f"{tool} {version} ({dist}, autolab-shared {version}, Python ")


@pytest.mark.parametrize("tool", TOOLS)
@pytest.mark.parametrize("args", [["--bogus"], ["--format", "xml"], ["--direction", "up"]])
def test_usage_errors_exit_4_with_one_line(tool: str, args: list[str], results_file: Path) -> None:
    result = CliRunner().invoke(_cli(tool), ["--results", str(results_file), *args])
    assert result.exit_code == ExitCode.USAGE_ERROR
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{tool}: error: "), result.stderr


@pytest.mark.parametrize("tool", TOOLS)
def test_missing_file_exits_3_with_one_line_naming_it(tool: str, tmp_path: Path) -> None:
    missing = tmp_path / "nope.tsv"
    result = CliRunner().invoke(_cli(tool), ["--results", str(missing)])
    assert result.exit_code == ExitCode.INPUT_ERROR
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(missing) in lines[0], result.stderr


@pytest.mark.parametrize("tool", TOOLS)
def test_missing_file_with_json_also_emits_an_error_envelope(tool: str, tmp_path: Path) -> None:
    missing = tmp_path / "nope.tsv"
    result = CliRunner().invoke(_cli(tool), ["--results", str(missing), "--format", "json"])
    assert result.exit_code == ExitCode.INPUT_ERROR
    doc = json.loads(result.stdout)
    assert doc["status"] == "error" and doc["exit_code"] == 3
    assert doc["errors"][0]["path"] == str(missing)


@pytest.mark.parametrize("tool", SUMMARY_TOOLS)
def test_summary_exits_0_and_counts(tool: str, results_file: Path) -> None:
    result = CliRunner().invoke(_cli(tool), ["--results", str(results_file), "--no-color"])
    assert result.exit_code == 0, result.output
    assert "4 experiments" in result.stdout
    assert "keep: 2 | discard: 1 | crash: 1" in result.stdout


@pytest.mark.parametrize("tool", TOOLS)
def test_json_is_strict_and_enveloped(tool: str, tmp_path: Path) -> None:
    path = tmp_path / "results.tsv"
    path.write_text(STANDARD + "e5f6a7b\tnan\t44.0\tdiscard\tloss exploded\n", encoding="utf-8")
    result = CliRunner().invoke(_cli(tool), ["--results", str(path), "--format", "json"])
    assert result.exit_code == EXPECTED[tool]
    assert "NaN" not in result.stdout
    doc = json.loads(result.stdout)
    assert doc["schema_version"] == 1 and doc["tool"] == tool
    assert doc["exit_code"] == EXPECTED[tool]


def test_quiet_prints_one_line(results_file: Path) -> None:
    result = CliRunner().invoke(_cli("autojudge"), ["--results", str(results_file), "-q"])
    assert result.exit_code == ExitCode.DISCARD
    assert result.stdout.startswith("CRASH ")
    assert len(result.stdout.strip().splitlines()) == 1


def test_stdin_dash_reads_the_history(results_file: Path) -> None:
    result = CliRunner().invoke(_cli("autojudge"), ["--results", "-"], input=STANDARD)
    assert result.exit_code == ExitCode.DISCARD
    assert result.stdout.startswith("experiment_004: CRASH")


def test_two_stdin_inputs_is_a_usage_error() -> None:
    result = CliRunner().invoke(_cli("autojudge"), ["--results", "-", "--run", "-"])
    assert result.exit_code == ExitCode.USAGE_ERROR


@pytest.mark.parametrize("tool", TOOLS)
def test_installed_console_script_exit_codes(tool: str, results_file: Path, tmp_path: Path) -> None:
    assert _run_script(tool, "--help").returncode == 0
    assert _run_script(tool, "--version").returncode == 0
    assert _run_script(tool, "--bogus").returncode == ExitCode.USAGE_ERROR
    missing = _run_script(tool, "--results", str(tmp_path / "missing.tsv"))
    assert missing.returncode == ExitCode.INPUT_ERROR
    assert "Traceback" not in missing.stderr
    assert _run_script(tool, "--results", str(results_file)).returncode == EXPECTED[tool]


@pytest.mark.parametrize("tool", TOOLS)
def test_python_dash_m_works(tool: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", tool, "--version"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert proc.returncode == 0 and proc.stdout.startswith(tool)


@pytest.mark.parametrize("tool", TOOLS)
def test_closed_stdout_does_not_change_the_exit_code(tool: str, results_file: Path) -> None:
    with subprocess.Popen(
        [console_script(tool), "--results", str(results_file), "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()  # the reader is gone before the tool writes a byte
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=60) == EXPECTED[tool]
    assert "Traceback" not in err and "Exception ignored" not in err


@pytest.mark.parametrize("tool", TOOLS)
def test_pipe_to_head_keeps_the_exit_code(tool: str, results_file: Path) -> None:
    exe = console_script(tool)
    script = f'"{exe}" --results "{results_file}" | head -c 1 >/dev/null; echo ${{PIPESTATUS[0]}}'
    bad = f'"{exe}" --bogus | head -c 1 >/dev/null; echo ${{PIPESTATUS[0]}}'
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == str(int(EXPECTED[tool]))
    out = subprocess.run(
        ["bash", "-c", bad], capture_output=True, text=True, check=False, timeout=60
    )
    assert out.stdout.strip() == "4"


def test_no_color_and_env(results_file: Path) -> None:
    args = ["--results", str(results_file)]
    forced = CliRunner().invoke(_cli("autojudge"), args, env={"FORCE_COLOR": "1"})
    assert "\x1b[" in forced.stdout
    for env, extra in (
        ({"FORCE_COLOR": "1"}, ["--no-color"]),
        ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, []),
    ):
        plain = CliRunner().invoke(_cli("autojudge"), args + extra, env=env)
        assert "\x1b[" not in plain.stdout
    piped = CliRunner().invoke(_cli("autojudge"), args)
    assert "\x1b[" not in piped.stdout


def test_cli_import_does_not_load_pandas_scipy_or_matplotlib() -> None:
    code = (
        "import sys, autojudge.cli, autosteer.cli, autoevolve.cli;"
        "bad=[m for m in ('pandas','scipy','matplotlib') if m in sys.modules];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout


def test_one_verdict_loads_neither_pandas_nor_scipy() -> None:
    examples = Path(__file__).resolve().parents[2] / "examples"
    code = (
        "import sys; from autojudge.cli import cli;"
        f"cli.main(['--results', {str(examples / 'results.tsv')!r}, '--run',"
        f" {str(examples / 'run.log')!r}, '--commit', 'eb5bdc1', '-q'], standalone_mode=False);"
        "bad=[m for m in ('pandas','scipy','matplotlib') if m in sys.modules];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
