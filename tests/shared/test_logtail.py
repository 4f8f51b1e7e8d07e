"""Reading a run.log from its tail gives what reading it whole gives (summary, warnings)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autolab_shared.core.errors import InputError
from autolab_shared.parsing.logtail import read_stream_tail, read_tail
from autolab_shared.parsing.runlog import parse_runlog, tail_runlog

FAST = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
progress = st.lists(
    st.tuples(st.integers(0, 99999), st.sampled_from(["\n", "\r", "\r\n"])), max_size=200
).map(lambda steps: "".join(f"step {s:05d} | loss: 3.{s:05d}{end}" for s, end in steps))
summaries = st.sampled_from(
    [
        "---\nval_bpb: 0.994213\npeak_vram_mb: 45060.2\n",
        "---\nval_bpb: 0.994213\n---\n",
        "\x1b[32m---\x1b[0m\nval_bpb: \x1b[1m0.994213\x1b[0m\n",
        "---\nval_bpb: 0.99\n---\nval_bpb: 0.994213\nextra line\n",
        "---\nval_bpb: 0.9942",
        "final_exact val_loss:2.07 val_bpb:0.994213\n",
    ]
)


def _view(run: object) -> tuple[object, ...]:
    fields = ("summary", "crash", "summary_line", "metric_key", "cut_line", "memory_mb")
    return tuple(dict(v) if k == "summary" else v for k in fields for v in [getattr(run, k)])


@FAST
@given(head=progress, tail=summaries, window=st.integers(64, 400))
def test_tail_parse_equals_whole_parse(tmp_path: Path, head: str, tail: str, window: int) -> None:
    path = tmp_path / "run.log"
    path.write_text(head + "\n" + tail, newline="")
    whole = parse_runlog(path.read_bytes(), str(path))
    part = tail_runlog(read_tail(path, tail=window), str(path))
    assert dict(part.summary) == dict(whole.summary)
    assert (part.crash is None) == (whole.crash is None)
    assert (part.metric_key, part.memory_mb) == (whole.metric_key, whole.memory_mb)
    assert (part.cut_line is None) == (whole.cut_line is None)
    notes = [w for w in part.warnings if w.code != "tail_only"]
    assert [w.code for w in notes] == [w.code for w in whole.warnings]
    offsets = {
        a.line - b.line for a, b in zip(whole.warnings, notes, strict=True) if a.line and b.line
    }
    if part.summary_line and whole.summary_line:
        offsets.add(whole.summary_line - part.summary_line)
    assert len(offsets) <= 1  # line numbers count from the tail: one shift for all
    stream = tail_runlog(read_stream_tail(io.BytesIO(path.read_bytes()), "-", tail=window), "-")
    assert dict(stream.summary) == dict(whole.summary)


@FAST
@given(text=st.text(alphabet=st.sampled_from("ab:-\n\r 0.9"), max_size=300))
def test_ansi_colours_never_change_the_parse(text: str) -> None:
    coloured = "".join(f"\x1b[3{len(text) % 8}m{c}\x1b[0m" if c not in "\r\n" else c for c in text)
    plain, painted = parse_runlog(text), parse_runlog(coloured)
    assert _view(plain)[:5] == _view(painted)[:5]


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    import os

    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(InputError, match="named pipe"):
        read_tail(tmp_path / "pipe")
