"""Chart data (running best, noise band, doubtful keeps), the sparkline and the leaderboard."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from autolab_shared.core.scale import Scale
from autolab_shared.parsing.results import parse_results
from autolab_shared.report.leaderboard import find_pooled, first_baseline, leaderboard
from autolab_shared.report.progress import (
    kept_flags,
    memory_front,
    noise_band,
    progress,
    running_best,
    unbelieved_keeps,
    view_range,
)
from autolab_shared.report.sparkline import BARS, sparkline
from autolab_shared.stats.audit import audit

HEADER = "commit\tval_bpb\tmemory_gb\tstatus\tdescription\n"
NIGHT = HEADER + (
    "aaaaaaa\t1.000\t40.0\tkeep\tbaseline\n"
    "aaaaaaa\t1.002\t40.0\tkeep\tre-run baseline\n"
    "aaaaaaa\t0.998\t40.0\tkeep\tre-run baseline\n"
    "bbbbbbb\t0.999\t41.0\tkeep\ttiny tweak\n"
    "ccccccc\t0\t0\tcrash\toom\n"
    "ddddddd\t1.010\t39.0\tdiscard\tworse\n"
    "eeeeeee\t0.950\t42.0\tkeep\tbig win\n"
    "eeeeeee\t0.951\t42.0\tkeep\tre-run big win\n"
    "fffffff\t0.960\t38.0\tdiscard\tsmaller\n"
)


def test_running_best_lower_and_higher_is_better() -> None:
    values = [1.0, 0.9, None, 0.8, 0.95, 0.7]
    kept = [True, True, False, False, True, True]
    assert running_best(values, kept, "min") == [1.0, 0.9, 0.9, 0.9, 0.9, 0.7]
    assert running_best(values, kept, "max") == [1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    assert running_best([None, 2.0], [False, True], "max") == [None, 2.0]


def test_kept_flags_follow_status_words_and_read_unlabelled_rows_greedily() -> None:
    history = parse_results(NIGHT)
    assert kept_flags(history.experiments, "min") == [
        True,
        True,
        True,
        True,
        False,
        False,
        True,
        True,
        False,
    ]
    bare = parse_results("commit\tval_bpb\n1\t1.0\n2\t1.1\n3\t0.9\n4\t0.95\n")
    assert kept_flags(bare.experiments, "min") == [True, False, True, False]
    assert kept_flags(bare.experiments, "max") == [True, True, False, False]


def test_noise_band_is_relative_on_a_log_scale_and_absolute_on_a_linear_one() -> None:
    low, high = noise_band([None, 2.0], 0.01, Scale("min", log=True))
    assert low[0] is None and high[0] is None
    assert low[1] == pytest.approx(1.98) and high[1] == pytest.approx(2.02)
    low, high = noise_band([-3.0], 0.5, Scale("max", log=False))
    assert (low[0], high[0]) == (-3.5, -2.5)


def test_progress_marks_the_keep_the_audit_does_not_believe() -> None:
    history = parse_results(NIGHT)
    report = audit(history)
    assert unbelieved_keeps(report) == frozenset({3})  # "tiny tweak": within the noise
    data = progress(history, report)
    assert [p.believed for p in data.points] == [True] * 3 + [False] + [True] * 5
    assert data.baseline == 1.0 and data.final_best == 0.95
    assert data.points[4].value is None and data.points[4].status == "crash"
    sigma = report.noise.sigma
    assert data.band_low[-1] == pytest.approx(0.95 * (1 - sigma))
    assert data.band_high[-1] == pytest.approx(0.95 * (1 + sigma))
    lo, hi = view_range(data) or (0.0, 0.0)
    assert lo < data.band_low[-1] < data.band_high[0] < hi  # type: ignore[operator]


def test_progress_for_a_higher_is_better_metric() -> None:
    text = "commit\taccuracy\tmemory_gb\tstatus\tdescription\n" + (
        "a1b2c3d\t0.70\t10\tkeep\tbaseline\n"
        "b1b2c3d\t0.75\t11\tkeep\twider\n"
        "c1b2c3d\t0.72\t9\tdiscard\tnarrower\n"
        "d1b2c3d\t0.80\t12\tkeep\tdeeper\n"
    )
    history = parse_results(text)
    assert history.direction == "max"
    data = progress(history, audit(history))
    assert data.best == (0.70, 0.75, 0.75, 0.80)
    assert all(
        lo < b < hi for lo, b, hi in zip(data.band_low, data.best, data.band_high, strict=True)
    )  # type: ignore[operator]
    # 0.70 at 10 GB is beaten by 0.72 at 9 GB; the rest trade accuracy for memory
    assert [p.key for p in memory_front(history)] == ["2", "1", "3"]


def test_sparkline_levels_gaps_and_width() -> None:
    assert sparkline([1.0, 2.0, None, 3.0]) == "▁▅ █"
    assert sparkline([None, None]) == "  "
    assert sparkline([]) == ""
    assert sparkline([5.0, 5.0]) == "▁▁"
    long = sparkline([float(i) for i in range(200)], width=50)
    assert len(long) == 50 and long[0] == BARS[0] and long[-1] == BARS[-1]
    # a run of lower-is-better values shows its best (lowest); higher_better shows the highest
    assert sparkline([3.0, 1.0, 2.0, 2.0], width=2) == "▁▅"
    assert sparkline([3.0, 1.0, 2.0, 2.0], width=2, higher_better=True) == "█▅"
    # one wild outlier does not flatten the rest (5th..95th percentile range)
    tame = sparkline([1.0 + 0.01 * (i % 5) for i in range(40)] + [100.0])
    assert len(set(tame)) >= 4


POOLED = (
    HEADER.rstrip("\n")
    + "\tagent\tstrategy\tround\n"
    + (
        "aaaaaaa\t1.000\t40\tkeep\tbaseline\tagent-1\texploit\t0\n"
        "bbbbbbb\t0.990\t41\tkeep\tlr up\tagent-1\texploit\t1\n"
        "ccccccc\t0.995\t40\tkeep\twarmup\tagent-2\texplore\t1\n"
        "ddddddd\t0\t0\tcrash\toom\tagent-2\texplore\t2\n"
        "eeeeeee\t0.985\t40\tdiscard\tbigger\tagent-3\trandom\t1\n"
        "fffffff\t0.993\t40\tkeep\tanneal\tagent-2\tanneal\t3\n"
    )
)


def test_leaderboard_rows_per_agent_best_first() -> None:
    history = parse_results(POOLED)
    assert first_baseline(history) == 1.0
    rows = leaderboard(history)
    assert [r.agent for r in rows] == ["agent-1", "agent-2", "agent-3"]
    one, two, three = rows
    assert (one.experiments, one.keeps, one.crashes, one.best, one.best_commit) == (
        1,
        1,
        0,
        0.990,
        "bbbbbbb",
    )
    assert one.improvement == pytest.approx(-0.010)
    assert one.relative_improvement == pytest.approx(-0.010)
    assert (two.strategy, two.crashes, two.best, two.best_commit) == (
        "anneal",
        1,
        0.993,
        "fffffff",
    )
    assert three.best is None and three.improvement is None  # a discard is not a result
    assert leaderboard(history, baseline=2.0)[0].improvement == pytest.approx(-1.01)


def test_leaderboard_pools_reruns_and_skips_bookkeeping_rows() -> None:
    extra = (
        "1111111\t0.980\t40\tretest\tlr down\tagent-3\trandom\t2\n"
        "1111111\t0.982\t40\tkeep\tlr down\tagent-3\trandom\t2\n"
        "1111111\t0.984\t40\tkeep\tvalidate r2: lr down\tagent-3\trandom\t2\n"
        "bbbbbbb\t0.990\t41\tkeep\tadopt: champion r1 from agent-1\tagent-3\trandom\t2\n"
    )
    three = next(r for r in leaderboard(parse_results(POOLED + extra)) if r.agent == "agent-3")
    assert (three.experiments, three.keeps) == (2, 1)  # the discard and one retested commit
    assert three.best == pytest.approx(0.982) and three.best_commit == "1111111"


def test_leaderboard_without_agent_column_and_without_status() -> None:
    rows = leaderboard(parse_results("commit\tval_bpb\na\t1.0\nb\t0.9\n"))
    assert len(rows) == 1 and rows[0].agent == "(none)" and rows[0].best == 0.9
    assert rows[0].improvement is not None and math.isclose(rows[0].improvement, -0.1)


def test_find_pooled(tmp_path: Path) -> None:
    assert find_pooled(tmp_path) is None
    pooled = tmp_path / ".autoevolve" / "results.all.tsv"
    pooled.parent.mkdir()
    pooled.write_text(POOLED, encoding="utf-8")
    assert find_pooled(tmp_path / "nowhere", tmp_path) == pooled


def test_night_counts_are_the_one_source_of_chart_and_report_counts() -> None:
    from autolab_shared.report.progress import night_counts

    history = parse_results(NIGHT)
    counts = night_counts(history)
    kept = sum(kept_flags(history.experiments, history.direction))
    assert (counts.experiments, counts.kept, counts.crashed) == (9, kept, 1)
    assert counts.kept + counts.discarded + counts.crashed == counts.experiments
    assert progress(history, audit(history)).counts == counts


def test_robust_range_is_not_stretched_by_one_outlier_but_keeps_the_frontier() -> None:
    from autolab_shared.report.progress import robust_range

    values = [0.98 + 0.001 * i for i in range(20)] + [3.2]  # one diverged run
    lo, hi = robust_range(values)
    assert lo < 0.98 and 0.999 < hi < 1.05
    assert robust_range(values, keep=[3.2])[1] > 3.2  # a frontier point is never cut off
    assert robust_range([1.0]) == pytest.approx((0.999, 1.001))


def test_leaderboard_ranks_by_posterior_so_one_lucky_run_does_not_lead() -> None:
    pooled = "commit\tval_bpb\tmemory_gb\tstatus\tdescription\tagent\n" + "".join(
        f"{c}\t{v}\t40.0\t{s}\t{d}\t{a}\n"
        for c, v, s, d, a in [
            ("base000", 1.000, "keep", "baseline (a)", "a"),
            ("base000", 1.004, "keep", "baseline (b)", "b"),
            ("aaaaaaa", 0.9970, "keep", "lucky once", "a"),
            ("bbbbbbb", 0.9972, "keep", "solid", "b"),
            ("bbbbbbb", 0.9975, "keep", "validate r1: solid", "b"),
            ("bbbbbbb", 0.9969, "keep", "validate r1: solid", "b"),
        ]
    )
    rows = leaderboard(parse_results(pooled))
    assert [r.agent for r in rows][:2] == ["b", "a"]
    assert (rows[0].runs, rows[1].runs) == (3, 1)
    assert rows[1].best == pytest.approx(0.997) and rows[1].best < rows[0].best  # raw: a leads
    assert rows[1].posterior > rows[0].posterior  # shrunk toward the baseline: b leads
