"""The results.tsv parser on small inline files, one or more tests per format variant."""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from line_accounting import assert_lines_accounted, line_problems

from autolab_shared.core.diagnostics import ParseWarning
from autolab_shared.core.errors import InputError
from autolab_shared.parsing.results import (
    Experiment,
    History,
    parse_results,
    read_results,
    to_dataframe,
)

HEADER = "commit\tval_bpb\tmemory_gb\tstatus\tdescription\n"
STANDARD = HEADER + (
    "baseline\t0.997900\t44.0\tkeep\tbaseline\n"
    "bea057b\t0.986041\t43.9\tkeep\thalve batch\n"
    "7f2a65c\t0.990000\t44.1\tdiscard\twider MLP\n"
    "e05a87d\t0.000000\t0.0\tcrash\tbatch 131K (assert fail)\n"
)


def parse(text: str | bytes, **kwargs: str) -> History:
    """Parse and check that every line is accounted for."""
    history = parse_results(text, "t.tsv", **kwargs)
    assert_lines_accounted(history)
    return history


def codes(history: History) -> Counter[str]:
    """How many warnings of each code."""
    return Counter(w.code for w in history.warnings)


def lines_of(history: History, code: str) -> list[int | None]:
    """The lines of the warnings with one code."""
    return [w.line for w in history.warnings if w.code == code]


# -- the standard format ---------------------------------------------------------------------


def test_standard_file_reads_every_field() -> None:
    h = parse(STANDARD)
    assert (h.metric, h.direction, h.direction_source) == ("val_bpb", "min", "known")
    assert h.columns == ("commit", "val_bpb", "memory_gb", "status", "description")
    assert [e.value for e in h.experiments] == [0.9979, 0.986041, 0.99, None]
    assert [e.memory_gb for e in h.experiments] == [44.0, 43.9, 44.1, None]
    assert [e.status for e in h.experiments] == ["keep", "keep", "discard", "crash"]
    assert [e.line for e in h.experiments] == [2, 3, 4, 5]
    assert h.header_lines == (1,) and h.line_count == 5
    assert h.warnings == ()


def test_standard_file_helpers() -> None:
    h = parse(STANDARD)
    assert len(h) == 4
    assert h.counts() == {"keep": 2, "discard": 1, "crash": 1, "unknown": 0}
    assert [e.commit for e in h.keeps()] == ["baseline", "bea057b"]
    assert [e.commit for e in h.discards()] == ["7f2a65c"]
    assert [e.commit for e in h.crashes()] == ["e05a87d"]
    assert h.values() == (0.9979, 0.986041, 0.99)
    best = h.best()
    assert best is not None and best.commit == "bea057b"
    assert h.is_better(0.98, 0.99) and not h.is_better(0.99, 0.99)


def test_experiment_fields_and_properties() -> None:
    e = parse(STANDARD).experiments[1]
    assert e == Experiment(1, 3, 3, "bea057b", 0.986041, 43.9, "keep", "keep", "halve batch", ())
    assert e.is_hash and not e.is_crash and e.get("anything") is None
    first, last = parse(STANDARD).experiments[0], parse(STANDARD).experiments[-1]
    assert not first.is_hash and last.is_crash


def test_best_falls_back_to_all_rows_without_keeps() -> None:
    h = parse("commit\tacc\tstatus\na1b2c3d\t0.5\tdiscard\nb2c3d4e\t0.7\tdiscard\n")
    best = h.best()
    assert h.direction == "max" and best is not None and best.value == 0.7
    assert parse(HEADER).best() is None


def test_best_prefers_keeps_over_better_discards() -> None:
    h = parse(HEADER + "a\t1.0\t1\tkeep\tx\nb\t0.5\t1\tdiscard\ty\n")
    best = h.best()
    assert best is not None and best.commit == "a"


# -- header names and columns -----------------------------------------------------------------


