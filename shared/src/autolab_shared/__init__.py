"""Parsing, statistics and CLI plumbing shared by autojudge, autosteer and autoevolve."""

from __future__ import annotations

__version__ = "0.1.0"
