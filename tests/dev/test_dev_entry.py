"""The top-level entry point `dev.py`: its own --help, usage errors, and the real cause of a
failed set-up (not a guess about uv.lock)."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from support import load_script

ROOT = Path(__file__).resolve().parents[2]


def dev(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "dev.py"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def load_dev() -> ModuleType:
    return load_script(ROOT / "dev.py", "autolab_dev")


def test_help_lists_the_commands() -> None:
    proc = dev("--help")
    assert proc.returncode == 0
    for command in ("example", "test", "wheels"):
        assert command in proc.stdout


@pytest.mark.parametrize(
    "args", [[], ["example", "--results", "x.tsv"], ["nonsense"], ["example", "--", "-k", "x"]]
)
def test_unknown_arguments_are_usage_errors(args: list[str]) -> None:
    proc = dev(*args)
    assert proc.returncode == 4, proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_failed_sync_prints_what_uv_said(tmp_path: Path) -> None:
    fake = tmp_path / "uv"
    fake.write_text(
        "#!/bin/sh\necho 'error: invalid peer certificate: UnknownIssuer' >&2\nexit 2\n"
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    module = load_dev()
    with pytest.raises(module.BootstrapError) as caught:
        module.sync([str(fake)])
    message = str(caught.value)
    assert "invalid peer certificate" in message
    assert "uv sync failed (exit 2)" in message
    assert "uv.lock is stale" not in message  # a network problem is not a stale lock


def test_a_stale_lock_is_named_as_such(tmp_path: Path) -> None:
    fake = tmp_path / "uv"
    said = "error: The lockfile at `uv.lock` needs to be updated, but `--locked` was provided."
    fake.write_text(f"#!/bin/sh\necho '{said}' >&2\nexit 2\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    module = load_dev()
    with pytest.raises(module.BootstrapError, match=r"uv\.lock is stale: run .*uv lock"):
        module.sync([str(fake)])