def test_aliases_any_order_and_extra_columns() -> None:
    text = (
        "Notes\tVerdict\tBPB\tgit_commit\tpeak_vram_mb\tseed\n"
        "first try\tBETTER\t1.5\tabc1234\t2048\t7\n"
    )
    h = parse(text)
    e = h.experiments[0]
    assert h.columns == ("notes", "verdict", "bpb", "git_commit", "peak_vram_mb", "seed")
    assert (h.metric, e.value, e.commit, e.description) == ("bpb", 1.5, "abc1234", "first try")
    assert (e.status, e.raw_status, e.memory_gb) == ("keep", "BETTER", 2.0)
    assert e.extra == (("seed", "7"),) and e.get("SEED") == "7"


def test_header_names_are_normalised_and_bom_removed() -> None:
    h = parse('\ufeff Commit \tVAL_BPB\t Memory GB\t"Status"\na1b2c3d\t1.1\t3\tkeep\n')
    assert h.columns == ("commit", "val_bpb", "memory_gb", "status")
    assert h.experiments[0].memory_gb == 3.0
    assert codes(h) == Counter({"bom": 1})


def test_empty_and_repeated_header_names_are_repaired() -> None:
    h = parse("commit\tval_bpb\t\tval_bpb\tstatus\nabc1234\t1\tx\t2\tkeep\n")
    assert h.columns == ("commit", "val_bpb", "column3", "val_bpb_2", "status")
    assert lines_of(h, "header_repair") == [1, 1]
    assert h.experiments[0].value == 1.0


def test_trailing_tabs_on_the_header_and_every_row() -> None:
    h = parse("commit\tval_bpb\tstatus\t\na\t1\tkeep\t\nb\t2\tdiscard\t\n")
    assert h.columns == ("commit", "val_bpb", "status")
    assert lines_of(h, "header_repair") == [1] and lines_of(h, "trailing_tabs") == [2, 3]


def test_four_columns_without_memory() -> None:
    h = parse("commit\tval_rmse\tstatus\tdescription\nc2450ad\t343.88\tkeep\tbaseline\n")
    e = h.experiments[0]
    assert (h.metric, h.direction, e.value, e.memory_gb) == ("val_rmse", "min", 343.88, None)
    assert h.warnings == ()


def test_memory_in_megabytes_is_converted_to_gigabytes() -> None:
    h = parse("commit\tval_bpb\tmemory_mb\tstatus\tdescription\nabc1234\t1\t45060.2\tkeep\tx\n")
    assert h.experiments[0].memory_gb == pytest.approx(45060.2 / 1024)


def test_no_header_standard_layout() -> None:
    h = parse("abc1234\t1.10\t3.0\tkeep\tbaseline\nbcd2345\t1.05\t3.0\tkeep\tlr up\n")
    assert h.columns == ("commit", "val_bpb", "memory_gb", "status", "description")
    assert h.header_lines == () and [e.value for e in h.experiments] == [1.1, 1.05]
    assert codes(h) == Counter({"no_header": 1}) and lines_of(h, "no_header") == [None]


def test_no_header_other_layout_names_columns_by_role() -> None:
    rows = [
        "HEAD\tmodel-4bit\t397.0\t3.30\tkeep\tfirst run with spaces",
        "HEAD\tmodel-4bit\t397.0\t2.10\tdiscard\tslower cache",
        "c222a4f\tmodel-4bit\t397.0\t4.36\tkeep\tfaster kernel",
    ]
    h = parse("\n".join(rows) + "\n")
    assert h.columns == ("commit", "col2", "col3", "col4", "status", "description")
    assert h.metric == "col4"  # col3 is numeric too, but constant
    assert [e.status for e in h.experiments] == ["keep", "discard", "keep"]
    assert h.experiments[0].description == "first run with spaces"
    assert {"no_header", "direction_guessed"} <= set(codes(h))


# -- metric choice and direction --------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "row", "metric", "direction"),
    [
        ("commit\ttrain_loss\tval_loss\tstatus", "a\t2.0\t2.5\tkeep", "val_loss", "min"),
        ("run_id\ttimestamp\tn_layer\tlr\taccuracy", "r1\t2026\t8\t0.1\t0.9", "accuracy", "max"),
        ("experiment\tthroughput_tflops\tlatency_us", "e1\t15.1\t700", "throughput_tflops", "max"),
        ("ts_utc\texit_code\texact_final_val_bpb", "2026\t0\t1.9", "exact_final_val_bpb", "min"),
        ("commit\tmetric_before\tmetric_after\tdelta", "a\t1\t2\t1", "metric_after", "min"),
        ("session\tcommit\ttokens_per_sec\tbpb", "s\tabc1234\t2274.4\t0.97", "bpb", "min"),
        ("iteration\tdescription\tj_index", "1\tbase\t0.8", "j_index", "max"),
        ("commit\tformat_pass_rate\tavg_latency_ms", "a\t99.5\t742", "format_pass_rate", "max"),
    ],
)
def test_metric_choice(header: str, row: str, metric: str, direction: str) -> None:
    h = parse(f"{header}\n{row}\n")
    assert (h.metric, h.direction) == (metric, direction)


