"""Whole-command-line fuzzing: random results files, run.logs and options through each CLI's main.

Whatever the input, a run ends with a documented exit code, no traceback and no internal error;
its output is terminal-safe (no raw control character, no line starting with ``::``); under
``--format json`` stdout is one envelope; inputs are left byte-identical, except that a
successful ``--append`` adds exactly one line.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
HOSTILE_TEXT = st.sampled_from(
    [
        "\x1b]0;t\x07",
        "\x1b[2K\r",
        "\x1b[31m",
        "\r",
        "\x9b",
        "\u202e",
        "\u2066",
        "[red]",
        "[/]",
        "[link=x]",
        "::error::x",
        "```",
        "\x00",
        "\x7f",
        "é",
        "中",
        "\t",
        " ",
        "\\x1b",
    ]
)
TEXT = st.lists(st.one_of(HOSTILE_TEXT, st.text(max_size=8)), max_size=6).map("".join)
NUMBER = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(0.5, 1.5).map(lambda v: f"{v:.6f}"),
    st.sampled_from(
        [
            "1e308",
            "-1e308",
            "1.9e154",
            "inf",
            "-inf",
            "nan",
            "-0",
            "0,994",
            "99.4%",
            "",
            "9" * 400,
            "0x1p-2",
            "1_000",
            "  0.99  ",
            "0.99.1",
            "1e-320",
        ]
    ),
)
COMMIT = st.one_of(st.text("0123456789abcdef", min_size=7, max_size=7), TEXT)
STATUS = st.sampled_from(["keep", "discard", "crash", "KEEP", "", "weird"])
COLUMNS = ["commit", "val_bpb", "memory_gb", "status", "description", "val_loss", "agent"]


@st.composite
def results_file(draw: st.DrawFn) -> bytes:
    """A results file: a usual header or a mixed one, rows of hostile cells, or random bytes."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=400))
    if draw(st.booleans()):
        header = COLUMNS[:5]
    else:
        header = draw(st.lists(st.one_of(st.sampled_from(COLUMNS), TEXT), min_size=1, max_size=7))
    lines = ["\t".join(header)]
    for _ in range(draw(st.integers(0, 12))):
        cells = {"commit": COMMIT, "status": STATUS, "description": TEXT}
        row = [draw(cells.get(c, NUMBER)) for c in header]
        if draw(st.integers(0, 15)) == 0:
            row.append("x" * draw(st.integers(1000, 20000)))  # a huge extra field
        lines.append("\t".join(row))
    end = draw(st.sampled_from(["\n", "\r\n", "", "\r"]))
    return end.join(lines).encode("utf-8", "surrogatepass") + end.encode()


@st.composite
def run_log(draw: st.DrawFn) -> bytes:
    """A run.log: a summary block (maybe coloured, cut or doubled), junk, or random bytes."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=300))
    name = draw(st.sampled_from(["val_bpb", "bpb", "val_loss", "accuracy"]))
    block = f"---\n{name}: {draw(NUMBER)}\npeak_vram_mb: {draw(NUMBER)}\n"
    if draw(st.booleans()):
        block = f"\x1b[32m{block}\x1b[0m"
    text = draw(TEXT) + "\n" + block * draw(st.integers(0, 2)) + draw(TEXT)
    cut = draw(st.integers(0, len(text)))
    return text[: cut if draw(st.booleans()) else len(text)].encode("utf-8", "surrogatepass")


JUDGE_OPTIONS = [["--all"], ["-q"], ["--window", "0"], ["--window", "3"], ["--noise", "0.001"],
                 ["--policy", "strict"], ["--max-memory-gb", "40"], ["--metric", "val_loss"],
                 ["--direction", "max"], ["--no-color"]]  # fmt: skip
STEER_OPTIONS = [["--format", "prompt"], ["-q"], ["--mode", "explore"], ["--window", "0"],
                 ["-n", "5"], ["--metric", "val_loss"], ["--direction", "max"],
                 ["--seed", "3"]]  # fmt: skip
EVOLVE_OPTIONS = [["-q"], ["--metric", "val_loss"], ["--direction", "max"], ["--no-color"]]
OPTIONS: dict[str, Any] = {
    "autojudge": st.lists(st.sampled_from(JUDGE_OPTIONS), max_size=3),
    "autosteer": st.lists(st.sampled_from(STEER_OPTIONS), max_size=3),
    "autoevolve": st.lists(st.sampled_from(EVOLVE_OPTIONS), max_size=2),
}
GARBAGE = st.lists(
    st.one_of(st.sampled_from(["--", "-", "--format", "--bogus", "-x"]), TEXT), max_size=3
)


def _main(tool: str, args: list[str]) -> tuple[int, str, str]:
    """Run a CLI's main in this process; return its exit code, stdout and stderr."""
    cli = importlib.import_module(f"{tool}.cli").cli
    out, err = io.StringIO(), io.StringIO()
    stdin = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(b""))
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(args, prog_name=tool, standalone_mode=False)
    finally:
        sys.stdin = stdin
    return code, out.getvalue(), err.getvalue()


