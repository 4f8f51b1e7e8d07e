"""Click command and group classes that map every outcome onto the shared exit codes.

Click would exit 2 on a usage error (which reads as "retest") and 1 on a broken pipe or an
unknown shell-completion instruction (which reads as "discard"); these classes make that impossible.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, MutableMapping, Sequence
from typing import Any, NoReturn

import click

from autolab_shared.cli.interrupt import release_interrupts
from autolab_shared.cli.options import version_of
from autolab_shared.cli.output import (
    envelope,
    error_entry,
    json_requested,
    json_written,
    reset_json_written,
    silence,
    write_json,
)
from autolab_shared.cli.safetext import safe_line, visible
from autolab_shared.cli.streams import prepare_streams
from autolab_shared.core.errors import AutolabError, InputError, UsageProblem
from autolab_shared.core.exitcodes import ExitCode, exit_code_table
from autolab_shared.core.vocabulary import ErrorCode

DEBUG_ENV = "AUTOLAB_DEBUG"


def epilog() -> str:
    """The exit-code table shown at the end of every --help."""
    return "\b\nExit codes:\n" + exit_code_table()


_reported: list[dict[str, Any]] = []  # this run's errors, for the JSON envelope


def fail_line(
    prog: str,
    message: str,
    code: ErrorCode = ErrorCode.ERROR,
    path: str | None = None,
    line: int | None = None,
) -> None:
    """``prog: error: message`` on stderr, terminal-safe; kept for the --format json envelope."""
    _reported.append(error_entry(code, message, path, line))
    with contextlib.suppress(BrokenPipeError, ValueError, OSError):
        sys.stderr.write(safe_line(f"{prog}: error: {visible(message)}") + "\n")
        sys.stderr.flush()


def json_wanted(args: Sequence[str]) -> bool:
    """Whether a command line asks for ``--format json`` (read before click parses it): the
    last ``--format`` before any ``--`` counts, as it does for click."""
    wanted = False
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg.startswith("--format="):
            wanted = arg.lower() == "--format=json"
        elif arg == "--format" and i + 1 < len(args):
            wanted = args[i + 1].lower() == "json"
    return wanted


def _command_name(command: click.Command, args: Sequence[str]) -> str:
    """What ran, for an error envelope: the subcommand named, else the tool's own command."""
    if isinstance(command, click.Group):
        named = [a for a in args if a in command.commands]
        if named:
            return named[0]
        return "summary" if any(a.startswith("--results") for a in args) else "run"
    if any(a == "--all" for a in args):
        return "audit"
    return (command.name or "autolab").removeprefix("auto")


def _error_envelope(prog: str, command: str, code: ExitCode) -> None:
    """The JSON envelope of a run that ended in an error, unless one was already written."""
    if json_written():
        return
    errors = _reported or [error_entry(ErrorCode.ERROR, f"exit {int(code)}")]
    doc = envelope(
        tool=prog, tool_version=version_of(prog), command=command, exit_code=code, errors=errors
    )
    write_json(doc)


def show_help(ctx: click.Context) -> None:
    """Print the help text, or with --format json an envelope holding it."""
    text = ctx.get_help()
    if json_requested():
        tool = ctx.find_root().info_name or "autolab"
        write_json(
            envelope(
                tool=tool,
                tool_version=version_of(tool),
                command="help",
                exit_code=ExitCode.OK,
                data={"help": text},
            )
        )
    else:
        click.echo(text, color=ctx.color)