def test_metric_override_and_unknown_metric() -> None:
    h = parse(STANDARD, metric="Memory_GB")
    assert h.metric == "memory_gb" and h.experiments[0].value == 44.0
    assert parse(STANDARD, metric="bpb").metric == "val_bpb"
    with pytest.raises(InputError, match="'nope' not found; columns are: commit, val_bpb"):
        parse_results(STANDARD, "t.tsv", metric="nope")


def test_no_usable_metric_column_is_an_input_error() -> None:
    with pytest.raises(InputError, match="no usable metric column; columns are: commit, status"):
        parse_results("commit\tstatus\tdescription\nabc1234\tkeep\tx\n", "t.tsv")


def test_metric_column_without_numbers_warns() -> None:
    h = parse("commit\tsilhouette\tstatus\nabc1234\tNA\tblocked\n")
    assert h.metric == "silhouette" and h.experiments[0].status == "crash"
    assert {"no_numeric_metric", "unknown_status"} <= set(codes(h))


def test_direction_override() -> None:
    h = parse(STANDARD, direction="max")
    assert (h.direction, h.direction_source) == ("max", "given")
    best = h.best()
    assert best is not None and best.commit == "baseline"
    assert parse(STANDARD, direction="Lower").direction == "min"
    with pytest.raises(InputError, match="direction must be 'min' or 'max'"):
        parse_results(STANDARD, "t.tsv", direction="sideways")


def test_direction_from_a_data_column() -> None:
    text = (
        "run_id\tmetric_name\tmetric_value\tmetric_direction\tdecision\n"
        "b1\tseparation\t0.90\tmax\tkeep\nb2\tseparation\tNaN\tmax\tcrash\n"
    )
    h = parse(text)
    assert (h.metric, h.direction, h.direction_source) == ("metric_value", "max", "data")
    assert [e.status for e in h.experiments] == ["keep", "crash"] and h.warnings == ()


def test_direction_from_the_metric_name_in_the_data() -> None:
    text = "commit\tmetric_name\tmetric_value\tscore\tstatus\na\teval_score\t0.5\t-0.5\tkeep\n"
    h = parse(text)
    assert (h.metric, h.direction, h.direction_source) == ("metric_value", "max", "known")


def test_unknown_direction_is_guessed_with_a_warning() -> None:
    h = parse("commit\thpd_mean\tstatus\na\t0.4\tkeep\n")
    assert (h.direction, h.direction_source) == ("min", "guessed")
    assert lines_of(h, "direction_guessed") == [None]


def test_unknown_direction_guessed_from_the_keep_trend() -> None:
    rows = "".join(f"c{i}\t{v}\tkeep\n" for i, v in enumerate([1.1, 1.4, 1.5, 1.7, 1.6]))
    h = parse("commit\trobustness_gap\tstatus\n" + rows)
    assert (h.direction, h.direction_source) == ("max", "guessed")
    assert "trend" in h.warnings[0].reason


def test_known_direction_against_the_keep_trend_warns() -> None:
    rows = "".join(f"c{i}\t{v}\tkeep\n" for i, v in enumerate([0.9, 0.8, 0.7, 0.6]))
    h = parse("commit\tprimary_score\tstatus\n" + rows)
    assert (h.direction, h.direction_source) == ("max", "known")
    assert codes(h) == Counter({"direction_conflict": 1})


# -- statuses -------------------------------------------------------------------------------------


