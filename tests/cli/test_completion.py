"""Shell completion through the installed console scripts (click's _PROG_COMPLETE mechanism)."""

from __future__ import annotations

import os
import subprocess

import pytest
from support import TOOLS, console_script

SOURCES = {
    "bash_source": "complete -o nosort -F",
    "zsh_source": "#compdef",
    "fish_source": "complete",
}


def _complete(tool: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **env}
    return subprocess.run(
        [console_script(tool)], env=full, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize("tool", TOOLS)
@pytest.mark.parametrize("instruction", sorted(SOURCES))
def test_each_tool_prints_its_completion_script(tool: str, instruction: str) -> None:
    var = f"_{tool.upper()}_COMPLETE"
    proc = _complete(tool, **{var: instruction})
    assert proc.returncode == 0, proc.stderr
    assert SOURCES[instruction] in proc.stdout
    assert f"{var}=" in proc.stdout  # the script calls the tool back with the same variable
    assert proc.stderr == ""


@pytest.mark.parametrize("tool", TOOLS)
def test_bash_completes_options(tool: str) -> None:
    proc = _complete(
        tool,
        COMP_WORDS=f"{tool} --vers",
        COMP_CWORD="1",
        **{f"_{tool.upper()}_COMPLETE": "bash_complete"},
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["plain,--version"]


def test_bash_completes_autojudge_format_option() -> None:
    proc = _complete(
        "autojudge",
        COMP_WORDS="autojudge --fo",
        COMP_CWORD="1",
        _AUTOJUDGE_COMPLETE="bash_complete",
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["plain,--format"]


def test_bash_completes_choice_values() -> None:
    proc = _complete(
        "autojudge",
        COMP_WORDS="autojudge --policy ",
        COMP_CWORD="2",
        _AUTOJUDGE_COMPLETE="bash_complete",
    )
    assert proc.stdout.splitlines() == ["plain,optimize", "plain,strict"]


def test_unknown_shell_is_a_usage_error_not_a_discard() -> None:
    proc = _complete("autojudge", _AUTOJUDGE_COMPLETE="tcsh_source")
    assert (proc.returncode, proc.stdout) == (4, "")
    assert proc.stderr.startswith("autojudge: error: unknown shell completion instruction")
