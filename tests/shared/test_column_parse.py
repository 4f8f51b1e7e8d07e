"""The columnar parse of a plain file (`plaincolumns`, `columnrows`, `rowtable`) and the
shortcuts it brought give what the paths they replace give: the scan, the history, its rows
made on demand, the verdict, and the bulk tests of numbers, hashes and changes, on generated
files and every real one; and a file read in one piece."""

from __future__ import annotations

import copy
import os
import pickle
import re
from collections import Counter
from operator import attrgetter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import REAL_RESULTS, real_params

from autolab_shared.core.errors import InputError
from autolab_shared.parsing.cellvalues import PLAIN_NUMBER
from autolab_shared.parsing.plaincolumns import plain_columns, plain_floats
from autolab_shared.parsing.replicates import (
    _COUNTED,
    _NOTE,
    _SPACE,
    _lowered_hashes,
    change_of,
    replicate_keys,
)
from autolab_shared.parsing.results import History, parse_results
from autolab_shared.parsing.rowtable import RowTable
from autolab_shared.parsing.textio import _read_at_most, read_bytes
from autolab_shared.parsing.tsvlines import scan
from autolab_shared.stats.judge import judge

PROPS = settings(max_examples=300, deadline=None)
HEADERS = [
    "commit\tval_bpb\tmemory_gb\tstatus\tdescription",
    "commit\tval_bpb\tmemory_gb\tstatus\tdescription\tnotes",
    "commit\tval_loss\tstatus\tdescription",
    "commit\tscore\tpeak_vram_mb\tstatus\tdescription",
    "# commit\tval_bpb\tstatus\tdescription",
    "val_bpb\tdescription",
]
NUMBERS = ["0.991000", "1", "-0.5", "0", "0.000000", "0.", "12345678901234567", "1.5e3", ".5"]
ALL_CELLS = [*NUMBERS, "a1b2c3d", "B2C3D4E", "c3d4e5f", "baseline", "keep", "discard", "crash",
             "kept", "weird", "44.0", "0.0", "lr up", "rerun", "seed 2", "gelu (rerun)", "",
             " padded", "end ", "Columns: x", "-", "#3", "=x", "cpu", "\u00a0x"]  # fmt: skip
CELLS = st.sampled_from(ALL_CELLS)
PLAIN = st.builds(
    "{}\t{}\t{}\t{}\t{}".format,
    st.sampled_from(["a1b2c3d", "B2C3D4E", "c3d4e5f", "d4e5f6a", "baseline", "cafe123"]),
    st.sampled_from(["0.991000", "0.98", "1.02", "0.000000", "1", "0."]),
    st.sampled_from(["44.0", "0.0", "45.1", ""]),
    st.sampled_from(["keep", "discard", "discard", "crash"]),
    st.sampled_from(["lr up", "lr down", "rerun", "seed 2", "", "gelu (rerun)", "baseline 2"]),
)
ANY = st.lists(CELLS, min_size=1, max_size=6).map("\t".join)
ODD = st.sampled_from(["", "---", "# note", " \t", "columns: a\tb"])
LINES = st.lists(PLAIN | PLAIN | PLAIN | ANY | ODD, min_size=1, max_size=25)
ENDS = st.sampled_from(["\n", "", "\r\n"])


def _parse(text: str, fast: bool) -> History | str:
    try:
        return parse_results(text, "f.tsv", fast=fast)
    except InputError as exc:
        return str(exc)


def _by_columns(history: History) -> bool:
    return "experiments" not in history.__dict__  # made from the table only when read


def _check_table(history: History, plain: History) -> None:
    """The table's columns, keys and rows are the row-by-row history's."""
    table, exps = history.table, plain.experiments
    assert len(table) == len(history) == len(exps)
    for name, column in [("value", table.values), ("status", table.statuses)]:
        assert column == list(map(attrgetter(name), exps))
    assert table.commits == [e.commit for e in exps]
    assert table.descriptions == [e.description for e in exps]
    assert table.keys == replicate_keys(exps)
    counts = table.key_counts()  # given by the keys' own count where it came for free
    assert counts == Counter(table.keys) and list(counts) == list(dict.fromkeys(table.keys))
    if exps:
        assert table.row(-1) == exps[-1] and table.row(0) == exps[0]
    assert history.experiments == exps and table.rows() is history.experiments


@PROPS
@given(st.sampled_from(HEADERS), LINES, ENDS)
def test_a_plain_file_read_by_columns_is_the_history_read_row_by_row(
    header: str, lines: list[str], end: str
) -> None:
    text = "\n".join([header, *lines]) + end
    fast, slow = _parse(text, fast=True), _parse(text, fast=False)
    by_columns = isinstance(fast, History) and _by_columns(fast)  # (before == makes the rows)
    assert fast == slow
    if isinstance(fast, History) and isinstance(slow, History):
        assert fast.warnings == slow.warnings
        if by_columns:
            _check_table(parse_results(text, "f.tsv"), slow)


@PROPS
@given(st.lists(PLAIN, min_size=1, max_size=40), st.sampled_from(["\n", ""]))
def test_plain_rows_are_read_by_columns_and_give_the_same_verdict(
    rows: list[str], end: str
) -> None:
    text = "\n".join([HEADERS[0], *rows]) + end
    fast, slow = parse_results(text, "f.tsv"), parse_results(text, "f.tsv", fast=False)
    by_columns = _by_columns(fast)  # (before == makes the rows)
    assert fast == slow
    cells = [row.split("\t") for row in rows]
    zero = any(c[1] in ("0.000000", "0.") and c[2] == "0.0" and c[3] != "crash" for c in cells)
    assert by_columns == (len(set(rows)) == len(rows) and not zero)  # else it warns
    assert repr(judge(parse_results(text, "f.tsv"))) == repr(judge(slow))


