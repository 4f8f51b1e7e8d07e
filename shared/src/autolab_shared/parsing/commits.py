"""Commit cells: tell a git hash from a label such as ``baseline``, ``HEAD`` or ``n/a``."""

from __future__ import annotations

import re

COMMIT_HASH = re.compile(r"[0-9a-fA-F]{7,40}(?:-dirty)?")
"""A git hash: 7–40 hex digits with an optional ``-dirty`` suffix (see :func:`is_commit_hash`)."""


def is_commit_hash(value: str) -> bool:
    """True for 7–40 hex digits with an optional ``-dirty`` suffix, and nothing else.

    Anything else (``baseline``, ``none``, ``HEAD``, ``$(git rev-parse ...)``, ``--output=x``,
    surrounding spaces) is a label; callers must never hand such a value to git.
    """
    return COMMIT_HASH.fullmatch(value) is not None
