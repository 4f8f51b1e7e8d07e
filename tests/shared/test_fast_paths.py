"""The speed paths give what the plain paths give: scanner fast path, cell fast path, the
two-process map, description facts, replicate grouping and the bandit's zero weights."""

from __future__ import annotations

import csv
import dataclasses
import math
import os
import random
import re
import signal
import statistics
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import REAL_RESULTS, REPO_ROOT, load_script, real_params

from autolab_shared.core.errors import InputError
from autolab_shared.files.forkmap import can_fork, map_in_halves, run_beside
from autolab_shared.parsing.cellvalues import parse_cell
from autolab_shared.parsing.changepart import _CUT, _CUT_LOWER, strip_labels
from autolab_shared.parsing.replicates import group_configs
from autolab_shared.parsing.results import parse_results
from autolab_shared.parsing.textio import decode, read_bytes
from autolab_shared.parsing.tsvlines import scan
from autolab_shared.steering import steerdata
from autolab_shared.steering.bandit import GAMMA, arm_stats, median_gain, pick, scores
from autolab_shared.steering.classify import Classifier
from autolab_shared.steering.ideas import _STOP as _TOKEN_STOP
from autolab_shared.steering.ideas import (
    JACCARD_MIN,
    _core,
    _expand,
    _forms,
    _plain_integer,
    description_tokens,
    jaccard,
    load_ideas,
    tried_from,
    untried,
)
from autolab_shared.steering.knobs import ALIASES, _simple, knob_changes, parse_knobs
from autolab_shared.steering.steer import _last_others
from autolab_shared.steering.steerdata import (
    Facts,
    StepRow,
    _each_once,
    describe,
    noise_of,
    steering_rows,
)

BENCHMARKS = REPO_ROOT / "benchmarks"
FIXTURES = REPO_ROOT / "tests" / "fixtures"
PROPS = settings(max_examples=150, deadline=None)
CLASSIFIER = Classifier()

# Pieces of results files, well-formed and not: the fast path must hand every odd line back.
PIECES = [
    "commit\tval_bpb\tmemory_gb\tstatus\tdescription\n", "a1b2c3d\t0.991000\t44.0\tkeep\tbase\n",
    "0000001\t0.990\t44.0\tdiscard\tlr 0.04 -> 0.05\n", "c0ffee1\t1.0\t0\tcrash\tcolumns: x\n",
    "Columns: a\tb\n", "---\t1.0\n", "=== run 2 ===\n", " 123\t1.0\t2\tkeep\tx\n", "\n", "\t\n",
    "x\t1e999\t44\tkeep\td\n", "deadbee\t0.99\t44.0\tkeep\tdesc\textra\n", "more text\n",
    "deadbee\t0.99\tkeep\n", "commit\tval_bpb\tstatus\n", "9\t-1.5\t3\tkeep\t\n", "\r\n",
    "beef123\t.5\t44\tkeep\td\n", "a\t1\t2\t3\t4", "cafe123\t0.98\t44.0\tKEEP\t (x)\n",
]  # fmt: skip
TEXTS = st.lists(st.sampled_from(PIECES), min_size=1, max_size=40).map("".join)


@pytest.mark.parametrize("path", real_params(REAL_RESULTS))
def test_scanner_fast_path_equals_the_line_by_line_path_on_real_file(path: Path) -> None:
    text = decode(read_bytes(str(path)), "f").text
    if text.strip():
        assert scan(text, "f") == scan(text, "f", fast=False)


@PROPS
@given(TEXTS)
def test_scanner_fast_path_equals_the_line_by_line_path(text: str) -> None:
    if text.strip():
        assert scan(text, "f") == scan(text, "f", fast=False)


@PROPS
@given(st.from_regex(r"-?\d{1,25}(\.\d{0,25})?", fullmatch=True) | st.text(max_size=12))
def test_cell_fast_path_reads_as_the_stripped_path(cell: str) -> None:
    # a cell with spaces around it never takes the fast path and is read after strip()
    if cell == cell.strip():
        assert parse_cell(cell) == parse_cell(f" {cell} ")


def _facts_serially(texts: Sequence[str]) -> list[tuple[object, ...]]:
    out: list[tuple[object, ...]] = []
    for text in texts:
        found = CLASSIFIER(text)
        out.append((found.category, found.tags, parse_knobs(text), description_tokens(text)))
    return out


def _real_descriptions() -> list[str]:
    texts = []
    for path in sorted(REAL_RESULTS.iterdir()) if REAL_RESULTS.is_dir() else []:
        try:
            history = parse_results(read_bytes(str(path)), str(path))
        except InputError:  # not a results file: nothing to describe
            continue
        texts += [e.description for e in history.experiments]
    return texts


