"""Replicates are the same commit *and* the same change; property tests on generated histories."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from autolab_shared.parsing.replicates import (
    candidate_key,
    change_of,
    replicate_keys,
    reused_commits,
    says_repeat,
)
from autolab_shared.parsing.results import parse_results

PROPS = settings(max_examples=200, deadline=None)
HEADER = "commit\tval_bpb\tmemory_gb\tstatus\tdescription\n"
HASHES = ["abc1234", "def5678", "0a1b2c3d"]
LABELS = ["baseline", "-", "unknown", "HEAD"]
CHANGES = ["lr 0.04 to 0.05", "GeLU", "depth 10", "warmdown 0.3", "batch 2**18"]


def _history(rows: list[tuple[str, str]]) -> str:
    body = "".join(f"{c}\t0.99{i:04d}\t44.0\tkeep\t{d}\n" for i, (c, d) in enumerate(rows))
    return HEADER + body


def _keys(rows: list[tuple[str, str]]) -> list[str]:
    return replicate_keys(parse_results(_history(rows)).experiments)


def test_one_commit_four_changes_are_four_experiments() -> None:
    rows = [("abc1234", d) for d in ("baseline", "lr 0.04 to 0.05", "GeLU", "depth 10")]
    history = parse_results(_history(rows))
    assert len(set(replicate_keys(history.experiments))) == 4
    reused = [w for w in history.warnings if w.code == "commit_reused"]
    assert len(reused) == 1 and reused[0].line == 2 and "4 different changes" in reused[0].reason


def test_descriptions_that_say_rerun_pool_with_the_change() -> None:
    rows = [
        ("abc1234", "depth 10"),
        ("abc1234", "depth 10 (rerun)"),
        ("abc1234", "  Depth  10 "),
        ("abc1234", "seed 2"),
        ("abc1234", "exp4 rerun: same"),
        ("def5678", "rerun-of:abc1234"),
        ("abc1234", "GeLU"),
        ("abc1234", "GeLU run 2"),
        ("abc1234", "depth 10 [crash: oom]"),
    ]
    keys = _keys(rows)
    assert keys[:6] == ["abc1234"] * 6
    assert keys[6] == keys[7] != "abc1234"
    assert keys[8] == "abc1234"  # the first change again, with a trailing note


def test_numbered_baselines_are_one_configuration() -> None:
    rows = [("abc1234", f"baseline {i}") for i in range(1, 4)] + [("abc1234", "baseline (a)")]
    assert len(set(_keys(rows))) == 1


def test_a_repeat_word_late_in_a_description_is_part_of_the_change() -> None:
    assert says_repeat("exp37 rerun: LR2=4e-4 + SWA")
    assert not says_repeat("int4 compression on all 11 layers, int4_step=4; verify roundtrip")
    assert not says_repeat("increase depth so the model completes the full validation pass")
    late = "int4-compression: layers 9,10 only; int4_step=4; verify exact"
    rows = [("abc1234", "int4-compression: all 11 layers int4_step=4"), ("abc1234", late)]
    assert len(set(_keys(rows))) == 2


def test_a_rerun_without_description_joins_the_latest_change() -> None:
    history = parse_results(_history([("abc1234", "baseline"), ("abc1234", "depth 10")]))
    rows = history.experiments
    latest = replicate_keys(rows)[-1]
    assert candidate_key(rows, "abc1234", "") == latest
    assert candidate_key(rows, "ABC1234", "depth 10") == latest
    assert candidate_key(rows, "abc1234", "baseline") == "abc1234"
    assert candidate_key(rows, "abc1234", "GeLU") not in replicate_keys(rows)
    assert candidate_key(rows, "baseline", "depth 10") == "#candidate"


def test_change_of_folds_case_space_and_trailing_notes() -> None:
    assert change_of("  Depth_10  (rerun) [seed 3] ") == "depth 10"
    assert change_of("baseline #2") == change_of("Baseline") == "baseline"
    assert change_of("depth 10") != change_of("depth 12")


_COMMITS = st.sampled_from(HASHES + LABELS)
_DESCS = st.sampled_from(CHANGES)
_ROWS = st.lists(st.tuples(_COMMITS, _DESCS), min_size=1, max_size=30)


@PROPS
@given(_ROWS)
def test_keys_pool_exactly_the_same_commit_and_change(rows: list[tuple[str, str]]) -> None:
    keys = _keys(rows)
    for i, (ci, di) in enumerate(rows):
        for j in range(i):
            cj, dj = rows[j]
            same = ci == cj and di == dj and ci in HASHES
            assert (keys[i] == keys[j]) == same, (rows[j], rows[i])


@PROPS
@given(_ROWS)
def test_commit_reused_is_warned_once_exactly_when_a_hash_has_two_changes(
    rows: list[tuple[str, str]],
) -> None:
    history = parse_results(_history(rows))
    changes = {c: {d for cc, d in rows if cc == c} for c in HASHES}
    expected = {c: len(d) for c, d in changes.items() if len(d) > 1}
    assert reused_commits(history.experiments) == expected
    warned = [w for w in history.warnings if w.code == "commit_reused"]
    assert len(warned) == (1 if expected else 0)


@PROPS
@given(_ROWS, st.sampled_from(["(rerun)", "rerun:", "seed 7", "run 3", "(repeat)"]))
def test_a_marked_rerun_always_joins_a_configuration_of_its_commit(
    rows: list[tuple[str, str]], marker: str
) -> None:
    commit = next((c for c, _ in rows if c in HASHES), None)
    if commit is None:
        return
    text = f"{marker} same code" if marker.endswith(":") else f"x {marker}"
    keys = _keys([*rows, (commit, text)])
    assert keys[-1] in {k for k, (c, _) in zip(keys, rows, strict=False) if c == commit}