def test_status_words_are_normalised() -> None:
    words = ["KEPT", "reverted_worse", "保留✔", "NEW_BEST", "oom", "Rejected", " neutral "]
    rows = "".join(f"c{i}\t1.{i}\t1\t{w}\td\n" for i, w in enumerate(words))
    h = parse(HEADER + rows)
    assert [e.status for e in h.experiments] == [
        "keep",
        "discard",
        "keep",
        "keep",
        "crash",
        "discard",
        "discard",
    ]
    assert [e.raw_status for e in h.experiments][2] == "保留✔"


def test_unknown_status_words_warn_once_per_word() -> None:
    rows = "a\t1\t1\tok\tx\nb\t2\t1\tok\ty\nc\t3\t1\t\tz\n"
    h = parse(HEADER + rows)
    assert h.counts()["unknown"] == 3
    warned = [w for w in h.warnings if w.code == "unknown_status"]
    assert [(w.line, "2 row(s)" in w.reason) for w in warned] == [(2, True), (4, False)]


def test_no_status_column_gives_unknown_and_one_warning() -> None:
    h = parse("commit\tval_bpb\tdescription\na\t1.0\tx\nb\t0.9\ty\n")
    assert h.counts() == {"keep": 0, "discard": 0, "crash": 0, "unknown": 2}
    assert codes(h) == Counter({"no_status": 1}) and lines_of(h, "no_status") == [None]
    best = h.best()
    assert best is not None and best.commit == "b"


def test_missing_metric_makes_a_crash_and_warns_only_for_keep() -> None:
    h = parse(HEADER + "a\t\t1\tkeep\tx\nb\t\t1\tdiscard\ty\nc\tFAILED\t\tkeep\tz\n")
    assert [(e.status, e.value) for e in h.experiments] == [("crash", None)] * 3
    assert lines_of(h, "crash_inferred") == [2, 4]
    assert "bad_value" not in codes(h)


def test_crash_status_never_carries_a_value() -> None:
    h = parse(HEADER + "a\t1.234\t40\tcrash\tx\nb\t0.000000\t0.0\toom\ty\n")
    assert [(e.value, e.memory_gb) for e in h.experiments] == [(None, 40.0), (None, None)]
    assert h.values() == () and h.warnings == ()


def test_zero_metric_and_zero_memory_is_the_crash_convention() -> None:
    h = parse(HEADER + "a\t5.8\t0.3\tkeep\tx\nb\t0.000000\t0.0\tdiscard\ttoo slow\n")
    e = h.experiments[1]
    assert (e.value, e.memory_gb, e.status) == (None, None, "discard")
    assert lines_of(h, "zero_metric") == [3]
    assert parse(HEADER + "a\t0.0\t12\tdiscard\tx\n").experiments[0].value == 0.0


# -- metric cells -------------------------------------------------------------------------------


def test_percent_values_are_read_and_noted_once() -> None:
    h = parse("commit\tscore\tstatus\tdescription\nbaseline\t68.6%\tkeep\ta\nb\t92.0%\tkeep\tb\n")
    assert [e.value for e in h.experiments] == [68.6, 92.0]
    assert codes(h) == Counter({"percent": 1}) and lines_of(h, "percent") == [2]


def test_lenient_and_bad_values() -> None:
    rows = (
        "a\t~0.51\t1\tkeep\tx\nb\t0.491-0.529\t1\tdiscard\ty\n"
        "c\tidentical\t1\tkeep\tz\nd\tNA\t1\tkeep\tw\n"
    )
    h = parse(HEADER + rows)
    assert [e.value for e in h.experiments] == [0.51, None, None, None]
    assert [e.status for e in h.experiments] == ["keep", "crash", "crash", "crash"]
    assert lines_of(h, "lenient_value") == [2]
    assert lines_of(h, "bad_value") == [3, 4]  # NA is a conventional "no value", not bad
    assert lines_of(h, "crash_inferred") == [4, 5]


def test_huge_values_are_out_of_range_not_non_numbers() -> None:
    h = parse(HEADER + "a\t0.99\t1\tkeep\tx\nb\t1e308\t1\tkeep\ty\nc\t12abc\t1\tkeep\tz\n")
    reasons = {w.line: w.reason for w in h.warnings if w.code == "bad_value"}
    assert reasons[3].endswith("'1e308' is out of range (more than 1e+15 in size)")
    assert reasons[4].endswith("'12abc' is not a number")
    assert [e.value for e in h.experiments] == [0.99, None, None]


