"""Property tests: the run.log parser never raises on damaged input and survives re-encoding."""

from __future__ import annotations

import codecs

from hypothesis import given, settings
from hypothesis import strategies as st

from autolab_shared.parsing.runlog import CRASH_KINDS, RunLog, parse_runlog

FAST = settings(max_examples=150, deadline=None)

VALID = (
    "Vocab size: 8,192\n"
    + "".join(f"\rstep {s:05d} ({s}.0%) | loss: 3.{s:06d} | remaining: 9s    " for s in range(30))
    + "\n---\nval_bpb:          0.997900\ntraining_seconds: 300.1\ntotal_seconds:    325.9\n"
    "peak_vram_mb:     45060.2\nnum_steps:        953\nactivation:       relu\n"
)

NOT_NUMBERS = {"nan", "inf", "infinity", "step"}
keys = st.from_regex(r"[a-z_][a-z0-9_]{0,15}", fullmatch=True).filter(lambda k: k != "step")
values = st.one_of(
    st.integers(-(10**9), 10**9),
    st.floats(-1e6, 1e6, allow_nan=False).map(lambda x: float(f"{x:.6f}")),
    st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True).filter(lambda s: s not in NOT_NUMBERS),
)
summaries = st.dictionaries(keys, values, min_size=1, max_size=12)
encodings = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "bom-le"])


def check(run: RunLog, text: str | None = None) -> None:
    """Invariants every parse result keeps."""
    assert run.crash is None or run.crash.kind in CRASH_KINDS
    assert run.ok == (run.crash is None)
    assert bool(run.summary) == (run.summary_line is not None)
    assert run.ok <= bool(run.summary)  # a finished run always has a summary
    if run.crash is not None:
        assert "\n" not in run.crash.detail and 0 < len(run.crash.detail) <= 240
    if text is not None:
        lines = text.count("\n") + 1
        found = [run.summary_line, run.crash.line if run.crash else None]
        found += [w.line for w in run.warnings]
        assert all(n is None or 1 <= n <= lines for n in found)


def render(summary: dict[str, float | int | str]) -> str:
    """A log whose summary block holds ``summary``."""
    body = "".join(
        f"{k}: {v:.6f}\n" if isinstance(v, float) else f"{k}:   {v}\n" for k, v in summary.items()
    )
    return "Time budget: 300s\n" + "\rstep 00001 | loss: 3.0    \n---\n" + body


def encode(text: str, encoding: str) -> bytes:
    if encoding == "bom-le":
        return codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    return text.encode(encoding)


@FAST
@given(st.binary(max_size=2000))
def test_random_bytes_never_raise(data: bytes) -> None:
    check(parse_runlog(data, "random.bin"))


@FAST
@given(st.text(alphabet=st.sampled_from("ab:-_ 0123456789.\r\n\t\x0bnaFIL\u2028"), max_size=400))
def test_random_text_never_raises(text: str) -> None:
    check(parse_runlog(text), text)


@FAST
@given(
    st.lists(
        st.tuples(st.integers(0, len(VALID)), st.sampled_from(["\r", "\n", "\t", "\r\n", ""])),
        max_size=12,
    ),
    st.integers(0, len(VALID)),
)
def test_damaged_valid_log_never_raises(damage: list[tuple[int, str]], cut: int) -> None:
    text = VALID
    for position, char in sorted(damage, reverse=True):
        text = text[:position] + char + text[position + 1 :]
    check(parse_runlog(text), text)
    check(parse_runlog(text[:cut]), text[:cut])
    check(parse_runlog(text.encode("utf-16")))


@FAST
@given(summaries, encodings, st.booleans())
def test_summary_survives_encoding_and_crlf(
    summary: dict[str, float | int | str], encoding: str, crlf: bool
) -> None:
    text = render(summary)
    if crlf:
        text = text.replace("\n", "\r\n")
    run = parse_runlog(encode(text, encoding), "enc.log")
    check(run)
    assert dict(run.summary) == summary
    assert run.summary_line == 3 and run.last_step == 1
    assert dict(parse_runlog(text).summary) == summary


FULL = "step 00001 | loss: 3.0\n---\nval_bpb: 0.994213\ntraining_seconds: 300.1\n---\n"


@settings(max_examples=150, deadline=None)
@given(cut=st.integers(0, len(FULL)), earlier=st.booleans())
def test_a_log_cut_anywhere_never_yields_a_truncated_metric(cut: int, earlier: bool) -> None:
    text = ("---\nval_bpb: 0.990000\n" if earlier else "") + FULL[:cut]
    run = parse_runlog(text)
    check(run, text)
    assert run.metric() in (None, 0.994213, 0.99)
    if run.cut_line is not None:
        assert run.metric() == (0.99 if earlier else None)
