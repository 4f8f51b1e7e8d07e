"""An agent whose commit subject carries escape sequences, bidi overrides and rich markup:
autoevolve's event lines (piped) and live table (on a terminal) show it escaped and inert."""

from __future__ import annotations

import json
import os
import pty
import re
import shlex
import subprocess
from pathlib import Path

from evolve_cmd import evolve_args, run_evolve
from evolve_rig import make_repo, rig_env, write_agent
from support import console_script

SUBJECT = "lr up \x1b]0;pwned\x07 \x1b[2K\r[red]markup[/] [link=http://x]l[/link] \u202eevil"
AGENT = f"""\
import subprocess
open("train.py", "a").write("# tried\\n")
subprocess.run(["git", "commit", "-qam", {SUBJECT!r}], check=True)
"""
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _options(tmp_path: Path, tag: str) -> list[str]:
    agent = write_agent(tmp_path, "hostile-agent", AGENT)
    return evolve_args(
        tag,
        "--validate",
        "0",
        strategies=("conservative",),
        experiments=1,
        agent=f"{agent} {{prompt_file}}",
    )


def test_event_lines_show_the_agent_commit_escaped(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    proc = run_evolve(repo, *_options(tmp_path, "h1"), env=rig_env(tmp_path))
    assert proc.returncode in (0, 1, 2), proc.stderr
    assert not RAW.search(proc.stdout + proc.stderr), RAW.findall(proc.stdout)
    assert "\\x1b]0;pwned\\x07 \\x1b[2K\\x0" in proc.stdout  # the CR reads as a line end
    assert "[red]markup[/] [link=http://x]l[/link] \\u202eevil" in proc.stdout


def test_the_live_table_never_interprets_data(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    env = {**os.environ, **rig_env(tmp_path), "COLUMNS": "250", "LINES": "60", "TERM": "xterm"}
    env.pop("NO_COLOR", None)
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [console_script("autoevolve"), *_options(tmp_path, "h2")],
        cwd=repo,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    assert proc.wait(timeout=240) in (0, 1, 2)
    os.close(master)
    out = b"".join(chunks).decode("utf-8", "replace")
    assert "\x1b[" in out  # rich drew the live table on the terminal
    assert "\x1b]0;pwned" not in out and "\x07" not in out and "\u202e" not in out
    assert "\\x1b]0;pwned\\x07" in out and "[red]markup[/]" in out  # shown as text


def test_a_reader_that_leaves_early_neither_stops_the_run_nor_changes_its_code(
    tmp_path: Path,
) -> None:
    repo = make_repo(tmp_path)
    line = shlex.join([console_script("autoevolve"), *_options(tmp_path, "h3")])
    proc = subprocess.run(
        ["bash", "-c", f"{line} | head -c 1 >/dev/null; exit ${{PIPESTATUS[0]}}"],
        cwd=repo,
        env={**os.environ, **rig_env(tmp_path)},
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert proc.returncode in (0, 1, 2) and "Traceback" not in proc.stderr, proc.stderr
    status = run_evolve(repo, "status", "--format", "json", timeout=60)
    doc = json.loads(status.stdout)
    assert doc["data"]["phase"] == "done" and doc["data"]["exit_code"] == proc.returncode