# -- lexical variants -------------------------------------------------------------------------


def test_crlf_line_ends() -> None:
    h = parse(STANDARD.replace("\n", "\r\n"))
    assert [e.value for e in h.experiments] == [e.value for e in parse(STANDARD).experiments]
    assert codes(h) == Counter({"crlf": 1}) and h.line_count == 5


@pytest.mark.parametrize(("encoding", "code"), [("utf-8-sig", "bom"), ("utf-16", "bom")])
def test_encodings_with_bom(encoding: str, code: str) -> None:
    text = STANDARD.replace("halve batch", "halve batch → café")
    h = parse(text.encode(encoding))
    assert h.experiments[1].description == "halve batch → café"
    assert codes(h) == Counter({code: 1})


def test_no_final_newline_keeps_a_complete_last_row() -> None:
    h = parse(STANDARD.rstrip("\n"))
    assert len(h) == 4 and h.warnings == ()


def test_half_written_last_line_is_ignored() -> None:
    h = parse(STANDARD + "f00ba47\t0.98")
    assert len(h) == 4 and lines_of(h, "half_written") == [6]


def test_short_last_line_with_newline_is_padded() -> None:
    h = parse(STANDARD + "f00ba47\t0.98\t44\n")
    e = h.experiments[-1]
    assert (e.value, e.status, e.description) == (0.98, "unknown", "")
    assert lines_of(h, "short_row") == [6] and lines_of(h, "unknown_status") == [6]


def test_blank_lines_are_skipped_with_a_warning_each() -> None:
    h = parse(HEADER + "\na\t1\t1\tkeep\tx\n  \n\nb\t2\t1\tdiscard\ty\n")
    assert len(h) == 2 and lines_of(h, "blank") == [2, 4, 5]


def test_trailing_tabs_are_dropped_with_a_warning_per_line() -> None:
    h = parse(HEADER + "a\t1\t1\tkeep\tx\t\t\nb\t2\t1\tdiscard\ty\n")
    assert [e.description for e in h.experiments] == ["x", "y"]
    assert lines_of(h, "trailing_tabs") == [2]


@pytest.mark.parametrize(
    "banner",
    [
        "---\tMoE experiments (4 experts)\t---\t---",
        "==========",
        "=== Phase 2 ===",
        "Columns: commit, val_bpb, memory_gb",
        "-\t-\t-\t-\t-",
    ],
)
def test_banner_rows_are_skipped(banner: str) -> None:
    h = parse(HEADER + "a\t1\t1\tkeep\tx\n" + banner + "\nb\t2\t1\tdiscard\ty\n")
    assert len(h) == 2 and lines_of(h, "banner") == [3]
    assert h.experiments[0].end_line == 2


def test_multi_line_description_is_folded() -> None:
    text = HEADER + "a\t1\t1\tkeep\tfirst line\nsecond line\n\nthird line\nb\t2\t1\tdiscard\ty\n"
    h = parse(text)
    a = h.experiments[0]
    assert a.description == "first line\nsecond line\nthird line"
    assert (a.line, a.end_line) == (2, 5) and h.experiments[1].line == 6
    assert lines_of(h, "continuation") == [3, 5] and lines_of(h, "blank") == [4]


def test_cell_spanning_lines_in_the_middle_of_a_row() -> None:
    text = "round\tstrategy\tval_score\tstatus\n21\tEMA cross\n   \n  1. compute\n"
    text += "  2. RSI\t2.25\tkeep\n"
    h = parse(text)
    e = h.experiments[0]
    assert (e.value, e.status, e.line, e.end_line) == (2.25, "keep", 2, 5)
    assert e.get("strategy") == "EMA cross\n   \n  1. compute\n  2. RSI"
    assert lines_of(h, "continuation") == [3, 4, 5]


def test_continuation_before_any_row_is_not_a_row() -> None:
    h = parse(HEADER + "just some text\na\t1\t1\tkeep\tx\n")
    assert len(h) == 1 and lines_of(h, "not_a_row") == [2]


