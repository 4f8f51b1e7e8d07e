"""The one exit-code table used by autojudge, autosteer and autoevolve."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes: 0-2 are answers, 3 and up are trouble."""

    KEEP = 0
    OK = 0  # alias of 0 for commands that give no verdict (help, status, export, ...)
    DISCARD = 1
    RETEST = 2
    INPUT_ERROR = 3
    USAGE_ERROR = 4
    INTERRUPTED = 130


MEANINGS: dict[ExitCode, str] = {
    ExitCode.KEEP: "keep (P(better) >= 0.5; autosteer: progressing; autoevolve: champion won);"
    " success of a command without a verdict (help, status, export)",
    ExitCode.DISCARD: "discard (or crash; autosteer: stuck; autoevolve: no improvement)",
    ExitCode.RETEST: "retest (within noise, not enough signal: re-run before deciding)",
    ExitCode.INPUT_ERROR: "input or internal error (missing/unusable file, bug)",
    ExitCode.USAGE_ERROR: "usage error (unknown flag, bad option value)",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C; autoevolve: stopped, resume continues it)",
}


def exit_code_table() -> str:
    """The table printed in every CLI's help epilog and in the README."""
    return "\n".join(f"  {int(code):>3}  {MEANINGS[code]}" for code in ExitCode)