def _check(tool: str, args: list[str], files: dict[Path, bytes], appending: bool) -> None:
    before = {p: p.read_bytes() for p in files}
    code, out, err = _main(tool, args)
    assert code in (0, 1, 2, 3, 4), (code, err)
    assert "Traceback" not in err and "internal error" not in err, err
    for text in (out, err):
        assert not RAW.search(text), RAW.findall(text)
        assert not re.search(r"^\s*::", text, re.MULTILINE), text
    if _asks_for_json(args):
        doc = json.loads(out)
        assert doc["exit_code"] == code and doc["schema_version"] == 1
    for path, old in before.items():
        new = path.read_bytes()
        if appending and code in (0, 1, 2) and path.name == "results.tsv":
            assert new.startswith(old), (old[-40:], new[len(old) :])
            assert len(new.splitlines()) == len(old.splitlines()) + 1  # a torn line stays one
        elif not appending or code in (3, 4):
            assert new == old


def _asks_for_json(args: list[str]) -> bool:
    """The last --format value before any ``--`` is json."""
    options = args[: args.index("--")] if "--" in args else args
    values = [options[i + 1] for i, a in enumerate(options[:-1]) if a == "--format"]
    return bool(values) and values[-1].lower() == "json"


def _flatten(chosen: list[list[str]]) -> list[str]:
    return [word for option in chosen for word in option]


SETTINGS = settings(
    max_examples=int(os.environ.get("AUTOLAB_FUZZ_EXAMPLES", "40")),  # more: a longer hunt
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@SETTINGS
@given(
    results_file(),
    run_log(),
    OPTIONS["autojudge"],
    st.booleans(),
    st.booleans(),
    GARBAGE,
    st.integers(0, 5),
)
def test_autojudge_survives_any_command_line(
    results: bytes,
    log: bytes,
    opts: list[list[str]],
    with_run: bool,
    append: bool,
    garbage: list[str],
    shape: int,
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path, log_path = Path(tmp) / "results.tsv", Path(tmp) / "run.log"
        path.write_bytes(results)
        log_path.write_bytes(log)
        args = ["--results", str(path), *_flatten(opts)]
        if with_run and "--all" not in args:
            args += ["--run", str(log_path), "--commit", "abc1234", "--description", "fuzz"]
            args += ["--append"] if append else []
        args += ["--format", "json"] if shape < 3 else []
        args += garbage if shape == 5 else []
        _check("autojudge", args, {path: results, log_path: log}, "--append" in args)


@SETTINGS
@given(
    st.lists(results_file(), min_size=1, max_size=3),
    OPTIONS["autosteer"],
    GARBAGE,
    st.integers(0, 5),
)
def test_autosteer_survives_any_command_line(
    files: list[bytes], opts: list[list[str]], garbage: list[str], shape: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        paths = [Path(tmp) / f"r{i}.tsv" for i in range(len(files))]
        for p, data in zip(paths, files, strict=True):
            p.write_bytes(data)
        args = [word for p in paths for word in ("--results", str(p))] + _flatten(opts)
        args += ["--format", "json"] if shape < 3 and "prompt" not in args else []
        args += garbage if shape == 5 else []
        _check("autosteer", args, dict(zip(paths, files, strict=True)), False)


@SETTINGS
@given(
    results_file(),
    OPTIONS["autoevolve"],
    GARBAGE,
    st.integers(0, 5),
    st.sampled_from([[], ["status"], ["leaderboard"], ["export"]]),
)
def test_autoevolve_survives_any_command_line(
    results: bytes, opts: list[list[str]], garbage: list[str], shape: int, sub: list[str]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "results.tsv"
        path.write_bytes(results)
        args = sub or ["--results", str(path), *_flatten(opts)]
        args += ["--format", "json"] if shape < 3 and sub != ["export"] else []
        args += garbage if shape == 5 else []
        with contextlib.chdir(tmp):  # the subcommands look for a competition here (none)
            _check("autoevolve", args, {path: results}, False)
