"""Why a run.log has no usable summary: out of memory, NaN loss, a traceback, a cut-off or nothing.

Rules, first match wins (a log *with* a summary is judged in :mod:`autolab_shared.parsing.runlog`):

1. ``oom``: any line saying "out of memory" or ``OutOfMemoryError`` (CUDA, MPS, ``RuntimeError``).
2. ``nan``: train.py's ``FAIL`` line (loss NaN or above 100) or a progress line whose loss is
   NaN/inf.
3. ``traceback``: a Python traceback; the detail is its exception line (the last traceback when
   there are several). A ``KeyboardInterrupt`` traceback counts as ``timeout`` (the run was
   stopped). Generic command failures near the end of the log (``command not found``,
   ``No such file or directory``, ``error:``, ``SomeError: …`` without a traceback, a segfault)
   are also ``traceback``, with that line as the detail.
4. ``timeout``: a kill message near the end (``Killed``, ``Terminated``, ``timed out``), or
   training progress lines and then nothing (the log was cut off mid-run).
5. ``empty``: an empty file or only whitespace.
6. Anything else (text but no summary, no evidence): ``timeout``, detail naming the last line:
   the run stopped before it printed a summary.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from autolab_shared.core.vocabulary import CrashKind

# the classes a run.log can show (CrashKind also holds autoevolve's)
CRASH_KINDS = (
    CrashKind.OOM,
    CrashKind.NAN,
    CrashKind.TIMEOUT,
    CrashKind.TRACEBACK,
    CrashKind.EMPTY,
)
DETAIL_MAX = 240
TAIL_LINES = 10

# One piece of a physical line (split on \r and the other str.splitlines breaks): (line, text).
Segment = tuple[int, str]


@dataclass(frozen=True)
class CrashInfo:
    """Why a run failed: kind (one of CRASH_KINDS), a one-line detail and the evidence line."""

    kind: CrashKind
    detail: str
    line: int | None


_STEP = re.compile(r"^\s*step[\s:=]+(\d{1,12})(?!\d)", re.IGNORECASE | re.ASCII)
_OOM = re.compile(r"out of memory|OutOfMemoryError", re.IGNORECASE)
_FAIL = re.compile(r"(?:^|\s)FAIL\s*$")
_NAN_LOSS = re.compile(r"loss\s*[:=]\s*[-+]?(?:nan|inf(?:inity)?)\b", re.IGNORECASE)
_TRACEBACK = "Traceback (most recent call last):"
_COMMAND = re.compile(
    r"command not found|No such file or directory|Segmentation fault|core dumped"
    r"|Illegal instruction|^\s*(?:error|fatal)\s*:",
    re.IGNORECASE,
)
_EXCEPTION = re.compile(r"^(?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*(?:Error|Exception|Exit)(?::|\s*$)")
_RANK = re.compile(r"^\[rank\d+\]: ?")
_KILLED = re.compile(
    r"^\s*(?:Killed|Terminated)\b|\btimed out\b|\btime limit\b|\btimeout\b", re.IGNORECASE
)


def clip(text: str) -> str:
    """One stripped line of at most DETAIL_MAX characters."""
    text = " ".join(text.split())
    return text if len(text) <= DETAIL_MAX else text[: DETAIL_MAX - 1] + "…"


def step_of(text: str) -> int | None:
    """The training step of a progress line (``step 00812 (…)``, ``step:812/20000``), else None."""
    match = _STEP.match(text)
    return int(match.group(1)) if match else None


def last_step(segments: Sequence[Segment]) -> tuple[int | None, int | None]:
    """The last training step seen in progress lines and its physical line."""
    for number, text in reversed(segments):
        step = step_of(text)
        if step is not None:
            return step, number
    return None, None


def classify(segments: Sequence[Segment], text: str) -> CrashInfo:
    """Classify a log that has no summary (see the module docstring for the rules)."""
    if not text.strip():
        return CrashInfo(
            CrashKind.EMPTY, "empty log" if not text else "log has only whitespace", None
        )
    for finder in (_find_oom, _find_nan, _find_traceback, _find_command, _find_killed):
        found = finder(segments)
        if found is not None:
            return found
    step, step_line = last_step(segments)
    if step is not None:
        cut = "" if text.endswith("\n") else " (no final newline)"
        return CrashInfo(CrashKind.TIMEOUT, f"log cut off after step {step}{cut}", step_line)
    number, last = _last_text(segments)
    return CrashInfo(CrashKind.TIMEOUT, clip(f"no summary; log ends at: {last}"), number)


def _last_text(segments: Sequence[Segment]) -> Segment:
    """The last non-blank segment (the caller knows there is one)."""
    for number, text in reversed(segments):
        if text.strip():
            return number, text
    return 0, ""


def _tail(segments: Sequence[Segment]) -> list[Segment]:
    """The last TAIL_LINES non-blank segments, oldest first."""
    tail: list[Segment] = []
    for segment in reversed(segments):
        if segment[1].strip():
            tail.append(segment)
            if len(tail) == TAIL_LINES:
                break
    return tail[::-1]


def _find_oom(segments: Sequence[Segment]) -> CrashInfo | None:
    """The last out-of-memory message, preferring an exception line over other mentions."""
    hits = [(n, t) for n, t in segments if _OOM.search(t)]
    if not hits:
        return None
    exceptions = [(n, t) for n, t in hits if _EXCEPTION.match(t)]
    number, text = (exceptions or hits)[-1]
    return CrashInfo(CrashKind.OOM, clip(text), number)


def _find_nan(segments: Sequence[Segment]) -> CrashInfo | None:
    """train.py's FAIL line, else the first progress line with a NaN/inf loss."""
    step: int | None = None
    first_nan: CrashInfo | None = None
    for number, text in segments:
        found = step_of(text)
        step = step if found is None else found
        if _FAIL.search(text):
            after = f" after step {step}" if step is not None else ""
            return CrashInfo(
                CrashKind.NAN, f"train.py printed FAIL (loss NaN or above 100){after}", number
            )
        match = _NAN_LOSS.search(text) if first_nan is None else None
        if match is not None:
            at = f" at step {step}" if step is not None else ""
            first_nan = CrashInfo(CrashKind.NAN, clip(match.group(0) + at), number)
    return first_nan


