"""Closed, broken and ASCII-only standard streams, through the installed console scripts.

Whatever state the caller leaves stdin, stdout and stderr in, no tool prints a traceback, the
exit code is the one a normal run gives, and non-ASCII output degrades to ASCII.
"""

from __future__ import annotations

import functools
import json
import os
import shlex
import subprocess
from pathlib import Path

import pytest
from gitrepo import Repo
from support import console_script

RESULTS = (
    "commit\tval_bpb\tmemory_gb\tstatus\tdescription\n"
    "a1b2c3d\t0.997900\t44.0\tkeep\tbaseline\n"
    "b2c3d4e\t0.993200\t44.2\tkeep\tLR 0.04 → 0.05 (café, 中文)\n"
    "c3d4e5f\t1.005000\t44.0\tdiscard\tswitch to GeLU ± tweaks\n"
)
COMMANDS = [
    ("autojudge", []),
    ("autojudge", ["--all"]),
    ("autosteer", ["--seed", "1"]),
    ("autosteer", ["--format", "prompt", "--seed", "1"]),
    ("autoevolve", []),
]


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("streams") / "results.tsv"
    path.write_text(RESULTS, encoding="utf-8")
    return path


def _sh(command: str, **env: str) -> subprocess.CompletedProcess[bytes]:
    """Run a bash command line (the redirections under test are shell syntax)."""
    full = {**os.environ, **env}
    return subprocess.run(["bash", "-c", command], capture_output=True, env=full, timeout=60)


def _line(tool: str, args: list[str], results: Path) -> str:
    return shlex.join([console_script(tool), "--results", str(results), *args])


def _normal_code(tool: str, args: list[str], results: Path) -> int:
    """The exit code of a plain run (cached: every stream test compares with it)."""
    return _plain_code(_line(tool, args, results))


@functools.cache
def _plain_code(line: str) -> int:
    return _sh(line).returncode


@pytest.mark.parametrize(("tool", "args"), [COMMANDS[0], COMMANDS[3], COMMANDS[4]])
@pytest.mark.parametrize("redirect", [">&-", "2>&-", ">&- 2>&- <&-"])
def test_closed_streams_keep_the_exit_code(
    tool: str, args: list[str], redirect: str, results: Path
) -> None:
    proc = _sh(f"{_line(tool, args, results)} {redirect}")
    assert proc.returncode == _normal_code(tool, args, results)
    assert b"Traceback" not in proc.stderr and b"Exception ignored" not in proc.stderr


@pytest.mark.parametrize(("tool", "args"), COMMANDS)
def test_output_to_a_full_disk_is_an_error_not_a_verdict(
    tool: str, args: list[str], results: Path
) -> None:
    proc = _sh(f"{_line(tool, args, results)} >/dev/full")
    assert proc.returncode == 3
    assert proc.stderr.startswith(f"{tool}: error: cannot write the output: ".encode())
    assert b"Traceback" not in proc.stderr and b"Exception ignored" not in proc.stderr


@pytest.mark.parametrize(("tool", "args"), COMMANDS)
def test_a_reader_that_stops_early_keeps_the_exit_code(
    tool: str, args: list[str], tmp_path: Path
) -> None:
    rows = "".join(
        f"{i:07x}\t{0.99 + (i % 7) * 1e-4:.6f}\t44.0\tkeep\tidea {i} ± x\n" for i in range(1, 1000)
    )
    big = tmp_path / "big.tsv"
    big.write_text(RESULTS + rows, encoding="utf-8")
    proc = _sh(f"{_line(tool, args, big)} | head -c 10 >/dev/null; exit ${{PIPESTATUS[0]}}")
    assert proc.returncode == _normal_code(tool, args, big)
    assert b"Traceback" not in proc.stderr and b"Exception ignored" not in proc.stderr


@pytest.mark.parametrize("tool", ["autojudge", "autosteer", "autoevolve"])
def test_reading_a_closed_stdin_is_an_input_error(tool: str) -> None:
    proc = _sh(f"{shlex.quote(console_script(tool))} --results - <&-")
    assert proc.returncode == 3
    assert b"standard input is closed" in proc.stderr and b"Traceback" not in proc.stderr
    proc = _sh(f"{shlex.quote(console_script(tool))} --results - --format json <&-")
    doc = json.loads(proc.stdout)
    assert proc.returncode == doc["exit_code"] == 3 and doc["errors"][0]["code"] == "input_error"


@pytest.mark.parametrize(("tool", "args"), [*COMMANDS, ("autojudge", ["-q"])])
@pytest.mark.parametrize("env", [{"PYTHONIOENCODING": "ascii"}, {"LC_ALL": "C"}])
def test_an_ascii_terminal_gets_ascii(
    tool: str, args: list[str], env: dict[str, str], results: Path
) -> None:
    proc = _sh(_line(tool, args, results), **env)
    assert proc.returncode == _normal_code(tool, args, results)
    assert proc.stdout.isascii() and proc.stderr.isascii(), proc.stdout
    assert b"Traceback" not in proc.stderr and proc.stdout


@pytest.mark.parametrize("tool", ["autojudge", "autosteer", "autoevolve"])
@pytest.mark.parametrize("env", [{"PYTHONIOENCODING": "ascii"}, {"LC_ALL": "C"}])
def test_json_on_an_ascii_terminal_keeps_the_data_exact(
    tool: str, env: dict[str, str], results: Path
) -> None:
    extra = {"autojudge": ["--all"], "autosteer": ["--seed", "1"], "autoevolve": []}[tool]
    args = ["--format", "json", *extra]
    proc = _sh(_line(tool, args, results), **env)
    assert proc.stdout.isascii()
    assert json.loads(proc.stdout) == json.loads(_sh(_line(tool, args, results)).stdout)


def test_a_closed_stdout_never_lands_in_an_appended_file(tmp_path: Path) -> None:
    """With fd 1 closed, the next file opened (or a git child's stdout) would get fd 1."""
    repo = Repo(tmp_path / "repo")
    repo.results([(repo.head(), "1.000000"), (repo.head(), "1.000500")])
    candidate = repo.commit("LR = 0.05\n", "LR 0.04 -> 0.05")
    repo.run_log("0.990000")
    before = (repo.path / "results.tsv").read_bytes()
    proc = subprocess.run(
        ["bash", "-c", f"{shlex.quote(console_script('autojudge'))} --run run.log --append >&-"],
        cwd=repo.path,
        env=repo.env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    after = (repo.path / "results.tsv").read_bytes()
    assert proc.returncode in (0, 2), proc.stderr
    assert after.startswith(before) and after[len(before) :].count(b"\n") == 1
    assert after.splitlines()[-1].startswith(candidate.encode())