def _help_callback(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        show_help(ctx)
        ctx.exit()


def refuse_blank(ctx: click.Context) -> None:
    """A usage error (exit 4) for an option given an empty or blank value: no silent default."""
    from click.core import ParameterSource

    given = (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT)
    for param in ctx.command.params:
        if not isinstance(param, click.Option) or param.name is None:
            continue
        if ctx.get_parameter_source(param.name) not in given:
            continue
        value = ctx.params.get(param.name)
        values = value if isinstance(value, tuple) else (value,)
        if any(isinstance(v, str) and not v.strip() for v in values):
            name = next((o for o in param.opts if o.startswith("--")), param.opts[0])
            raise click.UsageError(f"{name} needs a value; it was given an empty one", ctx)


class _ExitCodeMixin:
    """Shared main()/invoke()/parse_args() overrides for commands and groups."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        rest: list[str] = super().parse_args(ctx, args)  # type: ignore[misc]
        refuse_blank(ctx)
        return rest

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option: click.Option | None = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.callback = _help_callback
        return option

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)  # type: ignore[misc]
        except UsageProblem as exc:  # exit 4, like click's own usage errors
            raise click.UsageError(str(exc), ctx=ctx) from None
        except AutolabError as exc:
            code = ErrorCode.INPUT_ERROR if isinstance(exc, InputError) else ErrorCode.ERROR
            fail_line(
                ctx.find_root().info_name or "autolab",
                str(exc),
                code,
                getattr(exc, "path", None),
                getattr(exc, "line", None),
            )
            return ExitCode.INPUT_ERROR

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        prepare_streams()
        argv = list(sys.argv[1:] if args is None else args)
        reset_json_written(json_wanted(argv))
        _reported.clear()
        name = prog_name or getattr(self, "name", None) or "autolab"
        base_main: Callable[..., Any] = super().main  # type: ignore[misc]
        code = run_mapped(lambda: base_main(args, prog_name, complete_var, False, **extra), name)
        if code in _ERROR_CODES and json_wanted(argv):
            _error_envelope(name, _command_name(self, argv), code)  # type: ignore[arg-type]
        flush_stdout()
        if standalone_mode:
            sys.exit(int(code))
        return int(code)

    def _main_shell_completion(
        self, ctx_args: MutableMapping[str, Any], prog_name: str, complete_var: str | None = None
    ) -> None:
        """Click's shell completion (``_PROG_COMPLETE=bash_source``); misuse exits 4, never 1."""
        base: Callable[..., None] = super()._main_shell_completion  # type: ignore[misc]
        try:
            base(ctx_args, prog_name, complete_var)
        except SystemExit as exc:
            if exc.code in (0, None):
                flush_stdout()
                raise
            shells = "bash_source, zsh_source or fish_source"
            fail_line(
                prog_name,
                f"unknown shell completion instruction (use {shells})",
                ErrorCode.USAGE_ERROR,
            )
            raise SystemExit(int(ExitCode.USAGE_ERROR)) from None
        except KeyError as exc:  # bash_complete without COMP_WORDS / COMP_CWORD
            fail_line(
                prog_name,
                f"shell completion needs {exc.args[0]} in the environment",
                ErrorCode.USAGE_ERROR,
            )
            raise SystemExit(int(ExitCode.USAGE_ERROR)) from None


_ERROR_CODES = (ExitCode.INPUT_ERROR, ExitCode.USAGE_ERROR, ExitCode.INTERRUPTED)


def flush_stdout() -> None:
    """Flush stdout, swallowing a broken pipe."""
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        silence(sys.stdout)


def exit_now(code: int) -> NoReturn:
    """End the process with `code` once stdout and stderr are flushed, without the interpreter's
    teardown (no atexit handlers, no freeing of every object): only for a CLI whose command has
    returned, leaving no thread or file to finish."""
    flush_stdout()
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.flush()
    os._exit(code)


def run_mapped(call: Callable[[], Any], prog: str) -> ExitCode:
    """Run click's main and map its result or exception onto an ExitCode."""
    try:
        release_interrupts()  # a Ctrl-C while the modules loaded ends here, as any other
        rv = call()
    except click.UsageError as exc:
        hint = f" (try '{prog} --help')"
        fail_line(prog, exc.format_message() + hint, ErrorCode.USAGE_ERROR)
        return ExitCode.USAGE_ERROR
    except click.ClickException as exc:
        fail_line(prog, exc.format_message(), ErrorCode.INPUT_ERROR)
        return ExitCode.INPUT_ERROR
    except click.exceptions.Exit as exc:  # --help, --version
        return _as_exit_code(exc.exit_code)
    except click.Abort:
        fail_line(prog, "interrupted", ErrorCode.INTERRUPTED)
        return ExitCode.INTERRUPTED
    except KeyboardInterrupt:
        fail_line(prog, "interrupted", ErrorCode.INTERRUPTED)
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        silence(sys.stdout)
        return ExitCode.INPUT_ERROR
    except Exception as exc:  # a traceback must never read as a verdict
        if os.environ.get(DEBUG_ENV):
            raise
        fail_line(
            prog,
            f"internal error: {exc!r} (set {DEBUG_ENV}=1 for a traceback)",
            ErrorCode.INTERNAL_ERROR,
        )
        return ExitCode.INPUT_ERROR
    return _as_exit_code(rv)


def _as_exit_code(rv: Any) -> ExitCode:
    if rv is None:
        return ExitCode.OK
    try:
        return ExitCode(int(rv))
    except (TypeError, ValueError):
        return ExitCode.INPUT_ERROR


class AutolabCommand(_ExitCodeMixin, click.Command):
    """A click command whose callback returns an ExitCode."""


class AutolabGroup(_ExitCodeMixin, click.Group):
    """A click group whose subcommands return ExitCodes."""

    command_class = AutolabCommand


def die_usage(message: str) -> NoReturn:
    """Raise a usage error (exit 4) from inside a callback."""
    raise click.UsageError(message)
