"""Telling a results file from a run.log (autojudge refuses swapped --results/--run)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import REAL_RESULTS, REAL_RUNLOGS, real_params

from autolab_shared.parsing.inputkind import looks_like_results, looks_like_runlog, swapped_inputs

WORDS = st.text(
    st.characters(whitelist_categories=("L", "N"), max_codepoint=127), min_size=1, max_size=12
)
ROW = st.tuples(
    st.from_regex(r"[0-9a-f]{7}", fullmatch=True),
    st.floats(0, 10, allow_nan=False),
    st.sampled_from(["keep", "discard", "crash"]),
    WORDS,
)


@settings(max_examples=50, deadline=None)
@given(rows=st.lists(ROW, max_size=20), extra=st.booleans())
def test_any_results_file_is_never_taken_for_a_runlog(
    tmp_path_factory: pytest.TempPathFactory, rows: list[tuple[str, float, str, str]], extra: bool
) -> None:
    header = "commit\tval_bpb\tmemory_gb\tstatus\tdescription" + ("\tagent" if extra else "")
    lines = [header, *(f"{c}\t{v:.6f}\t44.0\t{s}\t{d}" for c, v, s, d in rows)]
    path = tmp_path_factory.mktemp("r") / "results.tsv"
    path.write_text("\n".join(lines) + "\n")
    assert looks_like_results(str(path)) and not looks_like_runlog(str(path))
    assert swapped_inputs(str(path), None) is None


@settings(max_examples=50, deadline=None)
@given(steps=st.lists(st.integers(0, 10**6), max_size=10), value=st.floats(0, 10))
def test_any_summary_log_is_taken_for_a_runlog(
    tmp_path_factory: pytest.TempPathFactory, steps: list[int], value: float
) -> None:
    lines = [f"step {s:05d} | loss: 3.2" for s in steps] + ["---", f"val_bpb:          {value:.6f}"]
    path = tmp_path_factory.mktemp("l") / "out.txt"
    path.write_text("\n".join(lines) + "\n")
    assert looks_like_runlog(str(path)) and not looks_like_results(str(path))
    assert "looks like a run.log" in (swapped_inputs(str(path), "run.log") or "")
    assert swapped_inputs("-", str(path)) is None  # a log given as --run is what is wanted


def test_a_results_file_given_as_run_is_refused(tmp_path: Path) -> None:
    results = tmp_path / "results.tsv"
    results.write_text("commit\tval_bpb\tmemory_gb\tstatus\tdescription\n")
    assert "looks like a results file" in (swapped_inputs("-", str(results)) or "")


@pytest.mark.parametrize("path", real_params(REAL_RESULTS))
def test_real_results_files_are_results(path: Path) -> None:
    assert not looks_like_runlog(str(path))


@pytest.mark.parametrize("path", real_params(REAL_RUNLOGS))
def test_real_runlogs_are_never_results(path: Path) -> None:
    assert not looks_like_results(str(path))
    assert swapped_inputs("results.tsv", str(path)) is None
