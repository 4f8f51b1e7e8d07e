"""Output plumbing: a colour-aware rich console factory and the versioned JSON envelope."""

from __future__ import annotations

import builtins
import contextlib
import dataclasses
import enum
import math
import os
import sys
from collections.abc import Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any

from autolab_shared.cli.safetext import json_safe, safe_line, safe_text, visible
from autolab_shared.cli.streams import unicode_capable
from autolab_shared.core.errors import OutputError
from autolab_shared.core.vocabulary import ErrorCode

if TYPE_CHECKING:
    from rich.console import Console

SCHEMA_VERSION = 1


def silence(stream: IO[str]) -> None:
    """Point a stream's file descriptor at /dev/null so later flushes cannot fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def write_out(text: str, stream: IO[str] | None = None) -> None:
    """Write a result to stdout (one trailing newline); a reader that went away is not an error.

    Every line is made terminal-safe first (``safetext.safe_text``): data cannot emit control
    sequences or start a line with ``::``.
    """
    safe = PipeSafeStream(stream if stream is not None else sys.stdout)
    text = safe_text(text)
    safe.write(text if text.endswith("\n") or not text else text + "\n")
    safe.flush()


_json_written = False
_json_requested = False


def write_json(document: Any, stream: IO[str] | None = None) -> None:
    """Write one JSON document (an envelope) to stdout and remember that one was written."""
    global _json_written
    _json_written = True
    target = stream if stream is not None else sys.stdout
    write_out(dumps(document, ascii_only=not unicode_capable(target)), stream)


def reset_json_written(requested: bool = False) -> None:
    """Forget earlier envelopes (each CLI run in one process starts afresh); ``requested``:
    this run's command line asks for --format json (read before click parses it)."""
    global _json_written, _json_requested
    _json_written, _json_requested = False, requested


def json_requested() -> bool:
    """Whether this run asked for --format json, for output made before the options are parsed
    (--help, --version)."""
    return _json_requested


def json_written() -> bool:
    """Whether this process already wrote its JSON envelope (errors then add none)."""
    return _json_written


def write_lines(lines: Sequence[str], stream: IO[str] | None = None) -> None:
    """Write lines to stdout, each made safe on its own (a newline inside one is escaped)."""
    write_out("".join(safe_line(line) + "\n" for line in lines), stream)


def warn_line(prog: str, message: str) -> None:
    """``prog: warning: message`` on stderr, terminal-safe (a message may quote data)."""
    with contextlib.suppress(OutputError):
        write_lines([f"{prog}: warning: {visible(message)}"], sys.stderr)


