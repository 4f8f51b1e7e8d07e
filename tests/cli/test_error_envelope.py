"""--format json: every outcome, errors included, is one envelope on stdout (console scripts).

Also: an option given an empty value is a usage error (exit 4), never a silent default.
"""

from __future__ import annotations

import json
import platform
import signal
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from support import REPO_ROOT, console_script

ENVELOPE = json.loads((REPO_ROOT / "docs/schema/envelope.v1.json").read_text(encoding="utf-8"))
RESULTS = (
    "commit\tval_bpb\tmemory_gb\tstatus\tdescription\n"
    "a1b2c3d\t0.997900\t44.0\tkeep\tbaseline\n"
    "b2c3d4e\t0.993200\t44.2\tkeep\tincrease LR to 0.04\n"
)


def _run(tool: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [console_script(tool), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        cwd=cwd,
    )


def _envelope(proc: subprocess.CompletedProcess[str]) -> dict[str, object]:
    doc: dict[str, object] = json.loads(proc.stdout)  # the whole of stdout is one document
    jsonschema.validate(doc, ENVELOPE)
    assert doc["exit_code"] == proc.returncode and doc["schema_version"] == 1
    assert doc["status"] == "error" and doc["data"] is None
    return doc


USAGE_ERRORS = [
    ("autojudge", ["--bogus"]),
    ("autojudge", ["--policy", "bogus"]),
    ("autojudge", ["--window", "-1"]),
    ("autojudge", ["--all", "--run", "run.log"]),
    ("autojudge", ["--results"]),
    ("autosteer", ["--mode", "sideways"]),
    ("autosteer", ["--pending", "no-such-category"]),
    ("autoevolve", ["--rounds", "0"]),
    ("autoevolve", ["status", "--bogus"]),
    ("autoevolve", ["no-such-command"]),
]


@pytest.mark.parametrize(("tool", "args"), USAGE_ERRORS)
@pytest.mark.parametrize("spelling", [["--format", "json"], ["--format=JSON"]])
def test_usage_errors_print_an_envelope(tool: str, args: list[str], spelling: list[str]) -> None:
    proc = _run(tool, *spelling, *args)
    assert proc.returncode == 4, proc.stderr
    doc = _envelope(proc)
    assert [e["code"] for e in doc["errors"]] == ["usage_error"]  # type: ignore[attr-defined]
    assert proc.stderr.startswith(f"{tool}: error: ")  # and the line on stderr, as ever


@pytest.mark.parametrize("tool", ["autojudge", "autosteer", "autoevolve"])
def test_input_errors_print_one_envelope(tool: str, tmp_path: Path) -> None:
    path = tmp_path / "results.tsv"
    path.write_text(RESULTS, encoding="utf-8")
    proc = _run(tool, "--results", str(path), "--metric", "nosuch", "--format", "json")
    assert proc.returncode == 3
    doc = _envelope(proc)
    assert len(doc["errors"]) == 1  # type: ignore[arg-type]


def test_autoevolve_subcommand_errors_name_the_subcommand(tmp_path: Path) -> None:
    doc = _envelope(_run("autoevolve", "status", "--format", "json", cwd=tmp_path))
    assert doc["command"] == "status" and doc["exit_code"] == 3


def _wait_reading_stdin(pid: int, limit: float = 60.0) -> None:
    """Wait until the process blocks in read(0, ...) (Linux /proc), or a few seconds elsewhere."""
    read = {"x86_64": "0", "aarch64": "63"}.get(platform.machine())  # read()'s syscall number
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            call = Path(f"/proc/{pid}/syscall").read_text().split()
        except OSError:
            call = []
        if read is None:  # no /proc syscall numbers here: give it time to start
            time.sleep(3.0)
            return
        if not call:  # unreadable for a moment (the child is still exec'ing): look again
            time.sleep(0.05)
            continue
        if call[:2] == [read, "0x0"]:  # blocked in read() on fd 0
            time.sleep(0.2)
            return
        time.sleep(0.05)
    raise AssertionError("the tool never read its standard input")


def test_an_interrupt_prints_an_envelope(tmp_path: Path) -> None:
    """Ctrl-C while autojudge reads its standard input: exit 130 and the envelope. Up to three
    tries: under xdist at load the first has, rarely, ended in exit 3 (not reproduced alone, nor
    in hundreds of direct runs); each failed try's exit code, envelope, stderr and the child's
    signal masks are kept for the message, so a change that breaks it fails every try."""
    failures = []
    for _ in range(3):
        outcome = _interrupt_once()
        if outcome is None:
            return
        failures.append(outcome)
    raise AssertionError(failures)


def _interrupt_once() -> tuple[object, ...] | None:
    """None when one interrupt ends as it should, else what was seen."""
    with subprocess.Popen(
        [console_script("autojudge"), "--results", "-", "--format", "json"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        _wait_reading_stdin(proc.pid)
        masks = _signal_masks(proc.pid)  # an inherited ignored or blocked SIGINT would show here
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    try:
        doc = json.loads(out)
        jsonschema.validate(doc, ENVELOPE)
    except (ValueError, jsonschema.ValidationError) as exc:
        return (proc.returncode, repr(exc), out, err, masks)
    good = proc.returncode == doc["exit_code"] == 130 and doc["errors"][0]["code"] == "interrupted"
    return None if good and "Traceback" not in err else (proc.returncode, doc, err, masks)


def _signal_masks(pid: int) -> str:
    """The SigBlk/SigIgn/SigCgt lines of /proc/PID/status (empty where there is none)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return ""
    return " ".join(line for line in status if line.startswith(("SigBlk", "SigIgn", "SigCgt")))


HELD = """
import os, signal, sys
from autolab_shared.cli.interrupt import hold_interrupts
from {tool}.__main__ import main
hold_interrupts()
os.kill(os.getpid(), signal.SIGINT)  # a Ctrl-C while the CLI's modules load
sys.argv = {argv!r}
main()
"""


@pytest.mark.parametrize(
    ("tool", "argv"),
    [
        ("autojudge", ["autojudge", "--results", "-", "--format", "json"]),
        ("autosteer", ["autosteer", "--results", "-", "--format", "json"]),
        ("autoevolve", ["autoevolve", "status", "--format", "json"]),
    ],
)
def test_an_interrupt_while_loading_ends_as_one_during_a_run(
    tool: str, argv: list[str], tmp_path: Path
) -> None:
    """The console script holds a Ctrl-C until the command starts: exit 130 and the envelope,
    not a traceback from the import machinery."""
    code = HELD.format(tool=tool, argv=argv)
    proc = subprocess.run(
        [sys.executable, "-c", code], input="", capture_output=True, text=True, cwd=tmp_path
    )
    doc = json.loads(proc.stdout)
    jsonschema.validate(doc, ENVELOPE)
    assert proc.returncode == doc["exit_code"] == 130, proc.stderr
    assert doc["errors"][0]["code"] == "interrupted" and "Traceback" not in proc.stderr
    assert proc.stderr == f"{tool}: error: interrupted\n"


def test_a_shell_that_ignores_interrupts_keeps_them_ignored() -> None:
    """A background job's ignored SIGINT (``cmd &`` in a script) is not turned into a held one."""
    code = (
        "import os, signal\n"
        "from autolab_shared.cli.interrupt import hold_interrupts, release_interrupts\n"
        "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "hold_interrupts()\n"
        "os.kill(os.getpid(), signal.SIGINT)\n"
        "release_interrupts()\n"
        "print(signal.getsignal(signal.SIGINT) is signal.SIG_IGN)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert (proc.returncode, proc.stdout) == (0, "True\n"), proc.stderr


def test_an_internal_error_prints_an_envelope(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import autolab_shared.stats.judge
    from autojudge.cli import cli

    def broken(*_args: object, **_kw: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(autolab_shared.stats.judge, "judge", broken)
    path = tmp_path / "results.tsv"
    path.write_text(RESULTS, encoding="utf-8")
    result = CliRunner().invoke(cli, ["--results", str(path), "--format", "json"])
    doc = json.loads(result.stdout)
    jsonschema.validate(doc, ENVELOPE)
    assert result.exit_code == doc["exit_code"] == 3
    assert doc["errors"][0]["code"] == "internal_error" and "a bug" in doc["errors"][0]["message"]


def test_success_prints_exactly_one_envelope(tmp_path: Path) -> None:
    path = tmp_path / "results.tsv"
    path.write_text(RESULTS, encoding="utf-8")
    proc = _run("autojudge", "--results", str(path), "--format", "json")
    doc = json.loads(proc.stdout)
    assert doc["status"] == "ok" and doc["exit_code"] == proc.returncode


EMPTY = [
    ("autojudge", "--commit"),
    ("autojudge", "--description"),
    ("autojudge", "--metric"),
    ("autojudge", "--results"),
    ("autojudge", "--run"),
    ("autojudge", "--html"),
    ("autosteer", "--pending"),
    ("autosteer", "--taxonomy"),
    ("autosteer", "--results"),
    ("autoevolve", "--tag"),
    ("autoevolve", "--train-cmd"),
    ("autoevolve", "--agent"),
    ("autoevolve", "--gpus"),
    ("autoevolve", "--base"),
    ("autoevolve", "--strategies"),
]


@pytest.mark.parametrize(("tool", "option"), EMPTY)
def test_an_empty_option_value_is_a_usage_error(tool: str, option: str, tmp_path: Path) -> None:
    path = tmp_path / "results.tsv"
    path.write_text(RESULTS, encoding="utf-8")
    args = [] if option == "--results" else ["--results", str(path)]
    if tool == "autoevolve" and option != "--results":
        args = ["--strategies", "random"]
    proc = _run(tool, *args, option, "", cwd=tmp_path)
    assert proc.returncode == 4, proc.stderr
    assert f"{option} needs a value; it was given an empty one" in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.tsv"]  # nothing written
    assert path.read_text(encoding="utf-8") == RESULTS


@pytest.mark.parametrize("tool", ["autojudge", "autosteer", "autoevolve"])
@pytest.mark.parametrize("what", ["--help", "--version"])
def test_help_and_version_are_envelopes_too(tool: str, what: str) -> None:
    proc = _run(tool, "--format", "json", what)
    doc = json.loads(proc.stdout)
    jsonschema.validate(doc, ENVELOPE)
    assert proc.returncode == doc["exit_code"] == 0 and doc["status"] == "ok"
    if what == "--help":
        assert doc["command"] == "help" and "Exit codes:" in doc["data"]["help"]
    else:
        assert doc["command"] == "version" and doc["data"]["version"] == doc["tool_version"]
    assert _run(tool, what).stdout.lstrip()[:1] != "{"  # text without --format json
