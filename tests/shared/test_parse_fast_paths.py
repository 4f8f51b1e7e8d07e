"""The parser's fast paths (plain tab lines, plain rows, the experiment constructor, replicate
keys, configurations) give what the plain paths give: the same history, experiments, warnings
and keys, on any lines; and the stand-ins for slow imports (np.median, statistics.median,
Path.suffix) give what they stand in for."""

from __future__ import annotations

import statistics
from dataclasses import fields, replace
from pathlib import Path, PurePosixPath
from typing import NamedTuple

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import REAL_RESULTS, real_params

from autolab_shared.core.errors import InputError
from autolab_shared.core.scale import scale_for
from autolab_shared.parsing.cellvalues import PLAIN_NUMBER
from autolab_shared.parsing.inputkind import _suffix
from autolab_shared.parsing.replicates import Config, _Keys, group_configs, replicate_keys
from autolab_shared.parsing.results import Experiment, History, parse_results
from autolab_shared.parsing.textio import read_bytes
from autolab_shared.parsing.tsvlines import scan
from autolab_shared.stats.noise import _median
from autolab_shared.stats.nullnoise import _median as null_median
from autolab_shared.stats.nullnoise import consecutive_deltas

PROPS = settings(max_examples=300, deadline=None)

HEADERS = [
    "commit\tval_bpb\tmemory_gb\tstatus\tdescription",
    "commit\tval_bpb\tmemory_gb\tstatus\tdescription\tnotes",
    "commit\tval_bpb\tstatus\tdescription",
    "commit\tmetric\tpeak_vram_mb\tstatus\tdescription",
    "val_bpb\tdescription",
]
COMMITS = ["a1b2c3d", "A1B2C3D", "a1b2c3d-dirty", "baseline", "-", "", "#12", " a1b2c3d"]
VALUES = [
    "0.991000",
    "1",
    "-0.5",
    "0",
    "0.000000",
    "1e-3",
    "~0.99",
    "68.6%",
    "nan",
    "NA",
    "",
    " 0.98",
    "0.98 ",
    "1234567890123456",
    "x",
    "0.",
    "٣.5",
    "1.0\u00a0",
]
MEMORIES = ["44.0", "0.0", "0", "", "45123", "n/a", " 44.0", "44.0\x0b", "12.5GB"]
STATUSES = ["keep", "discard", "crash", "KEEP", "kept", "pending", "weird", "", "keep ", "FAIL"]
DESCRIPTIONS = ["base", "lr 0.04 -> 0.05", "rerun", "seed 2", "", "x\ty", "a  b", "→ unicode",
                "end ", "end\x0b", "nbsp\u00a0", " padded ", "columns: x", "trailing\t",
                "\t\t"]  # fmt: skip


def _cells() -> st.SearchStrategy[str]:
    cell = st.sampled_from(COMMITS + VALUES + MEMORIES + STATUSES + DESCRIPTIONS)
    return st.lists(cell, min_size=1, max_size=7).map("\t".join)


ROW = st.builds(
    "{}\t{}\t{}\t{}\t{}".format,
    st.sampled_from(COMMITS),
    st.sampled_from(VALUES),
    st.sampled_from(MEMORIES),
    st.sampled_from(STATUSES),
    st.sampled_from(DESCRIPTIONS),
)
ODD = st.sampled_from(
    [
        "",
        "---",
        "# score: lower is better",
        "=== run 2 ===",
        "Columns: a\tb",
        "more text",
        "\x0c",
        " \t",
        *HEADERS,
    ]
)
LINES = st.lists(ROW | ROW | _cells() | ODD | st.text(max_size=30), min_size=1, max_size=30)
ENDS = st.sampled_from(["\n", "\r\n", ""])


def _parse(text: str, fast: bool) -> History | str:
    try:
        return parse_results(text, "f.tsv", fast=fast)
    except InputError as exc:
        return str(exc)


