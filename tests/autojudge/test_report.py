"""autojudge --plot, --plot-pareto and --html: files, sizes, content, failures and atomicity."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from support import EXAMPLES, REAL_RESULTS, console_script, real_files

from autojudge import report as report_module
from autojudge.cli import cli
from autojudge.plot import DPI, SIZE_IN

RESULTS = EXAMPLES / "results.tsv"
PIXELS = (round(SIZE_IN[0] * DPI), round(SIZE_IN[1] * DPI))
POOLED = (
    "commit\tval_bpb\tmemory_gb\tstatus\tdescription\tagent\tstrategy\tround\n"
    "aaaaaaa\t1.000\t40\tkeep\tbaseline\tagent-1\texploit\t0\n"
    "bbbbbbb\t0.990\t41\tkeep\t<script>alert(1)</script>\tagent-<b>2</b>\texplore\t1\n"
)


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_plot_and_pareto_are_pngs_of_the_chart_size(tmp_path: Path) -> None:
    plot, pareto = tmp_path / "progress.png", tmp_path / "pareto.png"
    code, out = _run(
        "--results", str(RESULTS), "--all", "--plot", str(plot), "--plot-pareto", str(pareto), "-q"
    )
    assert code == 0, out
    assert png_size(plot.read_bytes()) == PIXELS
    assert png_size(pareto.read_bytes()) == PIXELS
    assert plot.read_bytes() != pareto.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pareto.png", "progress.png"]


def test_plot_with_a_verdict_keeps_the_verdict_and_its_exit_code(tmp_path: Path) -> None:
    plot = tmp_path / "progress.png"
    plain = _run(
        "--results",
        str(RESULTS),
        "--run",
        str(EXAMPLES / "run.log"),
        "--commit",
        "eb5bdc1",
        "--format",
        "json",
    )
    drawn = _run(
        "--results",
        str(RESULTS),
        "--run",
        str(EXAMPLES / "run.log"),
        "--commit",
        "eb5bdc1",
        "--format",
        "json",
        "--plot",
        str(plot),
    )
    assert drawn[0] == plain[0]
    assert png_size(plot.read_bytes()) == PIXELS


def test_plot_of_a_higher_is_better_history(tmp_path: Path) -> None:
    results = tmp_path / "results.tsv"
    rows = ["commit\taccuracy\tmemory_gb\tstatus\tdescription"]
    rows += [
        f"{i:07x}\t{0.5 + 0.01 * i:.3f}\t{10 + i % 3}\t{'keep' if i % 2 else 'discard'}\tidea {i}"
        for i in range(1, 30)
    ]
    rows.append("fffffff\t\t0\tcrash\toom")
    results.write_text("\n".join(rows) + "\n", encoding="utf-8")
    plot, pareto = tmp_path / "p.png", tmp_path / "q.png"
    code, out = _run("--results", str(results), "--plot", str(plot), "--plot-pareto", str(pareto))
    assert code in (0, 1, 2), out
    assert png_size(plot.read_bytes()) == PIXELS and png_size(pareto.read_bytes()) == PIXELS


def test_html_report_has_every_section_and_no_external_reference(tmp_path: Path) -> None:
    html = tmp_path / "report.html"
    code, out = _run("--results", str(RESULTS), "--all", "--html", str(html), "-q")
    assert code == 0, out
    page = html.read_text(encoding="utf-8")
    parts = [
        'id="summary"',
        'id="charts"',
        'id="audit"',
        'id="categories"',
        "data:image/png;base64,",
        "REAL IMPROVEMENT",
        "90% interval",
        "survives EB",
    ]
    for part in parts:
        assert part in page, part
    assert page.count("<img ") == 2
    assert "http://" not in page and "https://" not in page and "<script" not in page
    assert 'id="leaderboard"' not in page  # no .autoevolve beside the results or in the cwd


def test_html_leaderboard_from_autoevolve_beside_the_results(tmp_path: Path) -> None:
    results = tmp_path / "results.tsv"
    results.write_bytes(RESULTS.read_bytes())
    (tmp_path / ".autoevolve").mkdir()
    (tmp_path / ".autoevolve" / "results.all.tsv").write_text(POOLED, encoding="utf-8")
    html = tmp_path / "report.html"
    code, out = _run("--results", str(results), "--html", str(html))
    assert code in (0, 1, 2), out
    page = html.read_text(encoding="utf-8")
    assert 'id="leaderboard"' in page and "agent-1" in page
    assert "agent-&lt;b&gt;2&lt;/b&gt;" in page and "<script" not in page


@pytest.mark.real_data
@pytest.mark.parametrize("index", [0, 30, 60, 90])
def test_html_on_real_histories(tmp_path: Path, index: int) -> None:
    files = real_files(REAL_RESULTS)
    if len(files) <= index:
        pytest.skip(f"real data folder {REAL_RESULTS} is absent or small")
    html = tmp_path / "report.html"
    code, out = _run("--results", str(files[index]), "--all", "--html", str(html), "-q")
    assert code in (0, 1, 2), out
    page = html.read_text(encoding="utf-8")
    assert page.rstrip().endswith("</html>") and 'id="audit"' in page


def test_unwritable_target_is_an_input_error_and_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "missing-dir" / "progress.png"
    result = CliRunner().invoke(cli, ["--results", str(RESULTS), "--all", "--plot", str(target)])
    assert result.exit_code == 3
    assert "cannot write" in result.stderr and "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_failed_render_writes_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plot, html = tmp_path / "progress.png", tmp_path / "report.html"
    html.write_text("yesterday's report", encoding="utf-8")

    def broken(*args: object, **kwargs: object) -> str:
        raise RuntimeError("template exploded")

    monkeypatch.setattr(report_module, "report_html", broken)
    result = CliRunner().invoke(
        cli, ["--results", str(RESULTS), "--all", "--plot", str(plot), "--html", str(html)]
    )
    assert result.exit_code == 3 and "template exploded" in result.stderr
    assert not plot.exists()  # rendering comes before any writing
    assert html.read_text(encoding="utf-8") == "yesterday's report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


BLOCKER = """\
import sys