def test_stray_quotes_in_tsv_do_not_swallow_lines() -> None:
    text = HEADER + 'a\t1\t1\tkeep\tsaid "hello\nb\t2\t1\tdiscard\tjson {""k"":1}"\n'
    h = parse(text)
    assert [e.description for e in h.experiments] == ['said "hello', 'json {""k"":1}"']


def test_space_separated_row_is_re_split() -> None:
    text = HEADER + "a1b2c3d\t1.3\t3\tkeep\tx\nc326838 1.316243 3.4 discard MoE lr=0.10 from 0.08\n"
    h = parse(text)
    e = h.experiments[1]
    assert (e.commit, e.value, e.memory_gb, e.status) == ("c326838", 1.316243, 3.4, "discard")
    assert e.description == "MoE lr=0.10 from 0.08"
    assert lines_of(h, "space_separated") == [3]


@pytest.mark.parametrize(
    "prose", ["Plan 2 can proceed. Recommend a new baseline", "Run 3 is best overall"]
)
def test_prose_with_a_number_second_stays_a_continuation(prose: str) -> None:
    h = parse(HEADER + "a\t1\t1\tkeep\tx\n" + prose + "\n")
    assert len(h) == 1 and lines_of(h, "continuation") == [3]


def test_whole_file_separated_by_spaces() -> None:
    h = parse("commit val_bpb memory_gb status description\nabc1234 1.1 3.0 keep two words\n")
    assert h.experiments[0].description == "two words"
    assert codes(h) == Counter({"space_separated": 1})


def test_real_csv_with_quotes() -> None:
    text = '"iteration","description","j_index"\n'
    text += '1,"baseline, this model",0.8168\n2,"say ""hi""",0.8\n'
    h = parse(text)
    assert (h.metric, h.direction) == ("j_index", "max")
    assert [e.description for e in h.experiments] == ["baseline, this model", 'say "hi"']
    assert [e.value for e in h.experiments] == [0.8168, 0.8]


def test_comma_separated_row_in_a_tsv_is_re_split() -> None:
    h = parse(HEADER + "a\t1\t1\tkeep\tx\nb,0.9,1.5,discard,with spaces\n")
    e = h.experiments[1]
    assert (e.value, e.status, e.description) == (0.9, "discard", "with spaces")
    assert lines_of(h, "comma_separated") == [3]


def test_schema_change_mid_file() -> None:
    text = (
        HEADER + "a\t1.5\t3\tkeep\tx\n"
        "commit\tval_bpb\tmemory_gb\tstatus\tdescription\tdate\n"
        "b\t1.4\t3\tkeep\ty\t2026-03-10\n"
    )
    h = parse(text)
    assert h.header_lines == (1, 3) and lines_of(h, "schema_change") == [3]
    assert [e.value for e in h.experiments] == [1.5, 1.4]
    assert h.experiments[1].extra == (("date", "2026-03-10"),)


def test_schema_change_without_the_metric_column() -> None:
    text = HEADER + "a\t1.5\t3\tkeep\tx\nrun_id\tmethod\tfid\tstatus\nr1\tzo\t320.5\tdiscard\n"
    h = parse(text)
    assert [(e.value, e.status) for e in h.experiments] == [(1.5, "keep"), (None, "discard")]
    assert lines_of(h, "metric_missing") == [3]


def test_repeated_header_is_skipped() -> None:
    h = parse(HEADER + "a\t1\t1\tkeep\tx\n" + HEADER + "b\t2\t1\tdiscard\ty\n")
    assert len(h) == 2 and h.header_lines == (1, 3) and lines_of(h, "repeated_header") == [3]


def test_ragged_row_folds_extras_into_the_description() -> None:
    h = parse(HEADER + "a\t1\t1\tkeep\tpart one\tpart two\n")
    assert h.experiments[0].description == "part one\tpart two"
    assert lines_of(h, "ragged") == [2]


def test_ragged_row_with_a_field_inserted_before_the_status() -> None:
    h = parse("commit\ttrain_loss\tvram_mb\tstatus\tdescription\nv\t1.6\t22017\t1824s\tkeep\tODE\n")
    e = h.experiments[0]
    assert (e.status, e.description, e.extra) == ("keep", "ODE", (("field4", "1824s"),))
    assert e.memory_gb == pytest.approx(22017 / 1024) and lines_of(h, "ragged") == [2]


