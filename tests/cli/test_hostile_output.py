"""Data that tries to drive a terminal or a CI log, through the installed console scripts.

Descriptions, commits and column names carrying escape sequences, bare CRs, C1 controls,
bidi overrides, rich markup and GitHub workflow commands must come out visible and inert.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from support import console_script

from autolab_shared.cli.safetext import is_safe, safe_line, visible

HOSTILE = [
    "\x1b]0;pwned\x07retitled",
    "lr up\x1b[2K\rSTRONG_KEEP",
    "\x1b[31mred\x1b[0m and \x9b31m C1 CSI",
    "bidi \u202eKEEP_GNORTS\u202c and \u2066isolate\u2069",
    "[red]markup[/] [link=http://x]link[/link] [bold]",
    "backspace\x08\x08\x08 and bell\x07 and DEL\x7f",
]
RESULTS = (
    "commit\tval_bpb\tmemory_gb\tstatus\tdescription\t\x1b[31mnote\n"
    "a1b2c3d\t0.997900\t44.0\tkeep\tbaseline\tx\n"
    + "".join(
        f"b{i}c3d4e\t{0.9930 - i * 0.001:.6f}\t44.0\tkeep\t{d}\t[red]n[/]\n"
        for i, d in enumerate(HOSTILE)
    )
    + "::error title=pwned::folded continuation line\n"
    "c3d4e5f\t1.005000\t44.0\tdiscard\t::add-mask::secret ```\n"
)
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    path = tmp_path / "results.tsv"
    path.write_bytes(RESULTS.encode("utf-8"))
    return path


def _run(
    tool: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [console_script(tool), *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
        timeout=60,
        env=env,
    )


def _assert_inert(text: str) -> None:
    assert not RAW.search(text), RAW.findall(text)
    assert not any(line.lstrip().startswith("::") for line in text.splitlines())
    assert is_safe(text)


TEXT_COMMANDS = [
    ("autojudge", []),
    ("autojudge", ["--all"]),
    ("autojudge", ["-q"]),
    ("autosteer", []),
    ("autosteer", ["--format", "prompt"]),
    ("autosteer", ["-q"]),
    ("autoevolve", []),
]


@pytest.mark.parametrize(("tool", "extra"), TEXT_COMMANDS)
def test_text_output_shows_controls_as_escapes(tool: str, extra: list[str], hostile: Path) -> None:
    proc = _run(tool, "--results", str(hostile), *extra)
    assert proc.returncode in (0, 1, 2), proc.stderr
    _assert_inert(proc.stdout)
    _assert_inert(proc.stderr)
    assert "Traceback" not in proc.stderr


def test_the_audit_names_every_hostile_description_visibly(hostile: Path) -> None:
    out = _run("autojudge", "--results", str(hostile), "--all").stdout
    proc = _run("autojudge", "--results", str(hostile), "--all", "--format", "json")
    doc = json.loads(proc.stdout)
    for row in doc["data"]["experiments"]:
        assert visible(row["description"]) in out  # shown, escaped, never interpreted
    assert "\\x1b]0;pwned\\x07" in out and "\\u202e" in out
    assert "[red]markup[/] [link=http://x]link[/link]" in out  # markup printed as text


def test_rich_path_never_interprets_markup_or_controls(hostile: Path) -> None:
    env = {"FORCE_COLOR": "1", "PATH": "/usr/bin:/bin"}
    out = _run("autojudge", "--results", str(hostile), "--all", env=env).stdout
    assert "\x1b[1m" in out or "\x1b[" in out  # rich styled the verdicts itself
    plain = re.sub(r"\x1b\[[0-9;]*m", "", out)  # rich's own SGR codes only
    _assert_inert(plain)
    assert "[red]markup[/]" in plain and "\\x1b]0;pwned" in plain


@pytest.mark.parametrize("tool", ["autojudge", "autosteer", "autoevolve"])
def test_json_keeps_the_data_exact_and_the_bytes_inert(tool: str, hostile: Path) -> None:
    args = ["--all"] if tool == "autojudge" else []
    proc = _run(tool, "--results", str(hostile), "--format", "json", *args)
    _assert_inert(proc.stdout)
    doc = json.loads(proc.stdout)
    assert doc["exit_code"] == proc.returncode
    if tool == "autojudge":
        descriptions = [e["description"] for e in doc["data"]["experiments"]]
        assert HOSTILE[0] in descriptions and HOSTILE[3] in descriptions  # exact data


def test_a_folded_workflow_command_never_starts_a_line(hostile: Path) -> None:
    for args in (["--all"], ["-q"], []):
        out = _run("autojudge", "--results", str(hostile), *args).stdout
        assert not re.search(r"^\s*::", out, re.MULTILINE)


def test_error_lines_on_stderr_are_inert(tmp_path: Path) -> None:
    name = tmp_path / "bad\x1b]0;x\x07\u202ename.tsv"
    proc = _run("autojudge", "--results", str(name))
    assert proc.returncode == 3
    _assert_inert(proc.stderr)
    assert "\\x1b]0;x\\x07\\u202e" in proc.stderr
    proc = _run("autosteer", "--results", str(tmp_path), "--metric", "x\n::error::pwned")
    _assert_inert(proc.stderr)


def test_safe_line_is_idempotent_and_keeps_plain_text() -> None:
    for text in [*HOSTILE, "plain ±0.0010 → 中文", "  ::warning::x", "a\tb"]:
        once = safe_line(text)
        assert safe_line(once) == once and is_safe(once)
    assert safe_line("plain ±0.0010 → 中文\tb") == "plain ±0.0010 → 中文\tb"
    assert safe_line("  ::warning::x") == "  \\x3a:warning::x"


def test_autoevolve_live_table_and_events_escape_data() -> None:
    import io

    from rich.console import Console

    from autoevolve.display import LineReporter, agent_table, event_text

    console = Console(file=io.StringIO(), force_terminal=True, color_system=None, width=200)
    table = agent_table(None)
    table.add_row(*(event_text(d) for d in HOSTILE[:2]))
    console.print(table)
    for d in HOSTILE:
        console.print(event_text(d))
    out = console.file.getvalue()  # type: ignore[attr-defined]
    _assert_inert(out)
    assert "[red]markup[/] [link=http://x]link[/link]" in out  # not interpreted as markup
    stream = io.StringIO()
    reporter = LineReporter(stream)
    for d in [*HOSTILE, "::error::x", "agent said\n::add-mask::y"]:
        reporter.event(d)
    _assert_inert(stream.getvalue())
    assert len(stream.getvalue().splitlines()) == len(HOSTILE) + 2


def test_warning_lines_on_stderr_are_inert(capsys) -> None:  # type: ignore[no-untyped-def]
    from autolab_shared.cli.output import warn_line

    warn_line("autojudge", "torn line 'x\x1b]0;t\x07\n::error::y' kept")
    err = capsys.readouterr().err
    assert err == "autojudge: warning: torn line 'x\\x1b]0;t\\x07\\x0a::error::y' kept\n"