@PROPS
@given(st.sampled_from(HEADERS), LINES, ENDS)
def test_the_scan_by_columns_is_the_scan_line_by_line(
    header: str, lines: list[str], end: str
) -> None:
    text = "\n".join([header, *lines]) + end
    found = plain_columns(text, "f.tsv")
    if found is None or len(set(lines)) < len(lines):
        return  # (two equal rows: `read_columns` sends the file to the scan, which warns)
    plain = scan(text, "f.tsv", fast=False)
    records = tuple(found.scan.records)
    assert records == plain.records and list(found.scan.records[1:3]) == list(records[1:3])
    assert found.scan.records[-1] == records[-1]
    assert [list(c) for c in zip(*(r.cells for r in records), strict=True)] == found.columns
    assert found.second == [float(r.cells[1]) for r in records]
    for name in ("schemas", "header_lines", "warnings", "line_count", "mode", "comments"):
        assert getattr(found.scan, name) == getattr(plain, name)
    assert scan(text, "f.tsv").plain_second


@PROPS
@given(st.lists(st.sampled_from(NUMBERS) | st.text("0123456789.-+e_ \u0663", max_size=20)))
def test_plain_floats_are_the_plain_number_pattern(cells: list[str]) -> None:
    plain = all(PLAIN_NUMBER.fullmatch(cell) for cell in cells)
    assert plain_floats(cells) == (list(map(float, cells)) if plain else None)


def _change_by_patterns(description: str) -> str:
    """`change_of` as written before its shortcuts (every pattern applied)."""
    text = description.strip().lower()
    while (stripped := _NOTE.sub("", text)) != text:
        text = stripped
    text = _SPACE.sub(" ", text).strip(" .;:,-")
    counted = _COUNTED.fullmatch(text)
    return counted.group(1) if counted else text


@PROPS
@given(st.text("abes lintcrko()[]_ .-\t\n2#", max_size=30))
def test_change_of_is_the_change_by_every_pattern(description: str) -> None:
    assert change_of(description) == _change_by_patterns(description)


_HASHES = re.compile(r"(?:[0-9a-fA-F]{7,40})")


@PROPS
@given(st.lists(st.text("0123456789abcdefABCDEFg-\u0663", max_size=42), max_size=8))
def test_hashes_in_bulk_are_the_hash_pattern(commits: list[str]) -> None:
    every = all(_HASHES.fullmatch(c) for c in commits)
    assert _lowered_hashes(commits) == ([c.lower() for c in commits] if every else None)


@pytest.mark.parametrize("path", real_params(REAL_RESULTS))
def test_every_real_file_read_by_columns_is_the_history_and_verdict_row_by_row(
    path: Path,
) -> None:
    data = read_bytes(str(path))
    try:
        slow = parse_results(data, str(path), fast=False)
    except InputError:
        return  # (test_parse_fast_paths: the fast path raises too)
    fast = parse_results(data, str(path))
    by_columns = _by_columns(fast)  # (before == makes the rows)
    assert fast == slow
    if by_columns:
        _check_table(parse_results(data, str(path)), slow)
    if len(slow):
        assert repr(judge(parse_results(data, str(path)))) == repr(judge(slow))


def test_a_table_of_made_rows_reads_its_columns_from_them() -> None:
    history = parse_results("commit\tval_bpb\tstatus\na1b2c3d\t0.9\tkeep\n", "f.tsv", fast=False)
    table = RowTable.of_rows(history.experiments)
    assert table.values == [e.value for e in history.experiments]
    assert table.rows() == history.experiments


@pytest.mark.parametrize("expected", [0, 1, 4096, 10_001, 10_002, 50_000])
def test_a_file_read_at_once_is_the_file_read_by_chunks(tmp_path: Path, expected: int) -> None:
    path = tmp_path / "r.tsv"
    path.write_bytes(bytes(range(256)) * 39 + b"end")  # 9,987 bytes
    fd = os.open(path, os.O_RDONLY)
    try:
        assert _read_at_most(fd, str(path), 10_001, expected) == path.read_bytes()
        os.lseek(fd, 0, os.SEEK_SET)
        assert _read_at_most(fd, str(path), 100, expected) == path.read_bytes()[:100]
    finally:
        os.close(fd)
    assert read_bytes(str(path)) == path.read_bytes()


def test_a_history_read_by_columns_pickles_and_copies_with_its_experiments() -> None:
    text = "commit\tval_bpb\tstatus\ta1b2c3d\t0.9\tkeep\nb2c3d4e\t0.8\tdiscard\n"
    text = text.replace("status\t", "status\n")
    history = parse_results(text, "f.tsv")
    assert _by_columns(history)
    for made in (pickle.loads(pickle.dumps(history)), copy.deepcopy(history), copy.copy(history)):
        assert made == parse_results(text, "f.tsv", fast=False) and len(made) == 2


def test_without_a_description_column_the_experiment_name_describes_the_row() -> None:
    text = (
        "experiment\tval_bpb\tstatus\nbaseline_262k\t1.5699\tkeep\nexp3_warmdown200\t1.5128\tkeep\n"
    )
    history = parse_results(text)
    assert [e.description for e in history.experiments] == ["baseline_262k", "exp3_warmdown200"]
    assert history.metric == "val_bpb"
    noted = "exp_id\tval_loss\tnotes\ne1\t2.0\tfirst try\ne2\t1.9\tlr up\n"
    assert [e.description for e in parse_results(noted).experiments] == ["first try", "lr up"]