def test_ragged_row_without_a_last_description_keeps_named_extras() -> None:
    h = parse("commit\tval_bpb\tstatus\na\t1\tkeep\tsurprise\n")
    assert h.experiments[0].extra == (("field4", "surprise"),)


def test_duplicate_rows_are_kept_and_flagged() -> None:
    row = "db5d493\t1.905164\t10.4\tdiscard\t6x LR\n"
    h = parse(HEADER + row + "a\t1\t1\tkeep\tx\n" + row)
    assert len(h) == 3 and lines_of(h, "duplicate_row") == [4]


# -- empty input and errors -----------------------------------------------------------------


def test_header_only_is_an_empty_history() -> None:
    h = parse(HEADER)
    assert len(h) == 0 and h.metric == "val_bpb" and h.header_lines == (1,)
    assert codes(h) == Counter({"header_only": 1}) and h.best() is None


@pytest.mark.parametrize("text", ["", "\n\n", "   \r\n"])
def test_empty_input_is_an_input_error(text: str) -> None:
    with pytest.raises(InputError, match="empty file"):
        parse_results(text, "t.tsv")


def test_only_banners_is_an_input_error() -> None:
    with pytest.raises(InputError, match="no header"):
        parse_results("-----\n=====\n", "t.tsv")


def test_read_results_from_a_path(tmp_path: Path) -> None:
    path = tmp_path / "results.tsv"
    path.write_bytes(STANDARD.encode())
    h = read_results(path)
    assert h.path == str(path) and len(h) == 4
    with pytest.raises(InputError, match="no such file"):
        read_results(tmp_path / "missing.tsv")
    with pytest.raises(InputError, match="is a directory"):
        read_results(tmp_path)


# -- warnings, accounting, dataframe, imports, speed -----------------------------------------


def test_warnings_name_file_line_and_reason() -> None:
    h = parse_results(HEADER + "\n", "runs/results.tsv")
    warning = next(w for w in h.warnings if w.code == "blank")
    assert warning == ParseWarning("runs/results.tsv", 2, "blank", "blank line skipped")
    assert str(warning) == "runs/results.tsv:2: blank line skipped"


def test_line_accounting_helper_catches_a_lost_line() -> None:
    h = parse(STANDARD)
    lost = replace(h, experiments=h.experiments[:-1])
    assert line_problems(lost) == ["line 5 is neither read nor warned about"]


def test_to_dataframe() -> None:
    h = parse("commit\tval_bpb\tstatus\tmfu\tstatus_2\nabc1234\t1.5\tkeep\t58\tx\n")
    frame = to_dataframe(h)
    assert list(frame.columns) == [
        "index",
        "line",
        "end_line",
        "commit",
        "value",
        "memory_gb",
        "status",
        "raw_status",
        "description",
        "is_hash",
        "mfu",
        "status_2",
    ]
    assert frame.loc[0, "value"] == 1.5 and bool(frame.loc[0, "is_hash"])
    assert frame.attrs["metric"] == "val_bpb"
    clash = to_dataframe(parse("commit\tval_bpb\tline\na1b2c3d\t1\t7\n"))
    assert clash.loc[0, "line"] == 2 and clash.loc[0, "extra_line"] == "7"
    empty = to_dataframe(parse(HEADER))
    assert len(empty) == 0 and list(empty.columns)[:3] == ["index", "line", "end_line"]


def test_import_does_not_load_heavy_modules() -> None:
    code = (
        "import sys, autolab_shared.parsing.results, autolab_shared.parsing.status, "
        "autolab_shared.parsing.metrics, "
        "autolab_shared.parsing.commits\n"
        "heavy = [m for m in ('pandas', 'scipy', 'click', 'rich') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_two_thousand_rows_parse_quickly() -> None:
    rows = "".join(
        f"{i:07x}\t{1 + i / 1e4:.6f}\t44.0\t{('keep', 'discard', 'crash')[i % 3]}\tidea {i}\n"
        for i in range(2000)
    )
    text = HEADER + rows
    timings = []
    for _ in range(3):
        start = time.perf_counter()
        h = parse_results(text, "t.tsv")
        timings.append(time.perf_counter() - start)
    assert len(h) == 2000
    assert min(timings) < 0.1
