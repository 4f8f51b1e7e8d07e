"""Parse an autoresearch run.log: the ``---`` summary block, progress lines and crash evidence.

* Lines: numbers count ``\\n``-separated physical lines. Each physical line is also split like
  ``str.splitlines()`` (bare ``\\r`` progress chunks, CRLF), so a chunk of ``\\r``-joined progress
  lines is one physical line.
* Summary: the ``key: value`` lines after the last line that is exactly ``---``. The block ends
  at the first other line (one ``summary_trailing`` warning covers the rest). Values are typed:
  ``953`` → int, ``0.997900``/``nan``/``inf`` → float, anything else (``relu``) → str. A ``---``
  with no ``key: value`` lines after it, or followed by more training progress, is not a summary.
* Parameter-golf logs have no ``---`` block but end with lines such as
  ``final_int8_zlib_roundtrip_exact val_loss:2.07 val_bpb:1.22``: the inline ``key:value`` pairs
  of the last ``final_*`` line that names the metric become the summary (warning
  ``inline_metric``; ``summary_line`` is that line).
* With a summary, ``crash`` is None except: the metric is nan/inf → ``nan``; ``training_seconds``
  above ``TIMEOUT_FACTOR`` × ``time_budget`` (2 × 300 s: autoresearch kills a run after 10
  minutes) → ``timeout``. The summary is kept in both cases. A summary without the metric is
  not a crash; it gets a ``metric_missing`` warning.
* Without a summary, :func:`autolab_shared.crashes.classify` picks the crash kind.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TypeAlias

from .crashes import CRASH_KINDS, CrashInfo, Segment, classify, clip, last_step, step_of
from .diagnostics import ParseWarning
from .textio import decode, read_bytes

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
_INT = re.compile(r"[-+]?\d+", re.ASCII)
_FLOAT = re.compile(
    r"[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|nan|inf|infinity)", re.ASCII | re.IGNORECASE
)


@dataclass(frozen=True)
class RunLog:
    """One parsed run.log: its summary (possibly empty), crash verdict, warnings and progress."""

    path: str
    summary: Mapping[str, Value] = field(hash=False)
    crash: CrashInfo | None
    warnings: tuple[ParseWarning, ...]
    summary_line: int | None
    last_step: int | None
    metric_name: str = "val_bpb"

    @property
    def ok(self) -> bool:
        """True when the run finished with a summary and no crash was found."""
        return self.crash is None

    def get(self, key: str, default: Value | None = None) -> Value | None:
        """The typed summary value of ``key``, or ``default``."""
        return self.summary.get(key, default)

    def metric(self, name: str | None = None) -> float | None:
        """A numeric summary value as float (nan/inf included); None if absent or text."""
        value = self.summary.get(self.metric_name if name is None else name)
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
        """peak_vram_mb / 1024, as autoresearch's results.tsv records it."""
        mb = self.peak_vram_mb
        return None if mb is None else mb / 1024

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


def parse_value(text: str) -> Value:
    """Type a summary value: int if integral, float if numeric (nan/inf too), else the text."""
    text = text.strip()
    try:
        if _INT.fullmatch(text):
            return int(text)
        if _FLOAT.fullmatch(text):
            return float(text)
    except ValueError:  # an integer too long for int()
        pass
    return text


def read_runlog(
    path: str | os.PathLike[str], *, metric: str = "val_bpb", time_budget: float = 300.0
) -> RunLog:
    """Read and parse a run.log file; a missing or unreadable file raises InputError."""
    name = os.fspath(path)
    return parse_runlog(read_bytes(name), name, metric=metric, time_budget=time_budget)


def parse_runlog(
    data: str | bytes,
    path: str = "<string>",
    *,
    metric: str = "val_bpb",
    time_budget: float = 300.0,
) -> RunLog:
    """Parse run.log text or bytes; never raises on bad content (problems become warnings)."""
    text, warnings = _text(data, path)
    segments = _segments(text)
    block = _dash_block(segments, path, warnings) or _inline_block(segments, path, metric, warnings)
    if block is None:
        crash: CrashInfo | None = classify(segments, text)
    else:
        crash = _judge(block, metric, time_budget, path, warnings)
    if text.strip() and not text.endswith("\n"):
        reason = "no newline at the end of the file (cut off?)"
        warnings.append(ParseWarning(path, text.count("\n") + 1, "no_final_newline", reason))
    return RunLog(
        path=path,
        summary=MappingProxyType(block.values if block else {}),
        crash=crash,
        warnings=tuple(warnings),
        summary_line=block.start if block else None,
        last_step=last_step(segments)[0],
        metric_name=metric,
    )