class _NoMatplotlib:
    def find_spec(self, name, path=None, target=None):
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError("matplotlib is blocked by the test")
        return None


sys.meta_path.insert(0, _NoMatplotlib())
"""


def _without_matplotlib(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "sitecustomize.py").write_text(BLOCKER, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    return subprocess.run(
        [sys.executable, "-m", "autojudge", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def test_missing_matplotlib_is_one_line_and_exit_3(tmp_path: Path) -> None:
    plot = tmp_path / "progress.png"
    proc = _without_matplotlib(tmp_path, "--results", str(RESULTS), "--all", "--plot", str(plot))
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr.strip().count("\n") == 0 and "Traceback" not in proc.stderr
    assert "pip install 'autolab-judge[plot]'" in proc.stderr
    assert proc.stdout == "" and not plot.exists()


def test_html_without_matplotlib_still_renders_with_a_note(tmp_path: Path) -> None:
    html = tmp_path / "report.html"
    proc = _without_matplotlib(
        tmp_path, "--results", str(RESULTS), "--all", "-q", "--html", str(html)
    )
    assert proc.returncode == 0, proc.stderr
    page = html.read_text(encoding="utf-8")
    assert "No charts" in page and "autolab-judge[plot]" in page and "<img" not in page
    assert 'id="audit"' in page and 'id="categories"' in page


def test_all_text_output_has_a_sparkline() -> None:
    code, out = _run("--results", str(RESULTS), "--all")
    line = out.splitlines()[1]
    assert code == 0 and any(ch in line for ch in "▁▂▃▄▅▆▇█") and "gap = crash" in line


def test_rerun_advice_for_an_unknown_commit_is_a_usable_instruction() -> None:
    rows = "".join(f"n/a\t{1.0 - 0.001 * i:.6f}\t40.0\tkeep\tstep {i}\n" for i in range(6))
    proc = subprocess.run(
        [console_script("autojudge"), "--results", "-", "--all"],
        input="commit\tval_bpb\tmemory_gb\tstatus\tdescription\n" + rows,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode in (0, 1, 2), proc.stderr
    assert "git checkout n/a" not in proc.stdout
    assert "re-runs of the final commit" in proc.stdout
    assert "has no commit hash in the file ('n/a')" in proc.stdout


def test_report_summary_counts_match_the_chart_title(tmp_path: Path) -> None:
    from autolab_shared.parsing.results import read_results
    from autolab_shared.report.progress import night_counts

    html = tmp_path / "r.html"
    proc = subprocess.run(
        [
            console_script("autojudge"),
            "--results",
            str(RESULTS),
            "--all",
            "-q",
            "--html",
            str(html),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode in (0, 1, 2), proc.stderr
    counts = night_counts(read_results(RESULTS))
    assert f"{counts.kept} / {counts.discarded} / {counts.crashed}" in html.read_text()
