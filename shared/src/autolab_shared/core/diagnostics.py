"""Per-line parse warnings, shared by every parser."""

from __future__ import annotations

from dataclasses import dataclass

from autolab_shared.core.eqrepr import EqRepr
from autolab_shared.core.vocabulary import WarningCode


@dataclass(eq=False, repr=False)
class ParseWarning(EqRepr):
    """One skipped or repaired input line: where it was, a stable code and a reason."""

    path: str
    line: int | None
    code: WarningCode
    reason: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.reason}"

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready mapping."""
        return {"path": self.path, "line": self.line, "code": self.code, "reason": self.reason}
