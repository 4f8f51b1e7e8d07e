"""Parse an autoresearch run.log: the ``---`` summary block, progress lines and crash evidence.

The rules, with the metric alias table, are written up for users in ``docs/runlog.md``.

* Lines: numbers count ``\\n``-separated physical lines. Each physical line is also split like
  ``str.splitlines()`` (bare ``\\r`` progress chunks, CRLF), so a chunk of ``\\r``-joined progress
  lines is one physical line. Terminal escape sequences (colours, titles) are removed first
  (warning ``ansi``). A log read from its tail (:mod:`autolab_shared.parsing.logtail`, warning
  ``tail_only``) numbers lines from the first line read.
* Summary: a ``---`` line followed by ``key: value`` lines; the block ends at the first other
  line (one ``summary_trailing`` warning covers the rest; a closing ``---`` is no such line).
  With several blocks the last counts (warning ``summary_blocks`` with the count). Values are
  typed: ``953`` → int, ``0.997900``/``nan``/``inf`` → float, anything else (``relu``) → str.
  A ``---`` with no ``key: value`` lines after it is not a summary (``summary_empty``), nor is a
  block followed by more training progress (``summary_ignored``).
* Parameter-golf logs have no ``---`` block but end with lines such as
  ``final_int8_zlib_roundtrip_exact val_loss:2.07 val_bpb:1.22``: the inline ``key:value`` pairs
  of the last ``final_*`` line that names the metric become the summary (warning
  ``inline_metric``; ``summary_line`` is that line). Their ``peak memory allocated: N MiB`` line
  gives the memory when the summary has no ``peak_vram_mb``.
* The metric is found under its own name or an alias (``bpb`` for ``val_bpb``; warning
  ``metric_alias``; :mod:`autolab_shared.parsing.metricalias`).
* A log that ends mid-line (no final newline) never has its last line's value used (warning
  ``cut_line``): when that line held the metric, ``cut_line`` is set and the summary is the
  last earlier complete block, or one without the metric.
* With a summary, ``crash`` is None except: the metric is nan/inf → ``nan``; ``training_seconds``
  above ``TIMEOUT_FACTOR`` × ``time_budget`` (2 × 300 s: autoresearch kills a run after 10
  minutes) → ``timeout``. The summary is kept in both cases. A summary without the metric is
  not a crash; it gets a ``metric_missing`` (or ``metric_not_numeric``) warning, and
  :func:`autolab_shared.parsing.runvalue.measured_value` makes it an input error.
* Without a summary, :func:`autolab_shared.parsing.crashes.classify` picks the crash kind.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, TypeAlias

from autolab_shared.core.diagnostics import ParseWarning
from autolab_shared.core.vocabulary import CrashKind, WarningCode
from autolab_shared.parsing.crashes import (
    CRASH_KINDS,
    CrashInfo,
    Segment,
    classify,
    clip,
    last_step,
    step_of,
)
from autolab_shared.parsing.metricalias import find_alias
from autolab_shared.parsing.textio import decode, describe_size

if TYPE_CHECKING:
    from autolab_shared.parsing.logtail import Tail

__all__ = [
    "CRASH_KINDS",
    "STANDARD_KEYS",
    "TIMEOUT_FACTOR",
    "CrashInfo",
    "RunLog",
    "parse_runlog",
    "parse_value",
    "read_runlog",
]

STANDARD_KEYS = (
    "val_bpb",
    "training_seconds",
    "total_seconds",
    "peak_vram_mb",
    "mfu_percent",
    "total_tokens_M",
    "num_steps",
    "num_params_M",
    "depth",
)
TIMEOUT_FACTOR = 2.0

Value: TypeAlias = "float | int | str"

_KV = re.compile(r"^\s*([A-Za-z_][\w.\-/]*)\s*:\s*(.*?)\s*$")
_PAIR = re.compile(r"(?<!\S)([A-Za-z_][\w.\-/]*):(\S+)")
_FINAL = re.compile(r"^\s*final_\w*\s")
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b\n]*(?:\x07|\x1b\\)?|\x1b[@-_]")
_PEAK_MEMORY = re.compile(r"peak memory allocated\s*[:=]\s*(\d+(?:\.\d+)?)\s*(MiB|GiB)", re.I)
_INT = re.compile(r"[-+]?\d+", re.ASCII)
_FLOAT = re.compile(
    r"[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|nan|inf|infinity)", re.ASCII | re.IGNORECASE
)


@dataclass(frozen=True)
class RunLog:
    """One parsed run.log: its summary (possibly empty), crash verdict, warnings and progress.

    ``metric_key`` is the summary key that holds the metric (``bpb`` for ``val_bpb``: see
    :mod:`autolab_shared.parsing.metricalias`); ``cut_line`` is the line holding the metric when the
    log ends in the middle of it (its value is not used; the summary is then an earlier complete
    one, or has no metric); ``memory_mb`` is ``peak_vram_mb``, else a ``peak memory allocated:
    N MiB`` line.
    """

    path: str
    summary: Mapping[str, Value] = field(hash=False)
    crash: CrashInfo | None
    warnings: tuple[ParseWarning, ...]
    summary_line: int | None
    last_step: int | None
    metric_name: str = "val_bpb"
    metric_key: str | None = None
    cut_line: int | None = None
    memory_mb: float | None = None
    metric_line: int | None = None

    @property
    def ok(self) -> bool:
        """True when the run finished with a summary and no crash was found."""
        return self.crash is None

    def get(self, key: str, default: Value | None = None) -> Value | None:
        """The typed summary value of ``key``, or ``default``."""
        return self.summary.get(key, default)

    def metric(self, name: str | None = None) -> float | None:
        """A numeric summary value as float (nan/inf included); None if absent or text."""
        key = (self.metric_key or self.metric_name) if name is None else name
        value = self.summary.get(key)
        return float(value) if isinstance(value, (int, float)) else None

    @property
    def val_bpb(self) -> float | None:
        """The summary's val_bpb."""
        return self.metric("val_bpb")

    @property
    def peak_vram_mb(self) -> float | None:
        """The summary's peak_vram_mb."""
        return self.metric("peak_vram_mb")

    @property
    def memory_gb(self) -> float | None:
        """Peak memory in MiB / 1024, as autoresearch's results.tsv records it."""
        return None if self.memory_mb is None else self.memory_mb / 1024

    @property
    def training_seconds(self) -> float | None:
        """The summary's training_seconds."""
        return self.metric("training_seconds")