def test_describe_on_two_processes_equals_serial_facts_on_real_descriptions() -> None:
    texts = _real_descriptions()
    if not texts:
        pytest.skip(f"real data folder {REAL_RESULTS} is absent")
    facts = describe(texts, CLASSIFIER, minimum=2)
    assert [tuple(f) for f in facts] == _facts_serially(texts)
    assert all(type(f) is Facts and f == Facts(*f) and f.tokens is f[3] for f in facts)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.text(max_size=60), min_size=2, max_size=40))
def test_describe_on_two_processes_equals_serial_facts(texts: list[str]) -> None:
    assert [tuple(f) for f in describe(texts, CLASSIFIER, minimum=2)] == _facts_serially(texts)


def _squares(items: Sequence[int]) -> list[int]:
    return [i * i for i in items]


def test_map_in_halves_equals_the_plain_map() -> None:
    items = list(range(1001))
    assert map_in_halves(_squares, items, minimum=10) == _squares(items)
    assert map_in_halves(_squares, items, minimum=10**6) == _squares(items)
    assert map_in_halves(_squares, [], minimum=0) == []


PARENT = os.getpid()


def _fails_in_child(items: Sequence[int]) -> list[int]:
    if os.getpid() != PARENT:
        raise RuntimeError("child fails")
    return _squares(items)


def _unpicklable(items: Sequence[int]) -> list[object]:
    return [lambda i=i: i for i in items]


def test_map_in_halves_computes_a_failed_childs_half_itself() -> None:
    items = list(range(100))
    assert map_in_halves(_fails_in_child, items, minimum=10) == _squares(items)
    assert len(map_in_halves(_unpicklable, items, minimum=10)) == 100


@pytest.mark.parametrize("minimum", [10, 10**6])  # with a child (where one can run), without
def test_map_in_halves_calls_meanwhile_once_in_the_parent(minimum: int) -> None:
    calls: list[int] = []
    found = map_in_halves(_squares, list(range(100)), minimum, lambda: calls.append(os.getpid()))
    assert found == _squares(list(range(100))) and calls == [PARENT]


@pytest.mark.skipif(not can_fork(), reason="runs serially here")
def test_map_in_halves_stops_the_child_when_meanwhile_fails() -> None:
    def fails() -> None:
        raise ValueError("meanwhile fails")

    with pytest.raises(ValueError, match="meanwhile fails"):
        map_in_halves(_squares, list(range(100)), 10, fails)
    with pytest.raises(ChildProcessError):  # the child was reaped: no child is left
        os.waitpid(-1, os.WNOHANG)


def _fails_in_parent(items: Sequence[int]) -> list[int]:
    if os.getpid() == PARENT:
        raise ValueError("parent fails")
    return _squares(items)


@pytest.mark.skipif(not can_fork(), reason="runs serially here")
def test_map_in_halves_stops_the_child_when_the_parent_fails() -> None:
    with pytest.raises(ValueError, match="parent fails"):
        map_in_halves(_fails_in_parent, list(range(100)), minimum=10)
    with pytest.raises(ChildProcessError):  # the child was reaped: no child is left
        os.waitpid(-1, os.WNOHANG)


def _pid_and(value: int) -> tuple[int, int]:
    return os.getpid(), value


@pytest.mark.parametrize("valid", [True, False])  # a child's result accepted, or rejected
def test_run_beside_gives_both_results_and_computes_a_rejected_one_itself(valid: bool) -> None:
    calls: list[int] = []
    theirs, mine = run_beside(
        lambda: _pid_and(7), lambda: calls.append(os.getpid()) or 3, lambda r: valid
    )
    assert theirs[1] == 7 and mine == 3 and calls == [PARENT]
    # the child computed it where one can run and its result was taken; otherwise the parent
    assert (theirs[0] != PARENT) == (valid and can_fork())


def test_run_beside_computes_a_failed_childs_work_itself() -> None:
    items = list(range(50))
    found = run_beside(lambda: _fails_in_child(items), lambda: None, lambda r: True)
    assert found == (_squares(items), None)


