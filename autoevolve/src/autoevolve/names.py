"""Validation of the names autoevolve puts into git refs and paths."""

from __future__ import annotations

import datetime as _dt
import re

from autolab_shared.core.errors import UsageProblem

__all__ = ["UsageProblem", "check_name"]

NAME_RE = re.compile(r"^[A-Za-z0-9._-]+$")
SHA_RE = re.compile(r"^[0-9a-f]{7,64}$")


def check_name(value: str, what: str) -> str:
    """``value`` if it is safe in a ref name and a path, else UsageProblem."""
    if not NAME_RE.match(value) or value.startswith("-") or ".." in value or value.endswith("."):
        raise UsageProblem(f"invalid {what} {value!r}: use letters, digits, '.', '_' and '-'")
    if value.endswith(".lock"):
        raise UsageProblem(f"invalid {what} {value!r}: must not end in '.lock'")
    return value


def check_sha(value: str) -> str:
    """``value`` if it looks like a full or abbreviated hex commit id."""
    if not SHA_RE.match(value):
        raise ValueError(f"not a commit id: {value!r}")
    return value


def default_tag(today: _dt.date | None = None) -> str:
    """Today's date as autoresearch tags runs: ``nov26``."""
    day = today or _dt.date.today()
    return day.strftime("%b").lower() + str(day.day)