@PROPS
@given(st.sampled_from(HEADERS), LINES, ENDS)
def test_fast_paths_read_any_lines_as_the_line_by_line_path(
    header: str, lines: list[str], end: str
) -> None:
    text = "\n".join([header, *lines]) + end
    assert _parse(text, fast=True) == _parse(text, fast=False)


@PROPS
@given(st.sampled_from(HEADERS), LINES, ENDS)
def test_a_scan_says_plain_second_only_when_every_second_cell_is_plain(
    header: str, lines: list[str], end: str
) -> None:
    found = scan("\n".join([header, *lines]) + end, "f.tsv")
    if found.plain_second:
        assert all(PLAIN_NUMBER.fullmatch(r.cells[1]) for r in found.records)


@PROPS
@given(st.lists(ROW, min_size=1, max_size=40), ENDS)
def test_fast_paths_read_well_formed_rows_as_the_line_by_line_path(
    rows: list[str], end: str
) -> None:
    text = "\n".join([HEADERS[0], *rows]) + end
    fast = _parse(text, fast=True)
    assert fast == _parse(text, fast=False)
    assert isinstance(fast, History) and fast.warnings == _parse(text, fast=False).warnings


@pytest.mark.parametrize("path", real_params(REAL_RESULTS))
def test_fast_paths_read_every_real_file_as_the_line_by_line_path(path: Path) -> None:
    data = read_bytes(str(path))
    try:
        slow = parse_results(data, str(path), fast=False)
    except InputError:
        with pytest.raises(InputError):
            parse_results(data, str(path))
        return
    assert parse_results(data, str(path)) == slow


@PROPS
@given(st.lists(ROW, min_size=1, max_size=40))
def test_experiments_of_the_fast_path_are_built_as_the_class_builds_them(rows: list[str]) -> None:
    text = "\n".join([HEADERS[0], *rows]) + "\n"
    fast, slow = parse_results(text, fast=True), parse_results(text, fast=False)
    for made, plain in zip(fast.experiments, slow.experiments, strict=True):
        assert type(made) is Experiment and hash(made) == hash(plain) and repr(made) == repr(plain)
        assert list(vars(made).items()) == list(vars(plain).items())


class _Row(NamedTuple):
    commit: str
    description: str


KEY_COMMITS = ["abc1234", "ABC1234", "abc1234-dirty", "def5678", "baseline", "-", "HEAD", ""]
KEY_DESCRIPTIONS = ["lr 0.04 to 0.05", "GeLU", "GeLU (again)", "rerun", "Re-Run 2", "seed 3", "",
                    "rerun-of:abc1234", "RERUN-OF:def5678 x", "baseline 2", "verify GeLU",
                    "brunch", "\u0130 x", "RUN \u0130", "a\nrun"]  # fmt: skip


def assert_keys_at_once_match_row_by_row(pairs: list[tuple[str, str]]) -> None:
    """The keys of all rows at once equal the keys taken row by row, with the same reuse."""
    rows = [_Row(c, d) for c, d in pairs]
    at_once, one_by_one = _Keys(), _Keys()
    found = at_once.all(rows)
    assert found == [one_by_one.key(r.commit, r.description, i) for i, r in enumerate(rows)]
    assert at_once.reused == one_by_one.reused
    assert at_once.last.items() <= one_by_one.last.items()


@PROPS
@given(st.lists(st.tuples(st.sampled_from(KEY_COMMITS), st.sampled_from(KEY_DESCRIPTIONS))))
def test_keys_of_all_rows_at_once_are_the_keys_row_by_row(pairs: list[tuple[str, str]]) -> None:
    assert_keys_at_once_match_row_by_row(pairs)


HEX_COMMITS = ["abc1234", "ABC1234", "aBc1234", "def5678", "1234567", "def5678abc", "0123456789"]


@PROPS
@given(st.lists(st.tuples(st.sampled_from(HEX_COMMITS), st.sampled_from(KEY_DESCRIPTIONS))))
def test_keys_of_rows_with_bare_hashes_are_the_keys_row_by_row(
    pairs: list[tuple[str, str]],
) -> None:
    assert_keys_at_once_match_row_by_row(pairs)


