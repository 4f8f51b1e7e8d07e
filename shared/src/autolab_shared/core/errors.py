"""Typed errors raised by the library and the CLIs' own modules; ``cli.command`` maps them for
all three CLIs: UsageProblem to exit 4, every other AutolabError to exit 3."""

from __future__ import annotations


class AutolabError(Exception):
    """Base class of every error the library raises on purpose."""


class UsageProblem(AutolabError):
    """The command line asks for something that cannot be done (a bad option value): exit 4."""


class InputError(AutolabError):
    """An input file is missing, unreadable or unusable; names the file and line."""

    def __init__(self, path: str, message: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        self.message = message
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {message}")


class OutputError(AutolabError):
    """Standard output cannot be written (a full disk, an I/O error): the result is lost."""