@dataclass(frozen=True)
class _Block:
    """A summary found in the log: values, the line of each key and where it starts."""

    values: dict[str, Value]
    lines: dict[str, int]
    start: int
    warnings: list[ParseWarning] = field(default_factory=list)
    inline: bool = False  # a final_* line's pairs (several such lines are normal)


def parse_value(text: str) -> Value:
    """Type a summary value: int if integral (up to 16 characters), float if numeric (nan/inf
    too), else the text."""
    text = text.strip()
    if _INT.fullmatch(text) and len(text) <= 16:
        return int(text)
    if _FLOAT.fullmatch(text) or _INT.fullmatch(text):
        return float(text)  # a long integer becomes a float (inf when out of float's range)
    return text


def read_runlog(
    path: str | os.PathLike[str], *, metric: str = "val_bpb", time_budget: float = 300.0
) -> RunLog:
    """Read and parse a run.log file (a large one from its tail); problems raise InputError."""
    from autolab_shared.parsing.logtail import read_tail

    name = os.fspath(path)
    return tail_runlog(read_tail(name), name, metric=metric, time_budget=time_budget)


def tail_runlog(
    tail: Tail, path: str, *, metric: str = "val_bpb", time_budget: float = 300.0
) -> RunLog:
    """Parse the end of a run.log read by :mod:`autolab_shared.parsing.logtail`."""
    run = parse_runlog(
        tail.data, path, metric=metric, time_budget=time_budget, first_line=tail.first_line
    )
    if not tail.skipped:
        return run
    reason = (
        f"run.log is {describe_size(tail.size)}; only its last {describe_size(len(tail.data))}"
        f" are read (from byte {tail.skipped}"
        + ("; line numbers count from there)" if tail.first_line == 1 else ")")
    )
    note = ParseWarning(path, tail.first_line, WarningCode.TAIL_ONLY, reason)
    return replace(run, warnings=(note, *run.warnings))


def parse_runlog(
    data: str | bytes,
    path: str = "<string>",
    *,
    metric: str = "val_bpb",
    time_budget: float = 300.0,
    first_line: int = 1,
) -> RunLog:
    """Parse run.log text or bytes; never raises on bad content (problems become warnings)."""
    text, warnings = _text(data, path)
    segments = _segments(text, first_line)
    last = first_line + text.count("\n")
    cut = last if text.strip() and not text.endswith("\n") else None
    blocks = _dash_blocks(segments, path, warnings) or _inline_blocks(segments, metric)
    block, key, cut_line = _pick(blocks, metric, cut, path, warnings)
    if block is None:
        crash: CrashInfo | None = classify(segments, text)
    else:
        crash = _judge(block, metric, key, time_budget, path, warnings)
    if cut is not None:
        reason = "no newline at the end of the file (cut off?)"
        warnings.append(ParseWarning(path, cut, WarningCode.NO_FINAL_NEWLINE, reason))
    return RunLog(
        path=path,
        summary=MappingProxyType(block.values if block else {}),
        crash=crash,
        warnings=tuple(warnings),
        summary_line=block.start if block else None,
        last_step=last_step(segments)[0],
        metric_name=metric,
        metric_key=key,
        cut_line=cut_line,
        memory_mb=_memory_mb(block, segments),
        metric_line=block.lines.get(key) if block is not None and key is not None else None,
    )