def test_grouped_configurations_equal_configurations_built_by_the_class() -> None:
    text = (
        "\n".join([HEADERS[0], *[f"{i % 7:07x}\t0.99{i}\t44.0\tkeep\tx{i % 3}" for i in range(60)]])
        + "\n"
    )
    history = parse_results(text, "f.tsv")
    keys = replicate_keys(history.experiments)
    configs = group_configs(history.experiments)
    expected = {
        k: tuple(e for e, key in zip(history.experiments, keys, strict=True) if key == k)
        for k in dict.fromkeys(keys)
    }
    assert configs == [Config(k, rows) for k, rows in expected.items()]
    assert [hash(c) for c in configs] == [hash(Config(k, r)) for k, r in expected.items()]


@PROPS
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=40))
def test_the_median_without_numpy_ma_is_numpys_median(values: list[float]) -> None:
    array = np.asarray(values)
    assert repr(_median(array)) == repr(float(np.median(array)))


@PROPS
@given(
    st.lists(
        st.sampled_from(["a", "b.log", ".log", "..log", "x.", "log", ".", "c.tsv"]),
        min_size=1,
        max_size=4,
    ).map("/".join)
)
def test_the_suffix_without_pathlib_is_pathlibs(path: str) -> None:
    if not path.endswith(("/", "/.", "/..")) and path not in (".", ".."):  # a file's path
        assert _suffix(path) == PurePosixPath(path).suffix


@PROPS
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=40))
def test_the_median_without_statistics_is_statistics_median(values: list[float]) -> None:
    assert repr(null_median(values)) == repr(statistics.median(values))


@PROPS
@given(
    st.lists(
        st.tuples(st.sampled_from(["keep", "discard", "crash", "weird"]), st.booleans()),
        min_size=1,
        max_size=6,
    )
)
def test_a_configurations_label_is_read_from_its_valued_rows(rows: list[tuple[str, bool]]) -> None:
    text = "".join(
        f"abc1234\t{'0.99' if valued else 'nan'}\t44.0\t{status}\tx\n" for status, valued in rows
    )
    history = parse_results(HEADERS[0] + "\n" + text, "f.tsv")
    (config,) = group_configs(history.experiments)
    statuses = {e.status for e in config.valued}
    expected = True if "keep" in statuses else False if "discard" in statuses else None
    assert config.label == expected


@PROPS
@given(st.lists(ROW, min_size=1, max_size=40))
def test_deltas_that_skip_a_key_are_the_deltas_of_the_rows_without_it(rows: list[str]) -> None:
    exps = parse_results("\n".join([HEADERS[0], *rows]) + "\n", "f.tsv").experiments
    keys = replicate_keys(exps)
    values = [e.value for e in exps if e.value is not None]
    scale = scale_for(values, "min")
    for skip in dict.fromkeys(keys):
        kept = [(e, k) for e, k in zip(exps, keys, strict=True) if k != skip]
        expected = consecutive_deltas([e for e, _ in kept], scale, [k for _, k in kept])
        assert consecutive_deltas(exps, scale, keys, skip=skip) == expected


def test_the_hand_written_inits_set_every_field_in_order() -> None:
    args = (3, 5, 6, "abc1234", 0.99, 44.0, "keep", "KEEP", "lr up", (("seed", "1"),))
    made = Experiment(*args)
    names = [f.name for f in fields(Experiment)]
    assert list(vars(made).items()) == list(zip(names, args, strict=True))
    assert replace(made, value=0.5) == Experiment(*args[:4], 0.5, *args[5:])
    config = Config("abc1234", (made,))
    assert vars(config) == {f.name: getattr(config, f.name) for f in fields(Config)}
    same = Config(key="abc1234", rows=(made,))
    assert config == same and hash(config) == hash(same)