class PipeSafeStream:
    """A text stream wrapper that turns a closed pipe (``| head``) into silence."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self.broken = False

    def write(self, text: str) -> int:
        if not self.broken:
            try:
                self._stream.write(text)
            except BrokenPipeError:
                self._on_broken()
            except OSError as exc:
                self._failed(exc)
        return len(text)

    def flush(self) -> None:
        if not self.broken:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._on_broken()
            except OSError as exc:
                self._failed(exc)

    def _failed(self, exc: OSError) -> None:
        """Any other write error (a full disk): the output is lost, which is an error."""
        self._on_broken()
        raise OutputError(f"cannot write the output: {exc.strerror or exc}") from None

    def _on_broken(self) -> None:
        self.broken = True
        silence(self._stream)

    def isatty(self) -> bool:
        return self._stream.isatty()

    def fileno(self) -> int:
        return self._stream.fileno()

    @property
    def encoding(self) -> str:
        return getattr(self._stream, "encoding", None) or "utf-8"


def make_console(
    *, no_color: bool = False, stderr: bool = False, file: IO[str] | None = None
) -> Console:
    """A rich console on stdout (or stderr) that honours --no-color, NO_COLOR and FORCE_COLOR.

    Rich already turns colour off when the stream is not a terminal and reads NO_COLOR /
    FORCE_COLOR; ``no_color=True`` (the --no-color flag) removes every ANSI style. Writes to
    a closed pipe are swallowed so the exit code stays the answer.
    """
    from rich.console import Console

    raw = file if file is not None else (sys.stderr if stderr else sys.stdout)
    stream: Any = PipeSafeStream(raw)
    if no_color or os.environ.get("NO_COLOR"):
        return Console(file=stream, color_system=None, highlight=False, emoji=False, soft_wrap=True)
    return Console(file=stream, highlight=False, emoji=False, soft_wrap=True)


def to_jsonable(value: Any) -> Any:
    """Turn dataclasses, enums, tuples, paths and non-finite floats into strict-JSON values."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        to_dict = getattr(value, "to_dict", None)
        if callable(to_dict):
            return to_jsonable(to_dict())
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (Sequence, set, frozenset)) and not isinstance(value, (bytes, bytearray)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if hasattr(value, "item"):  # numpy scalars
        return to_jsonable(value.item())
    return str(value)


def dumps(value: Any, *, ascii_only: bool = False) -> str:
    """Strict JSON (NaN and infinities become null), sorted keys, two-space indent.

    Characters JSON would leave raw but a terminal obeys (DEL, C1, bidi overrides) are
    written as ``\\uXXXX`` escapes; the parsed data is unchanged. ``ascii_only`` escapes
    every non-ASCII character (for a stream that cannot encode them).
    """
    import json  # here: a text verdict never loads it

    text = json.dumps(
        to_jsonable(value), sort_keys=True, allow_nan=False, indent=2, ensure_ascii=ascii_only
    )
    return json_safe(text)


def envelope(
    *,
    tool: str,
    tool_version: str,
    command: str,
    exit_code: int,
    data: Any = None,
    warnings: Sequence[Any] = (),
    errors: Sequence[Any] = (),
) -> dict[str, Any]:
    """The JSON document every --format json output is wrapped in (schema_version 1)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": tool,
        "tool_version": tool_version,
        "command": command,
        "status": "error" if errors else "ok",
        "exit_code": int(exit_code),
        "data": data,
        "warnings": list(warnings),
        "errors": list(errors),
    }


def error_entry(
    code: ErrorCode, message: str, path: str | None = None, line: int | None = None
) -> dict[str, Any]:
    """One item of the envelope's ``errors`` list."""
    return {"code": code, "message": message, "path": path, "line": line}


def print_lines(lines: Sequence[str], *, no_color: bool = False, style: str | None = None) -> None:
    """Print text lines to stdout; the first in ``style`` (default bold) where styling is on.

    Where rich would style nothing (stdout is no terminal, no colour forced), the lines are
    written as rich writes them, without importing rich (a third of autosteer's start-up).
    Each line is made terminal-safe first (``safetext.safe_line``); markup is never read.
    """
    lines = [safe_line(line) for line in lines]
    if _unstyled(lines):
        try:
            write_out("".join(line.translate(_RICH_STRIPS) + "\n" for line in lines))
            return
        except UnicodeEncodeError:  # nothing was written: let rich fail in its own words
            pass
    console = make_console(no_color=no_color)
    for i, line in enumerate(lines):
        console.print(line, markup=False, style=(style or "bold") if i == 0 else None)


# Control characters rich's Text drops (rich.control.strip_control_codes): BEL BS VT FF CR.
_RICH_STRIPS = dict.fromkeys([7, 8, 11, 12, 13])


def _unstyled(lines: Sequence[str]) -> bool:
    """True where rich would print `lines` plainly: stdout is no terminal, no variable forces
    one, no notebook or IDLE shell, and no tab (rich expands tabs by display width)."""
    try:
        terminal = sys.stdout.isatty()
    except (AttributeError, ValueError):  # no stdout, or a closed one: rich decides
        return False
    if terminal or "FORCE_COLOR" in os.environ or "TTY_COMPATIBLE" in os.environ:
        return False
    if hasattr(builtins, "get_ipython") or "idlelib" in sys.modules:
        return False
    return not any("\t" in line for line in lines)
