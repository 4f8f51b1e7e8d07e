"""The HTML report rendered by a real headless Chromium: screenshot, DOM and console."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from support import EXAMPLES

from autojudge.cli import cli

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--enable-logging=stderr", "--v=0",
]  # fmt: skip
CONSOLE_TROUBLE = ("Uncaught", ":CONSOLE", "CONSOLE(", "Failed to load resource", "net::ERR_")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (CI installs it)"),
]


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / "profile"
    cmd = [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def _report(tmp_path: Path) -> Path:
    html = tmp_path / "report.html"
    result = CliRunner().invoke(
        cli, ["--results", str(EXAMPLES / "results.tsv"), "--all", "-q", "--html", str(html)]
    )
    assert result.exit_code == 0, result.output
    return html


def _colours(png: Path) -> int:
    import matplotlib.image

    pixels = matplotlib.image.imread(str(png))
    flat = (pixels[..., :3] * 255).astype("uint8").reshape(-1, 3)
    return len({tuple(row) for row in flat[:: max(1, len(flat) // 200_000)]})


def _trouble(stderr: str) -> list[str]:
    """Console messages and load failures in chromium's log."""
    return [ln for ln in stderr.splitlines() if any(t in ln for t in CONSOLE_TROUBLE)]


def test_console_check_sees_a_script_error(tmp_path: Path) -> None:
    page = tmp_path / "bad.html"
    page.write_text("<html><body>x<script>missing();</script></body></html>", encoding="utf-8")
    proc = _chromium(tmp_path, "--dump-dom", page.as_uri())
    assert any("Uncaught ReferenceError" in line for line in _trouble(proc.stderr))


def test_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    html = _report(tmp_path)
    shot = tmp_path / "report.png"
    proc = _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1200,2000", html.as_uri())
    assert shot.is_file(), proc.stderr[-2000:]
    assert shot.stat().st_size > 20_000
    assert _colours(shot) > 50  # charts and text, not a blank page
    assert _trouble(proc.stderr) == []


def test_report_dom_has_charts_and_tables(tmp_path: Path) -> None:
    html = _report(tmp_path)
    proc = _chromium(tmp_path, "--dump-dom", html.as_uri())
    dom = proc.stdout
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert dom.count('<img alt="') == 2 and dom.count('src="data:image/png;base64,') == 2
    for section in ("summary", "charts", "audit", "categories"):
        assert f'<section id="{section}">' in dom
    assert dom.count("<table") >= 3 and "survives EB" in dom
    assert _trouble(proc.stderr) == []
