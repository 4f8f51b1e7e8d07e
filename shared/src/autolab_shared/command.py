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

from .errors import AutolabError, InputError
from .exitcodes import ExitCode, exit_code_table
from .options import version_of
from .output import dumps, envelope, error_entry, silence, write_out

DEBUG_ENV = "AUTOLAB_DEBUG"


def epilog() -> str:
    """The exit-code table shown at the end of every --help."""
    return "\b\nExit codes:\n" + exit_code_table()


def fail_line(prog: str, message: str) -> None:
    """One line on stderr: ``prog: error: message``."""
    with contextlib.suppress(BrokenPipeError):
        click.echo(f"{prog}: error: {message}", err=True)


def _json_requested(ctx: click.Context) -> bool:
    return ctx.params.get("output_format") == "json"


def _error_envelope(ctx: click.Context, exc: AutolabError) -> None:
    """With --format json, errors are also reported as a JSON envelope on stdout."""
    tool = ctx.find_root().info_name or "autolab"
    path = getattr(exc, "path", None)
    line = getattr(exc, "line", None)
    message = getattr(exc, "message", str(exc))
    code = "input_error" if isinstance(exc, InputError) else "error"
    doc = envelope(
        tool=tool,
        tool_version=version_of(tool),
        command=ctx.info_name or tool,
        exit_code=ExitCode.INPUT_ERROR,
        errors=[error_entry(code, message, path, line)],
    )
    write_out(dumps(doc))


class _ExitCodeMixin:
    """Shared main()/invoke() overrides for commands and groups."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)  # type: ignore[misc]
        except AutolabError as exc:
            fail_line(ctx.find_root().info_name or "autolab", str(exc))
            if _json_requested(ctx):
                _error_envelope(ctx, exc)
            return ExitCode.INPUT_ERROR

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        name = prog_name or getattr(self, "name", None) or "autolab"
        base_main: Callable[..., Any] = super().main  # type: ignore[misc]
        code = run_mapped(lambda: base_main(args, prog_name, complete_var, False, **extra), name)
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
            fail_line(prog_name, f"unknown shell completion instruction (use {shells})")
            raise SystemExit(int(ExitCode.USAGE_ERROR)) from None
        except KeyError as exc:  # bash_complete without COMP_WORDS / COMP_CWORD
            fail_line(prog_name, f"shell completion needs {exc.args[0]} in the environment")
            raise SystemExit(int(ExitCode.USAGE_ERROR)) from None


def flush_stdout() -> None:
    """Flush stdout, swallowing a broken pipe."""
    try:
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):
        silence(sys.stdout)


def run_mapped(call: Callable[[], Any], prog: str) -> ExitCode:
    """Run click's main and map its result or exception onto an ExitCode."""
    try:
        rv = call()
    except click.UsageError as exc:
        hint = f" (try '{prog} --help')"
        fail_line(prog, exc.format_message() + hint)
        return ExitCode.USAGE_ERROR
    except click.ClickException as exc:
        fail_line(prog, exc.format_message())
        return ExitCode.INPUT_ERROR
    except click.exceptions.Exit as exc:  # --help, --version
        return _as_exit_code(exc.exit_code)
    except click.Abort:
        fail_line(prog, "interrupted")
        return ExitCode.INTERRUPTED
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        silence(sys.stdout)
        return ExitCode.INPUT_ERROR
    except Exception as exc:  # a traceback must never read as a verdict
        if os.environ.get(DEBUG_ENV):
            raise
        fail_line(prog, f"internal error: {exc!r} (set {DEBUG_ENV}=1 for a traceback)")
        return ExitCode.INPUT_ERROR
    return _as_exit_code(rv)


def _as_exit_code(rv: Any) -> ExitCode:
    if rv is None:
        return ExitCode.KEEP
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
