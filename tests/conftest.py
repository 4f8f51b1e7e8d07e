"""Fixtures shared by the whole suite."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import REAL_RESULTS, REAL_RUNLOGS


@pytest.fixture(autouse=True)
def _plain_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see no colour settings from the calling environment and a fixed width."""
    for name in ("FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "CLICOLOR_FORCE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "120")


def _need(folder: Path) -> Path:
    if not folder.is_dir():
        pytest.skip(f"real data folder {folder} is absent (it lives in ../shared beside the repo)")
    return folder


@pytest.fixture
def real_results_dir() -> Path:
    """../shared/data/real, or skip with the reason."""
    return _need(REAL_RESULTS)


@pytest.fixture
def real_runlogs_dir() -> Path:
    """../shared/data/real-runlogs, or skip with the reason."""
    return _need(REAL_RUNLOGS)
