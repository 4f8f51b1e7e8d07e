"""The exit-code mapping of the shared click command class, on throwaway commands."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from autolab_shared.cli.command import AutolabCommand, AutolabGroup
from autolab_shared.cli.options import format_option
from autolab_shared.core.errors import InputError
from autolab_shared.core.exitcodes import ExitCode


def _command(action: str) -> click.Command:
    @click.command("probe", cls=AutolabCommand)
    @format_option()
    def probe(output_format: str) -> ExitCode:
        if action == "input":
            raise InputError("x.tsv", "bad row", line=7)
        if action == "bug":
            raise RuntimeError("boom")
        if action == "abort":
            raise click.Abort
        if action == "click":
            raise click.ClickException("nope")
        return ExitCode[action.upper()]

    return probe


@pytest.mark.parametrize(
    ("action", "code"),
    [
        ("keep", 0),
        ("discard", 1),
        ("retest", 2),
        ("input", 3),
        ("bug", 3),
        ("click", 3),
        ("abort", 130),
    ],
)
def test_outcomes_map_onto_exit_codes(action: str, code: int) -> None:
    result = CliRunner().invoke(_command(action), [])
    assert result.exit_code == code
    if code == 3:
        assert len(result.stderr.strip().splitlines()) == 1
        assert "Traceback" not in result.stderr


def test_input_error_names_file_and_line() -> None:
    result = CliRunner().invoke(_command("input"), [])
    assert "x.tsv:7: bad row" in result.stderr


def test_debug_env_reraises_internal_errors() -> None:
    result = CliRunner().invoke(_command("bug"), [], env={"AUTOLAB_DEBUG": "1"})
    assert isinstance(result.exception, RuntimeError)


def test_group_subcommand_codes_pass_through() -> None:
    @click.group("g", cls=AutolabGroup)
    def group() -> None:
        pass

    @group.command("sub")
    def sub() -> ExitCode:
        return ExitCode.RETEST

    assert CliRunner().invoke(group, ["sub"]).exit_code == 2
    assert CliRunner().invoke(group, ["nosuch"]).exit_code == 4


def test_non_standalone_main_returns_the_code() -> None:
    assert _command("discard").main([], standalone_mode=False) == 1


@pytest.mark.parametrize(
    ("env", "code", "stdout"),
    [
        ({"_PROBE_COMPLETE": "bash_source"}, 0, "_probe_completion()"),
        (
            {"_PROBE_COMPLETE": "bash_complete", "COMP_WORDS": "probe --fo", "COMP_CWORD": "1"},
            0,
            "plain,--format",
        ),
        ({"_PROBE_COMPLETE": "tcsh_source"}, 4, ""),
        ({"_PROBE_COMPLETE": "bash_complete"}, 4, ""),
    ],
)
def test_shell_completion_exits_0_or_4_never_1(env: dict[str, str], code: int, stdout: str) -> None:
    result = CliRunner().invoke(_command("keep"), [], env=env, prog_name="probe")
    assert result.exit_code == code
    assert stdout in result.stdout
    if code == 4:
        assert result.stdout == ""
        assert result.stderr.startswith("probe: error: ")
        assert len(result.stderr.splitlines()) == 1