@pytest.mark.parametrize("share", [0.0, 0.5, 0.9, 1.0])
def test_describe_equals_serial_facts_whatever_the_childs_share(
    share: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(steerdata, "CHILD_SHARE", share)
    texts = [*_benchmark_descriptions(300)[::7], "", "lr 0.1 -> 0.2 (worse)", "gpu1: DEPTH=12"]
    assert [tuple(f) for f in describe(texts, CLASSIFIER, minimum=2)] == _facts_serially(texts)


def _history_text(rows: int, seed: int) -> str:
    rng = random.Random(seed)
    ideas = [
        "MATRIX_LR 0.04 -> {v}",
        "add z-loss {v}",
        "SwiGLU activation",
        "eval {v}",
        "warmdown 0.5 to {v}",
        "rerun-of:{c} seed 2",
        "DEPTH 8 -> 9 (why: x)",
    ]
    lines = ["commit\tval_bpb\tmemory_gb\tstatus\tdescription"]
    for i in range(rows):
        desc = rng.choice(ideas).format(v=round(rng.uniform(0, 1), 3), c=f"{max(i - 1, 0):07x}")
        status = rng.choice(["keep", "discard", "discard", "crash"])
        value = "0.000000" if status == "crash" else f"{1 + rng.gauss(0, 0.01):.6f}"
        commit = f"{i // 2:07x}" if rng.random() < 0.3 else f"{i:07x}"
        lines.append(f"{commit}\t{value}\t44.0\t{status}\t{desc} #{i}")
    return "\n".join(lines) + "\n"


def test_steering_rows_from_two_processes_equal_serial_ones() -> None:
    history = parse_results(_history_text(20_400, 3), "big.tsv")
    noise = noise_of([history])
    texts = [e.description for e in history.experiments]
    serial = describe(texts, CLASSIFIER, minimum=10**9)
    rows = steering_rows([history], CLASSIFIER, noise)
    assert rows == steering_rows([history], CLASSIFIER, noise, serial)
    names = [f.name for f in dataclasses.fields(StepRow)]
    for row in rows:  # built without StepRow's __init__: the same as built with it
        assert list(vars(row)) == names
        assert row == StepRow(**vars(row)) and repr(row) == repr(StepRow(**vars(row)))
    assert tried_from(texts, []) == tried_from([], [], [f.tokens for f in serial])
    for some in (rows, rows[:3], rows[:200]):  # the last five "other" rows, read backwards
        assert (
            _last_others(some) == tuple(r.description for r in some if r.category == "other")[-5:]
        )


def _near_by_scan(tokens: frozenset[str], sets: Sequence[frozenset[str]]) -> bool:
    return any(jaccard(tokens, other) >= JACCARD_MIN for other in sets)


def test_the_token_index_finds_what_a_scan_finds_on_real_and_benchmark_histories() -> None:
    texts = _real_descriptions() + _benchmark_descriptions(3000) + [i.text for i in load_ideas()]
    sets = [description_tokens(t) for t in texts]
    tried = tried_from([], [], sets)
    forms = [form for idea in load_ideas() for form in _forms(idea.text)]
    # asked one by one (each new word indexed when asked), then the whole catalogue at once
    assert [tried._token_index.near(f) for f in forms] == [_near_by_scan(f, sets) for f in forms]
    primed = tried_from([], [], sets)
    assert [i.id for i in untried(load_ideas(), primed)] == [
        i.id
        for i in sorted(load_ideas(), key=lambda i: -i.score)
        if not (
            i.knob is not None
            and i.value is not None
            and primed._knob_index.tried(_expand(i.knob, i.value))
        )
        and not any(_near_by_scan(f, sets) for f in _forms(i.text))
    ]


def test_noise_groups_only_configurations_of_two_rows_or_more() -> None:
    history = parse_results(_history_text(3000, 4), "h.tsv")
    every = group_configs(history.experiments)
    assert group_configs(history.experiments, min_rows=2) == [c for c in every if len(c.rows) >= 2]


def _arm_stats_by_the_formula(
    rows: Sequence[StepRow], arms: Sequence[str], gamma: float
) -> dict[str, list[float]]:
    acc = {a: [0.0, 0.0, 0.0, 0.0] for a in arms}
    for row in rows:
        if row.category in acc:
            w = gamma ** (len(rows) - 1 - row.position) if row.position < len(rows) else 1.0
            a = acc[row.category]
            a[0] += w
            a[1] += w * row.success
            a[2] += w * (row.gain if row.success else 0.0)
            a[3] += w * row.crashed
    return acc


@pytest.mark.parametrize("gamma", [0.9, 0.95, 0.98])
def test_arm_stats_equal_the_formula_where_old_weights_are_zero(gamma: float) -> None:
    rng = random.Random(5)
    arms = ["a", "b", "c"]
    rows = [
        StepRow(i, "x", rng.choice(arms), (), rng.choice(["keep", "discard", "crash"]), "",
                rng.choice([0.0, 0.01, math.inf]), rng.random() < 0.3, False, (), "")
        for i in range(40_000)
    ]  # fmt: skip
    found = arm_stats(rows, arms, gamma)
    expected = _arm_stats_by_the_formula(rows, arms, gamma)
    for arm in arms:
        got = [found[arm].n, found[arm].s, found[arm].gain, found[arm].crashes]
        assert [repr(v) for v in got] == [repr(v) for v in expected[arm]]


def _pick_by_arm_stats(
    rows: Sequence[StepRow],
    arms: Sequence[str],
    mode: str,
    k: int,
    rng: random.Random,
    pending: Sequence[str],
) -> list[tuple[str, float]]:
    """bandit.pick as first written: arm_stats from the rows for every pick."""
    gamma = GAMMA.get(mode, 0.95)
    g_bar = median_gain(rows)
    chosen: list[tuple[str, float]] = []
    virtual, candidates = list(pending), list(arms)
    if mode == "random":
        tried = arm_stats(rows, arms, gamma)
        cut = statistics.median([s.n for s in tried.values()]) if tried else 0.0
        candidates = [a for a in arms if tried[a].n <= cut] or list(arms)
    if mode == "exploit":
        stats = arm_stats(rows, arms, gamma)
        candidates = [a for a in arms if stats[a].s > 0] or list(arms)
    for _ in range(k):
        stats = arm_stats(rows, candidates, gamma, virtual)
        ranked = sorted(scores(stats, mode, rng, g_bar).items(), key=lambda t: (-t[1], t[0]))
        chosen.append(ranked[0])
        virtual.append(ranked[0][0])
    return chosen


@pytest.mark.parametrize("mode", ["auto", "exploit", "explore", "random"])
def test_pick_sums_the_rows_once_with_the_same_picks(mode: str) -> None:
    rng = random.Random(6)
    arms = ["a", "b", "c", "d", "e"]
    for n in [0, 3, 500]:
        rows = [
            StepRow(i, "x", rng.choice([*arms, "other"]), (), rng.choice(["keep", "discard"]),
                    "", rng.random() / 50, rng.random() < 0.3, False, (), "")
            for i in range(n)
        ]  # fmt: skip
        for seed, pending in [(1, ()), (2, ("b",)), (3, ("a", "a", "zz"))]:
            found = pick(rows, arms, mode, 4, random.Random(seed), pending)
            assert found == _pick_by_arm_stats(rows, arms, mode, 4, random.Random(seed), pending)


@pytest.mark.skipif(not can_fork(), reason="runs serially here")
def test_map_in_halves_works_where_children_are_reaped_automatically() -> None:
    before = signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # as some embedding programs do
    try:
        items = list(range(500))
        assert map_in_halves(_squares, items, minimum=10) == _squares(items)
    finally:
        signal.signal(signal.SIGCHLD, before)


def _tokens_by_the_loop(text: str) -> frozenset[str]:
    """description_tokens as first written: a loop, numbers normalised one by one."""
    words = set()
    for token in re.findall(r"\d+(?:\.\d+)?(?:e[-+]?\d+)?|\.\d+|[a-z]+", _core(text)):
        if token[0].isdigit() or token[0] == ".":
            token = format(float(token), ".10g")
        if token not in _TOKEN_STOP:
            words.add(token)
    return frozenset(words)


@PROPS
@given(st.text(max_size=60) | st.from_regex(r"(gpu1: )?[a-z ]{0,9}[0-9٣.e-]{1,8}( to \.5)?"))
def test_description_tokens_equal_the_plain_loop(text: str) -> None:
    assert description_tokens(text) == _tokens_by_the_loop(text)


@PROPS
@given(st.integers(0, 10**12).map(str) | st.from_regex(r"[0-9٣]{1,12}", fullmatch=True))
def test_a_plain_integer_token_is_its_own_number_form(token: str) -> None:
    if _plain_integer(token):
        assert format(float(token), ".10g") == token
    else:
        assert token[0] in "0٣" or len(token) > 10 or not token.isascii()


def test_description_tokens_equal_the_plain_loop_on_real_and_benchmark_descriptions() -> None:
    texts = _real_descriptions() + _label_descriptions() + _benchmark_descriptions(3000)
    assert [description_tokens(t) for t in texts] == [_tokens_by_the_loop(t) for t in texts]


# ---------------------------------------------------------------------------- knob fast path


def _benchmark_descriptions(rows: int) -> list[str]:
    module = load_script(BENCHMARKS / "steer_speed.py")
    return list({d: None for d in module.synthetic_descriptions(rows)})


def _label_descriptions() -> list[str]:
    with (FIXTURES / "steer_labels.tsv").open(encoding="utf-8", newline="") as f:
        return [row["description"] for row in csv.DictReader(f, delimiter="\t")]


def test_knob_fast_path_reads_as_the_plain_path_on_real_and_labelled_descriptions() -> None:
    texts = _real_descriptions() + _label_descriptions()
    assert [parse_knobs(t) for t in texts] == [parse_knobs(t, fast=False) for t in texts]


def test_knob_fast_path_reads_as_the_plain_path_on_the_benchmark_descriptions() -> None:
    texts = _benchmark_descriptions(3000)
    assert sum(_simple(strip_labels(t)) is not None for t in texts) > len(texts) // 2
    assert [parse_knobs(t) for t in texts] == [parse_knobs(t, fast=False) for t in texts]


_NAMES = [
    *sorted(ALIASES)[::3], "val_bpb", "loss", "steps", "raise", "to", "from", "hypothesis",
    "percent", "gpu0", "exp3",
    "Adam beta1", "LR", "MATRIX_LR", "window", "mlp", "relu", "SSSL", "x", "e", "k",
]  # fmt: skip
_VALUES = ["0.04", "0.5", "12", "524K", "1e-3", "2**17", "5%", "1.", ".5", "SSSL", "relu", "high"]
_JOINS = [" -> ", " to ", "->", "=", ": ", " ", " from ", " → ", " => ", "  -> "]
_TAILS = ["", " #12", " #3 (worse)", " - regressed", ". Next", " (lr 0.1 -> 0.2)", "#4", " # 5"]
_PIECE = st.sampled_from(_NAMES + _VALUES + _JOINS + _TAILS + [",", ".", "(", ")", "#", "%"])


def _shaped(values: list[str], joins: list[str], tails: list[str]) -> st.SearchStrategy[str]:
    return st.builds(
        "{} {}{}{}{}".format,
        st.lists(st.sampled_from(_NAMES), min_size=1, max_size=3).map(" ".join),
        st.sampled_from(values),
        st.sampled_from(joins),
        st.sampled_from(values),
        st.sampled_from(tails),
    )


# mostly the fast path's own shape ("KNOB old -> new #12"), then near misses, then any mix
_SIMPLE_SHAPED = _shaped(["0.04", "12", "524K", "SSSL", "relu"], [" -> ", " to "], ["", " #12"])


@settings(max_examples=600, deadline=None)
@given(
    _SIMPLE_SHAPED
    | _shaped(_VALUES, _JOINS, _TAILS)
    | st.lists(_PIECE, min_size=1, max_size=12).map(" ".join)
)
def test_knob_fast_path_reads_as_the_plain_path(text: str) -> None:
    assert parse_knobs(text) == parse_knobs(text, fast=False)


# ---------------------------------------------------------------------------- change-part cut


def _cut_span(text: str) -> tuple[int, int] | None:
    m = _CUT.search(text, 1)
    return None if m is None else m.span()


def _lower_cut_span(text: str) -> tuple[int, int] | None:
    assert _CUT_LOWER is not None
    m = _CUT_LOWER.search(text.lower(), 1)
    return None if m is None else m.span()


def test_lower_cased_cut_finds_the_same_span_on_real_labelled_and_benchmark_text() -> None:
    texts = _real_descriptions() + _label_descriptions() + _benchmark_descriptions(3000)
    texts = [strip_labels(t) for t in texts if t.isascii()]
    assert [_lower_cut_span(t) for t in texts] == [_cut_span(t) for t in texts]


@PROPS
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=80))
def test_lower_cased_cut_finds_the_same_span(text: str) -> None:
    for variant in (text, text.upper(), text.title(), f"X {text} ON y - z"):
        assert _lower_cut_span(variant) == _cut_span(variant)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from(["lr 0.1 -> 0.2", "DEPTH=9", "x", "", "lr 0.1 -> 0.2 #3"])))
def test_each_once_reads_each_distinct_text_once_with_the_plain_result(texts: list[str]) -> None:
    calls: list[str] = []

    def read(text: str) -> tuple[object, ...]:
        calls.append(text)
        return knob_changes(text)

    found = _each_once(read, texts)
    assert found == [parse_knobs(t) for t in texts] and sorted(calls) == sorted(set(texts))
    first: dict[str, object] = {}
    for text, changes in zip(texts, found, strict=True):  # equal texts share one result
        assert first.setdefault(text, changes) is changes


def test_uncached_knob_changes_read_as_parse_knobs() -> None:
    texts = _real_descriptions() + _label_descriptions() + _benchmark_descriptions(2000)
    assert [knob_changes(t) for t in texts] == [parse_knobs(t) for t in texts]
