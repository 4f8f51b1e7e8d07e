"""One row of a results file as read: :class:`Experiment` (the parser's output, row by row)."""

from __future__ import annotations

from dataclasses import dataclass

from autolab_shared.core.vocabulary import Status
from autolab_shared.parsing.columns import normalise_name
from autolab_shared.parsing.commits import is_commit_hash
from autolab_shared.parsing.status import CRASH


@dataclass(frozen=True, init=False)
class Experiment:
    """One row of a results file, with the metric read and the status normalised."""

    index: int
    line: int
    end_line: int
    commit: str
    value: float | None
    memory_gb: float | None
    status: Status
    raw_status: str
    description: str
    extra: tuple[tuple[str, str], ...]

    def __init__(
        self,
        index: int,
        line: int,
        end_line: int,
        commit: str,
        value: float | None,
        memory_gb: float | None,
        status: Status,
        raw_status: str,
        description: str,
        extra: tuple[tuple[str, str], ...],
    ) -> None:
        """The dataclass's own __init__ (none is generated), three times faster: the fields go
        straight into the instance dict instead of one frozen setattr each (10^5 rows)."""
        fields = self.__dict__
        fields["index"], fields["line"], fields["end_line"] = index, line, end_line
        fields["commit"], fields["value"], fields["memory_gb"] = commit, value, memory_gb
        fields["status"], fields["raw_status"] = status, raw_status
        fields["description"], fields["extra"] = description, extra

    @property
    def is_hash(self) -> bool:
        """True when the commit cell is a git hash (and not a label such as ``baseline``)."""
        return is_commit_hash(self.commit)

    @property
    def is_crash(self) -> bool:
        """True for crash rows (which never carry a value)."""
        return self.status == CRASH

    def get(self, name: str) -> str | None:
        """The raw cell of another column by its (normalised) name, or None."""
        key = normalise_name(name)
        return next((value for column, value in self.extra if column == key), None)