def _find_traceback(segments: Sequence[Segment]) -> CrashInfo | None:
    """The exception line of the last Python traceback."""
    start = None
    for index in range(len(segments) - 1, -1, -1):
        if _TRACEBACK in segments[index][1]:
            start = index
            break
    if start is None:
        return None
    for number, raw in segments[start + 1 :]:
        text = _RANK.sub("", raw, count=1)  # torchrun prefixes every line with "[rank0]: "
        if not text.strip() or text[:1].isspace():
            continue
        interrupted = text.strip().startswith("KeyboardInterrupt")
        kind = CrashKind.TIMEOUT if interrupted else CrashKind.TRACEBACK
        return CrashInfo(kind, clip(text), number)
    return CrashInfo(
        CrashKind.TRACEBACK, "traceback cut off before its exception line", segments[start][0]
    )


def _find_command(segments: Sequence[Segment]) -> CrashInfo | None:
    """A shell or runtime failure line near the end of the log."""
    for number, text in reversed(_tail(segments)):
        if _COMMAND.search(text) or _EXCEPTION.match(text):
            return CrashInfo(CrashKind.TRACEBACK, clip(text), number)
    return None


def _find_killed(segments: Sequence[Segment]) -> CrashInfo | None:
    """A kill or time-limit message near the end of the log."""
    for number, text in reversed(_tail(segments)):
        if _KILLED.search(text):
            return CrashInfo(CrashKind.TIMEOUT, clip(text), number)
    return None
