"""Fixtures shared by the whole suite."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
REAL_RESULTS = SHARED_DATA / "real"
REAL_RUNLOGS = SHARED_DATA / "real-runlogs"


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


def real_files(folder: Path) -> list[Path]:
    """Every file in a real-data folder, sorted; empty when the folder is absent."""
    return sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []
