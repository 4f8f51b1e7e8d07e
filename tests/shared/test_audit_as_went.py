"""The audit gives each configuration the verdict the single call gave at its row."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from click.testing import CliRunner
from support import REAL_RESULTS

from autojudge.cli import cli
from autolab_shared.files.inputs import load_history
from autolab_shared.stats.audit import audit
from autolab_shared.stats.judge import judge

HEADER = "commit\tval_bpb\tmemory_gb\tstatus\tdescription\n"
KARPATHY = REAL_RESULTS / "karpathy__autoresearch__branch-exp-H100-mar8__results.tsv"


def _night(rows: int, seed: int) -> str:
    """A loop: most changes do nothing or harm, a few help; one re-run; one crash; one far run."""
    rng, level, lines = random.Random(seed), 1.0, []
    for k in range(rows):
        effect = rng.choice([0.0, 0.0, 0.002, 0.004, -0.003]) if k else 0.0
        value = level + effect + rng.gauss(0, 0.001)
        kept = k == 0 or value < level - 0.0005
        desc = f"change {k}"
        if k == 7:
            lines.append(f"c{k:06x}\t0.000000\t0.0\tcrash\tOOM")
            continue
        if k == 11:
            value = 3.0 * level  # diverged
        lines.append(f"c{k:06x}\t{value:.6f}\t40.0\t{'keep' if kept else 'discard'}\t{desc}")
        if k == 5:  # the same commit re-run: a replicate
            again = level + effect + rng.gauss(0, 0.001)
            lines.append(f"c{k:06x}\t{again:.6f}\t40.0\tdiscard\trerun of change {k}")
        level = value if kept and k != 11 else level
    return HEADER + "\n".join(lines) + "\n"


def _pairs(path: Path, every: int = 1) -> list[tuple[int, int, float, float]]:
    """(audit exit, single-call exit, audit P, single-call P) of every `every`-th judged row."""
    text = path.read_text(encoding="utf-8").splitlines(keepends=True)
    report = audit(load_history(path))
    judged = [r for r in report.rows if r.assessment is not None][::every]
    out = []
    for row in judged:
        prefix = path.with_name(f"prefix-{path.name}")
        prefix.write_text("".join(text[: row.config.rows[-1].line]), encoding="utf-8")
        single = judge(load_history(prefix)).assessment
        assert row.assessment is not None
        out.append(
            (row.exit_code, int(single.exit_code), row.assessment.p_improve, single.p_improve)
        )
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_short_night_audits_exactly_as_the_single_calls_said(tmp_path: Path, seed: int) -> None:
    path = tmp_path / "results.tsv"
    path.write_text(_night(60, seed), encoding="utf-8")
    pairs = _pairs(path)
    assert len(pairs) > 50
    for a_exit, s_exit, a_p, s_p in pairs:
        assert a_exit == s_exit and a_p == pytest.approx(s_p, abs=1e-9)


def test_a_long_night_stays_close_to_the_single_calls(tmp_path: Path) -> None:
    path = tmp_path / "results.tsv"
    path.write_text(_night(400, 4), encoding="utf-8")
    pairs = _pairs(path, every=7)
    agree = sum(a == s for a, s, _, _ in pairs)
    assert len(pairs) > 50 and agree >= 0.95 * len(pairs)
    assert max(abs(ap - sp) for _, _, ap, sp in pairs) < 0.2


def test_an_audit_row_shows_its_delta_against_the_incumbent_of_its_time(tmp_path: Path) -> None:
    path = tmp_path / "results.tsv"
    path.write_text(_night(20, 5), encoding="utf-8")
    text = path.read_text(encoding="utf-8").splitlines(keepends=True)
    runner = CliRunner()
    shown = runner.invoke(cli, ["--results", str(path), "--all"]).stdout.splitlines()
    at = next(i for i, line in enumerate(shown) if line.startswith("experiment_013:"))
    audit_delta = shown[at + 1].split("estimate: ")[1].split(" |")[0]
    audit_noise, audit_source = shown[at + 1].split("noise floor: ±")[1].split(" ", 1)
    prefix = tmp_path / "prefix.tsv"
    prefix.write_text("".join(text[:14]), encoding="utf-8")  # the diverged row (k = 11) is last
    single = runner.invoke(cli, ["--results", str(prefix), "--format", "json"])
    data = json.loads(single.stdout)["data"]
    assert float(audit_delta) == pytest.approx(data["delta"], abs=1e-4)
    assert float(audit_noise) == pytest.approx(data["noise"]["sigma"], abs=1e-4)
    assert audit_source == f"({data['noise']['source']})"  # where the floor came from, too
    assert data["delta"] == pytest.approx(data["value"] - data["incumbent"]["mean"], rel=1e-6)


@pytest.mark.skipif(not KARPATHY.is_file(), reason="../shared is not there")
def test_karpathy_night_audits_as_the_single_calls_said(tmp_path: Path) -> None:
    path = tmp_path / KARPATHY.name
    path.write_text(KARPATHY.read_text(encoding="utf-8"), encoding="utf-8")
    pairs = _pairs(path)
    assert len(pairs) == 124 and all(a == s for a, s, _, _ in pairs)


@pytest.mark.skipif(not KARPATHY.is_file(), reason="../shared is not there")
def test_karpathy_night_floor_does_not_swing_as_the_night_goes() -> None:
    """Once the history measures its noise, each row's floor stays within 0.5-2x of the
    night's final one (0.039 %); the MAD's 0.12-0.18 % for rows 51-59, 4x the rows around
    them, came from a kurtosis shortcut that skipped the two-scale fit."""
    report = audit(load_history(KARPATHY))
    judged = [r for r in report.rows if r.assessment is not None]
    measured = [r.sigma for r in judged if r.noise_source == "history"]
    assert len(measured) > 90
    assert all(0.5 < s / measured[-1] < 2.0 for s in measured)


def _no_replicates(rows: int, seed: int) -> str:
    """A night of distinct commits and no re-run: noise around a slowly improving level."""
    rng, level, lines = random.Random(seed), 1.0, []
    for k in range(rows):
        value = level + rng.choice([0.0, 0.0, 0.0, 0.003, -0.002]) + rng.gauss(0, 0.0005)
        kept = k == 0 or value < level - 0.0005
        status = "keep" if kept else "discard"
        lines.append(f"d{k:06x}\t{value:.6f}\t40.0\t{status}\tidea {k}")
        level = value if kept else level
    return HEADER + "\n".join(lines) + "\n"


def test_each_audit_row_says_where_its_noise_floor_came_from(tmp_path: Path) -> None:
    """Early rows, judged before the history could measure its noise, say that their floor was
    assumed (text and JSON), the footer counts them, and later rows name the history."""
    path = tmp_path / "results.tsv"
    path.write_text(_no_replicates(80, 4), encoding="utf-8")
    runner = CliRunner()
    out = runner.invoke(cli, ["--results", str(path), "--all", "--format", "json"]).stdout
    doc = json.loads(out)
    rows = [e for e in doc["data"]["experiments"] if e["confidence"] is not None]
    sources = [e["noise_source"] for e in rows]
    first_history = sources.index("history")
    assert first_history > 0 and set(sources[:first_history]) == {"default"}
    assert set(sources[first_history:]) == {"history"}
    assert all(e["sigma_relative"] > 0 for e in rows)
    assert rows[0]["sigma_relative"] == pytest.approx(0.001)  # the default 0.1 %
    text = runner.invoke(cli, ["--results", str(path), "--all"]).stdout
    floors = [line.rsplit("noise floor: ", 1)[1] for line in text.splitlines() if "| noise" in line]
    assert [f.endswith("(assumed)") for f in floors] == [s == "default" for s in sources]
    assert f"{first_history} rows, up to {rows[first_history - 1]['experiment']}" in text


@pytest.mark.parametrize("reruns", [0, 1])
def test_the_baseline_row_audits_as_the_single_call_said(tmp_path: Path, reruns: int) -> None:
    """One run: RETEST (exit 2) to measure the noise; run twice: KEEP (exit 0)."""
    lines = ["a000001\t1.000000\t40.0\tkeep\tbaseline"]
    lines += ["a000001\t1.000600\t40.0\tkeep\tbaseline rerun"] * reruns
    lines += [f"b{k:06x}\t{1.0 + 0.001 * k:.6f}\t40.0\tdiscard\tchange {k}" for k in range(1, 4)]
    path = tmp_path / "results.tsv"
    path.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    row = audit(load_history(path)).rows[0]
    prefix = tmp_path / "prefix.tsv"
    prefix.write_text(HEADER + "\n".join(lines[: reruns + 1]) + "\n", encoding="utf-8")
    single = judge(load_history(prefix)).assessment
    assert (row.verdict, row.exit_code) == (single.verdict, int(single.exit_code))
    assert row.exit_code == (2 if reruns == 0 else 0)
    data = json.loads(
        CliRunner().invoke(cli, ["--results", str(path), "--all", "--format", "json"]).stdout
    )
    assert data["data"]["experiments"][0]["exit_code"] == row.exit_code


def test_a_crash_row_audits_as_the_single_call_said(tmp_path: Path) -> None:
    lines = ["a000001\t1.000000\t40.0\tkeep\tbaseline", "b000002\t0.000000\t0.0\tcrash\tOOM"]
    path = tmp_path / "results.tsv"
    path.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    runner = CliRunner()
    whole = json.loads(
        runner.invoke(cli, ["--results", str(path), "--all", "--format", "json"]).stdout
    )
    single = json.loads(runner.invoke(cli, ["--results", str(path), "--format", "json"]).stdout)
    row = whole["data"]["experiments"][-1]
    assert (
        (row["verdict"], row["exit_code"], row["confidence"])
        == (
            single["data"]["verdict"],
            single["exit_code"],
            single["data"]["confidence"],
        )
        == ("CRASH", 1, 0.0)
    )
