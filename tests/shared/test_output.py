"""JSON envelope, strict JSON and the console factory."""

from __future__ import annotations

import contextlib
import io
import json
import math
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from autolab_shared.cli.output import (
    PipeSafeStream,
    dumps,
    envelope,
    error_entry,
    make_console,
    print_lines,
    to_jsonable,
)
from autolab_shared.cli.safetext import safe_line
from autolab_shared.core.exitcodes import ExitCode, exit_code_table


@dataclass(frozen=True)
class _Point:
    x: float
    label: str


def test_dumps_turns_non_finite_floats_into_null() -> None:
    text = dumps({"a": math.nan, "b": [math.inf, -math.inf, 1.5], "c": _Point(math.nan, "p")})
    assert json.loads(text) == {"a": None, "b": [None, None, 1.5], "c": {"x": None, "label": "p"}}


def test_to_jsonable_handles_enums_and_tuples() -> None:
    assert to_jsonable((ExitCode.RETEST, (1, 2))) == [2, [1, 2]]


def test_envelope_has_the_documented_keys() -> None:
    doc = envelope(tool="autojudge", tool_version="0.1.0", command="summary", exit_code=0, data={})
    assert set(doc) == {
        "schema_version",
        "tool",
        "tool_version",
        "command",
        "status",
        "exit_code",
        "data",
        "warnings",
        "errors",
    }
    assert doc["status"] == "ok"
    err = envelope(
        tool="t",
        tool_version="v",
        command="c",
        exit_code=3,
        errors=[error_entry("input_error", "no such file", "x.tsv")],
    )
    assert err["status"] == "error" and err["errors"][0]["path"] == "x.tsv"


def test_exit_code_values_are_the_api() -> None:
    assert [int(c) for c in ExitCode] == [0, 1, 2, 3, 4, 130]
    assert exit_code_table().count("\n") == len(ExitCode) - 1


def test_console_without_terminal_has_no_ansi() -> None:
    buf = io.StringIO()
    make_console(file=buf).print("[bold]x[/bold]")
    assert buf.getvalue() == "x\n"


def test_no_color_console_strips_styles_even_when_forced(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FORCE_COLOR", "1")
    buf = io.StringIO()
    make_console(file=buf).print("[bold red]x[/]")
    assert "\x1b[" in buf.getvalue()
    buf2 = io.StringIO()
    make_console(file=buf2, no_color=True).print("[bold red]x[/]")
    assert buf2.getvalue() == "x\n"


class _Closed(io.StringIO):
    def write(self, s: str) -> int:
        raise BrokenPipeError

    def fileno(self) -> int:
        raise OSError("no fd")


def test_pipe_safe_stream_swallows_broken_pipe() -> None:
    stream = PipeSafeStream(_Closed())
    assert stream.write("hello") == 5
    assert stream.broken
    stream.flush()


def _through_rich(lines: list[str]) -> str:
    buffer = io.StringIO()
    console = make_console(file=buffer)
    for i, line in enumerate(lines):
        console.print(line, markup=False, style="bold" if i == 0 else None)
    return buffer.getvalue()


LINES = st.lists(st.text(st.characters(blacklist_characters="\t"), max_size=60), max_size=5)


@settings(max_examples=300, deadline=None)
@given(LINES | st.sampled_from([["a\x1b[31mb", "x\ry\r\n", "é\u0301 中文", "[b]x[/b] :smile:"]]))
def test_print_lines_without_a_terminal_writes_what_rich_writes(lines: list[str]) -> None:
    out = io.StringIO()  # no terminal: the plain path
    with contextlib.redirect_stdout(out):
        print_lines(lines)
    assert out.getvalue() == _through_rich([safe_line(line) for line in lines])


def test_print_lines_with_a_tab_or_forced_colour_goes_through_rich(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        print_lines(["a\tb", "c"])
    assert out.getvalue() == _through_rich(["a\tb", "c"]) == "a       b\nc\n"
    monkeypatch.setenv("FORCE_COLOR", "1")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        print_lines(["title", "body"])
    assert "\x1b[1m" in out.getvalue()  # bold: rich wrote it