def _text(data: str | bytes, path: str) -> tuple[str, list[ParseWarning]]:
    """Text of the input plus decoding warnings (BOM, UTF-16, invalid UTF-8, NULs)."""
    if isinstance(data, str):
        return data.removeprefix("\ufeff"), []
    decoded = decode(bytes(data), path)
    return decoded.text, list(decoded.warnings)


def _segments(text: str) -> list[Segment]:
    """(physical line, piece) for every piece of every ``\\n``-separated line."""
    segments: list[Segment] = []
    for number, line in enumerate(text.split("\n"), start=1):
        segments.extend((number, piece) for piece in line.splitlines())
    return segments


def _dash_block(
    segments: Sequence[Segment], path: str, warnings: list[ParseWarning]
) -> _Block | None:
    """The ``key: value`` block after the last ``---``, or None (with a warning why)."""
    sep = _last_separator(segments)
    if sep is None:
        return None
    start = segments[sep][0]
    block = _Block({}, {}, start)
    end = _read_block(segments, sep + 1, block, path, warnings)
    rest = [s for s in segments[end:] if s[1].strip()]
    if not block.values:
        reason = "'---' is not followed by key: value lines, so there is no summary"
        warnings.append(ParseWarning(path, start, "summary_empty", reason))
        return None
    if any(step_of(text) is not None for _, text in rest):
        reason = "training progress follows this '---' block, so it is not the final summary"
        warnings.append(ParseWarning(path, start, "summary_ignored", reason))
        return None
    if rest:
        reason = f"{len(rest)} line(s) after the summary ignored, from: {rest[0][1]}"
        warnings.append(ParseWarning(path, rest[0][0], "summary_trailing", clip(reason)))
    return block


def _last_separator(segments: Sequence[Segment]) -> int | None:
    """Index of the last segment that is exactly ``---`` (ignoring surrounding blanks)."""
    for index in range(len(segments) - 1, -1, -1):
        if segments[index][1].strip() == "---":
            return index
    return None


def _read_block(
    segments: Sequence[Segment], first: int, block: _Block, path: str, warnings: list[ParseWarning]
) -> int:
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
            warnings.append(ParseWarning(path, number, "summary_line", f"{key!r} has no value"))
            continue
        if key in block.values:
            reason = f"{key!r} appears again in the summary; the last value is used"
            warnings.append(ParseWarning(path, number, "duplicate_key", reason))
        block.values[key] = value
        block.lines[key] = number
    return len(segments)


def _inline_block(
    segments: Sequence[Segment], path: str, metric: str, warnings: list[ParseWarning]
) -> _Block | None:
    """The inline ``key:value`` pairs of the last ``final_*`` line naming the metric."""
    for number, text in reversed(segments):
        if not _FINAL.match(text):
            continue
        pairs = _PAIR.findall(text)
        if all(key != metric for key, _ in pairs):
            continue
        values = {key: parse_value(raw) for key, raw in pairs}
        stage = text.split()[0]
        reason = f"no '---' summary; using the inline key:value pairs of the {stage} line"
        warnings.append(ParseWarning(path, number, "inline_metric", clip(reason)))
        return _Block(values, dict.fromkeys(values, number), number)
    return None


def _number(value: Value | None) -> float | None:
    """A numeric summary value as float, else None."""
    return float(value) if isinstance(value, (int, float)) else None


def _judge(
    block: _Block, metric: str, time_budget: float, path: str, warnings: list[ParseWarning]
) -> CrashInfo | None:
    """Crash verdict for a log with a summary: nan/inf metric or training far over budget."""
    value = block.values.get(metric)
    if value is None:
        keys = ", ".join(list(block.values)[:12])
        reason = clip(f"the summary has no {metric} (keys: {keys})")
        warnings.append(ParseWarning(path, block.start, "metric_missing", reason))
    elif isinstance(value, str):
        reason = clip(f"{metric} is not a number: {value!r}")
        warnings.append(ParseWarning(path, block.lines[metric], "metric_not_numeric", reason))
    elif not math.isfinite(value):
        return CrashInfo("nan", f"{metric} is {value} in the summary", block.lines[metric])
    limit = TIMEOUT_FACTOR * time_budget
    training = _number(block.values.get("training_seconds"))
    if time_budget > 0 and training is not None and training > limit:
        detail = _over_budget("training_seconds", training, time_budget)
        return CrashInfo("timeout", detail, block.lines["training_seconds"])
    total = _number(block.values.get("total_seconds"))
    if time_budget > 0 and total is not None and total > limit:
        reason = _over_budget("total_seconds", total, time_budget)
        warnings.append(ParseWarning(path, block.lines["total_seconds"], "long_run", reason))
    return None


def _over_budget(key: str, seconds: float, time_budget: float) -> str:
    """'training_seconds 700 is over 2 × the 300 s budget'."""
    return f"{key} {seconds:g} is over {TIMEOUT_FACTOR:g} × the {time_budget:g} s budget"
