"""Paths and helpers the tests import (``pythonpath = ["tests"]`` in pyproject.toml)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
REAL_RESULTS = SHARED_DATA / "real"
REAL_RUNLOGS = SHARED_DATA / "real-runlogs"
EXAMPLES = REPO_ROOT / "examples"
TOOLS = ("autojudge", "autosteer", "autoevolve")


def real_files(folder: Path) -> list[Path]:
    """Every file in a real-data folder, sorted; empty when the folder is absent."""
    return sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []


def real_params(folder: Path) -> list[Any]:
    """One pytest parameter per real file, or one skipped parameter saying the folder is absent."""
    import pytest

    files = real_files(folder)
    if files:
        return [pytest.param(p, id=p.name[:70]) for p in files]
    reason = f"real data folder {folder} is absent (it lives in ../shared beside the repo)"
    return [pytest.param(None, id="absent", marks=pytest.mark.skip(reason=reason))]


def console_script(tool: str) -> str:
    """The installed console script of a tool, beside the running interpreter."""
    bindir = Path(sys.executable).parent
    candidate = bindir / (tool + (".exe" if os.name == "nt" else ""))
    if candidate.exists():
        return str(candidate)
    found = shutil.which(tool)
    if found is None:
        raise FileNotFoundError(f"console script {tool} is not installed")
    return found


def load_script(path: Path, name: str | None = None) -> ModuleType:
    """A script of the repository (dev.py, benchmarks/*.py) imported by its path."""
    spec = importlib.util.spec_from_file_location(name or path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