def _text(data: str | bytes, path: str) -> tuple[str, list[ParseWarning]]:
    """Text of the input (terminal escapes removed) plus decoding warnings."""
    if isinstance(data, str):
        text, warnings = data.removeprefix("\ufeff"), []
    else:
        decoded = decode(bytes(data), path)
        text, warnings = decoded.text, list(decoded.warnings)
    if "\x1b" in text:
        text, count = _ANSI.subn("", text)
        reason = f"removed {count} terminal escape sequence(s) (colours, cursor moves)"
        warnings.append(ParseWarning(path, None, WarningCode.ANSI, reason))
    return text, warnings


def _segments(text: str, first_line: int = 1) -> list[Segment]:
    """(physical line, piece) for every piece of every ``\\n``-separated line."""
    segments: list[Segment] = []
    for number, line in enumerate(text.split("\n"), start=first_line):
        segments.extend((number, piece) for piece in line.splitlines())
    return segments


def _dash_blocks(
    segments: Sequence[Segment], path: str, warnings: list[ParseWarning]
) -> list[_Block]:
    """The ``key: value`` blocks after ``---`` lines (a closing ``---`` is skipped).

    Empty when there is none, or when training progress follows the last one (it was an
    intermediate report, not the final summary).
    """
    seps = [i for i, (_, text) in enumerate(segments) if text.strip() == "---"]
    blocks: list[tuple[_Block, int]] = []
    for sep in seps:
        block = _Block({}, {}, segments[sep][0])
        end = _read_block(segments, sep + 1, block, path)
        if block.values:
            blocks.append((block, end))
    if not blocks:
        if seps:
            reason = "'---' is not followed by key: value lines, so there is no summary"
            warnings.append(
                ParseWarning(path, segments[seps[-1]][0], WarningCode.SUMMARY_EMPTY, reason)
            )
        return []
    last, end = blocks[-1]
    rest = [s for s in segments[end:] if s[1].strip() and s[1].strip() != "---"]
    if any(step_of(text) is not None for _, text in rest):
        reason = "training progress follows this '---' block, so it is not the final summary"
        warnings.append(ParseWarning(path, last.start, WarningCode.SUMMARY_IGNORED, reason))
        return []
    if rest:
        reason = f"{len(rest)} line(s) after the summary ignored, from: {rest[0][1]}"
        last.warnings.append(
            ParseWarning(path, rest[0][0], WarningCode.SUMMARY_TRAILING, clip(reason))
        )
    return [block for block, _ in blocks]


def _read_block(segments: Sequence[Segment], first: int, block: _Block, path: str) -> int:
    """Fill ``block`` from ``key: value`` segments from index ``first``; return the end index."""
    for index in range(first, len(segments)):
        number, text = segments[index]
        if not text.strip():
            continue
        match = _KV.match(text)
        if match is None:
            return index
        key, raw = match.groups()
        value = parse_value(raw)
        if key.lower() == "step" and isinstance(value, str):  # a progress line, not a summary
            return index
        if not raw:
            block.warnings.append(
                ParseWarning(path, number, WarningCode.SUMMARY_LINE, f"{key!r} has no value")
            )
            continue
        if key in block.values:
            reason = f"{key!r} appears again in the summary; the last value is used"
            block.warnings.append(ParseWarning(path, number, WarningCode.DUPLICATE_KEY, reason))
        block.values[key] = value
        block.lines[key] = number
    return len(segments)


def _inline_blocks(segments: Sequence[Segment], metric: str) -> list[_Block]:
    """The inline ``key:value`` pairs of each ``final_*`` line naming the metric, in order."""
    blocks: list[_Block] = []
    for number, text in segments:
        if not _FINAL.match(text):
            continue
        pairs = _PAIR.findall(text)
        if find_alias(metric, [key for key, _ in pairs]) is None:
            continue
        values = {key: parse_value(raw) for key, raw in pairs}
        stage = text.split()[0]
        reason = f"no '---' summary; using the inline key:value pairs of the {stage} line"
        note = ParseWarning("", number, WarningCode.INLINE_METRIC, clip(reason))
        blocks.append(_Block(values, dict.fromkeys(values, number), number, [note], inline=True))
    return blocks


