"""Numeric cells of results files: plain numbers, lenient forms (``68.6%``, ``~0.51``), markers."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache

from autolab_shared.core.eqrepr import EqRepr

NUMBER = "number"  # a plain number
EMPTY = "empty"  # nothing written
MARKER = "marker"  # a conventional "no value" word: NA, n/a, nan, FAILED, -, ...
PERCENT = "percent"  # a number with a trailing %, read as the number itself
LENIENT = "lenient"  # a number with an unambiguous decoration (~, ≈, k, s, ms, x)
BAD = "bad"  # text that is not a number

NO_VALUE_MARKERS: frozenset[str] = frozenset(
    {
        "na",
        "n/a",
        "nan",
        "none",
        "null",
        "nil",
        "-",
        "--",
        "---",
        "—",
        "–",
        "?",
        "inf",
        "+inf",
        "-inf",
        "infinity",
        "fail",
        "failed",
        "crash",
        "crashed",
        "oom",
        "diverged",
        "invalid",
        "timeout",
        "error",
    }
)

MAX_MAGNITUDE = 1e15
"""Larger numbers are no measurement (and would overflow the statistics): a bad value."""

_NUM = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_PLAIN = re.compile(_NUM)
PLAIN_NUMBER = re.compile(r"-?\d{1,15}(?:\.\d{0,20})?")
"""A cell that is surely a finite number in range with nothing to strip (``float`` reads it)."""
_DECORATED = re.compile(
    rf"(?P<pre>~|≈|approx\.?)?\s*(?P<num>{_NUM})\s*(?P<unit>%|k|K|s|ms|x|×)?", re.IGNORECASE
)
_SCALE = {"k": 1000.0}


@dataclass(eq=False, repr=False)
class CellValue(EqRepr):
    """A cell read as a number: the value (None when there is none) and how it was read."""

    value: float | None
    kind: str


def parse_cell(cell: str) -> CellValue:
    """Read a metric-like cell; never raises. NaN, infinite or huge numbers give no value."""
    if PLAIN_NUMBER.fullmatch(cell):
        return CellValue(float(cell), NUMBER)
    text = cell.strip()
    if not text:
        return CellValue(None, EMPTY)
    if text.lower() in NO_VALUE_MARKERS:
        return CellValue(None, MARKER)
    if _PLAIN.fullmatch(text):
        return _finite(float(text), NUMBER)
    match = _DECORATED.fullmatch(text)
    if match is None or not (match["pre"] or match["unit"]):
        return CellValue(None, BAD)
    unit = (match["unit"] or "").lower()
    number = float(match["num"]) * _SCALE.get(unit, 1.0)
    return _finite(number, PERCENT if unit == "%" and not match["pre"] else LENIENT)


def _finite(number: float, kind: str) -> CellValue:
    return CellValue(number, kind) if in_range(number) else CellValue(None, BAD)


def in_range(number: float) -> bool:
    """Finite and at most :data:`MAX_MAGNITUDE` in size."""
    return math.isfinite(number) and abs(number) <= MAX_MAGNITUDE


def why_bad(cell: str) -> str:
    """Why a BAD cell has no value: out of range (a huge or infinite number) or not a number."""
    match = _DECORATED.fullmatch(cell.strip())
    if match is not None and not in_range(float(match["num"])):
        return f"is out of range (more than {MAX_MAGNITUDE:g} in size)"
    return "is not a number"


def is_number(cell: str) -> bool:
    """True when the cell reads as a number, leniently (``68.6%`` and ``~0.5`` count)."""
    return parse_cell(cell).value is not None


@cache
def _datetime() -> re.Pattern[str]:
    """A date or time stamp, compiled on first use (a plain results file never asks: the
    compile stays off a verdict's start-up)."""
    return re.compile(
        r"\[?(?:"
        # 2026-03-01 10:00
        r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?:[ T_]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
        r"|\d{1,2}/\d{1,2}/\d{2,4}(?: \d{1,2}:\d{2}(?::\d{2})?)?"  # 03/01/2026
        r"|\d{8}T\d{4,6}"  # 20260301T1000
        r"|\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?"  # 10:00:01
        r")(?:Z|[+-]\d{2}:?\d{2}|\s?UTC)?\]?",
        re.IGNORECASE,
    )


def is_datetime(cell: str) -> bool:
    """True for a date or time stamp (``2026-03-01``, ``2026-03-01T10:00Z``, ``10:00:01``)."""
    return _datetime().fullmatch(cell.strip()) is not None