def _pick(
    blocks: list[_Block], metric: str, cut: int | None, path: str, warnings: list[ParseWarning]
) -> tuple[_Block | None, str | None, int | None]:
    """The summary that counts (the last complete one), its metric key and a cut metric line."""
    if not blocks:
        return None, None, None
    block = blocks[-1]
    cut_line = None
    key = find_alias(metric, block.values)
    if cut is not None and cut in block.lines.values():
        cut_keys = [k for k, line in block.lines.items() if line == cut]
        reason = clip(f"the log ends mid-line; {', '.join(cut_keys)} on the last line not used")
        warnings.append(ParseWarning(path, cut, WarningCode.CUT_LINE, reason))
        if key in cut_keys:
            cut_line = cut
            earlier = [b for b in blocks[:-1] if find_alias(metric, b.values) is not None]
            block = earlier[-1] if earlier else _without(block, cut_keys)
            key = find_alias(metric, block.values)
        else:
            block = _without(block, cut_keys)
        if not block.values:  # the block was only the cut line: no summary (cut_line says why)
            return None, None, cut_line
    if len(blocks) > 1 and not block.inline:
        reason = f"{len(blocks)} summary blocks in the log; the one at line {block.start} counts"
        warnings.append(ParseWarning(path, block.start, WarningCode.SUMMARY_BLOCKS, reason))
    warnings.extend(replace(w, path=path) for w in block.warnings)
    if key is not None and key != metric:
        reason = f"the summary calls the metric {key!r}; read as {metric}"
        warnings.append(ParseWarning(path, block.lines[key], WarningCode.METRIC_ALIAS, reason))
    return block, key, cut_line


def _without(block: _Block, keys: Sequence[str]) -> _Block:
    values = {k: v for k, v in block.values.items() if k not in keys}
    lines = {k: v for k, v in block.lines.items() if k not in keys}
    return _Block(values, lines, block.start, block.warnings, block.inline)


def _memory_mb(block: _Block | None, segments: Sequence[Segment]) -> float | None:
    """``peak_vram_mb`` of the summary, else the last ``peak memory allocated: N MiB`` line."""
    if block is not None:
        mb = _number(block.values.get("peak_vram_mb"))
        if mb is not None and math.isfinite(mb):
            return mb
    for _, text in reversed(segments):
        found = _PEAK_MEMORY.search(text)
        if found is not None:
            number, unit = float(found.group(1)), found.group(2).lower()
            return number * 1024 if unit.startswith("g") else number
    return None


def _number(value: Value | None) -> float | None:
    """A numeric summary value as float, else None."""
    return float(value) if isinstance(value, (int, float)) else None


def _judge(
    block: _Block,
    metric: str,
    key: str | None,
    time_budget: float,
    path: str,
    warnings: list[ParseWarning],
) -> CrashInfo | None:
    """Crash verdict for a log with a summary: nan/inf metric or training far over budget."""
    value = block.values.get(key) if key is not None else None
    if key is None or value is None:
        keys = ", ".join(list(block.values)[:12])
        reason = clip(f"the summary has no {metric} (keys: {keys})")
        warnings.append(ParseWarning(path, block.start, WarningCode.METRIC_MISSING, reason))
    elif isinstance(value, str):
        reason = clip(f"{metric} is not a number: {value!r}")
        warnings.append(
            ParseWarning(path, block.lines[key], WarningCode.METRIC_NOT_NUMERIC, reason)
        )
    elif not math.isfinite(value):
        return CrashInfo(CrashKind.NAN, f"{key} is {value} in the summary", block.lines[key])
    limit = TIMEOUT_FACTOR * time_budget
    training = _number(block.values.get("training_seconds"))
    if time_budget > 0 and training is not None and training > limit:
        detail = _over_budget("training_seconds", training, time_budget)
        return CrashInfo(CrashKind.TIMEOUT, detail, block.lines["training_seconds"])
    total = _number(block.values.get("total_seconds"))
    if time_budget > 0 and total is not None and total > limit:
        reason = _over_budget("total_seconds", total, time_budget)
        warnings.append(
            ParseWarning(path, block.lines["total_seconds"], WarningCode.LONG_RUN, reason)
        )
    return None


def _over_budget(key: str, seconds: float, time_budget: float) -> str:
    """'training_seconds 700 is over 2 × the 300 s budget'."""
    return f"{key} {seconds:g} is over {TIMEOUT_FACTOR:g} × the {time_budget:g} s budget"
