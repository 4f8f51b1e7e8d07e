"""Knob values as people write them (``524K``, ``2**19``, ``0.5M``, ``3e-4``, ``x2``, ``half``)
and when two written values are the same value. The one number reader of knob values.

Forms: a decimal or scientific number; ``a**b`` or ``a^b``; ``a/b``; products ``3 * 2**18``;
a ``K``/``M``/``B`` suffix; ``%`` (÷100); a factor ``0.7x``, ``x2``, ``×2``; the words ``half``,
``double``, ``triple``, ``quarter``. Quotes around a value are ignored.

The K/M/B rule: the number of ``524K`` is 524,000 (decimal), but people write K for 1,024 as
often as for 1,000 and round what they write, so a value with a suffix is the same as another
when either reading (×1000 or ×1024 per letter) lies within ±3 % (:data:`TOLERANCE`) of it:
``524K`` = ``512K`` = ``2**19`` = ``0.5M`` = 524,288. Values written without a suffix are the
same only when equal (to 1e-9 relative): ``0.68`` and ``0.7`` are different values.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

TOLERANCE = 0.03  # relative, for values written with a K/M/B suffix
EXACT = 1e-9

# No nested or overlapping quantifiers: each piece is a run of one character class.
_FACTOR_RE = re.compile(
    r"(?P<base>[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?)"
    r"(?:\s*(?:\*\*|\^)\s*(?P<power>[-+]?\d+(?:\.\d+)?))?"
    r"(?:/(?P<div>\d+(?:\.\d+)?))?(?P<suffix>[kmb])?"
)
_PRODUCT_RE = re.compile(r"(?<!\*)\*(?!\*)")
_WORDS = {"half": 0.5, "double": 2.0, "twice": 2.0, "triple": 3.0, "quarter": 0.25}
_DECIMAL = {"k": 1e3, "m": 1e6, "b": 1e9}
_BINARY = {"k": 1024.0, "m": 1024.0**2, "b": 1024.0**3}


def parse_value(text: str) -> float | None:
    """The number a written value stands for (K/M/B read as ×1000), or None for text that is
    not a number (``SSSL``, ``(0.9, 0.95)``, ``1e999``)."""
    found = readings(text)
    return None if found is None else found[0]


@lru_cache(maxsize=1 << 14)
def readings(text: str) -> tuple[float, ...] | None:
    """Every number `text` may stand for: one, or for a K/M/B suffix its decimal reading then
    its binary one (``64K`` -> 64000, 65536). None when `text` is not a number."""
    s = text.strip().strip("\"'").strip().lower().replace("×", "*")
    if s in _WORDS:
        return (_WORDS[s],)
    scale = 1.0
    if s.endswith("%"):
        s, scale = s[:-1].rstrip(), 0.01
    elif s.endswith("x"):
        s = s[:-1].rstrip()
    elif s.startswith(("x", "*")) and not s.startswith("**"):
        s = s[1:].lstrip()
    if not s or len(s) > 200:
        return None
    values = [scale]
    for factor in _PRODUCT_RE.split(s):
        read = _factor(factor.strip())
        if read is None:
            return None
        values = [v * r for v in values for r in read]
    if not all(math.isfinite(v) for v in values):
        return None
    return tuple(dict.fromkeys(values))


def _factor(text: str) -> tuple[float, ...] | None:
    m = _FACTOR_RE.fullmatch(text)
    if m is None:
        return None
    try:
        value = float(m["base"])
        if m["power"] is not None:
            value = value ** float(m["power"])
        if m["div"] is not None:
            value = value / float(m["div"])
    except (OverflowError, ZeroDivisionError, ValueError):
        return None
    if not isinstance(value, float) or not math.isfinite(value):
        return None  # a negative base to a fractional power is complex
    suffix = m["suffix"]
    if suffix is None:
        return (value,)
    return (value * _DECIMAL[suffix], value * _BINARY[suffix])


def is_abbreviated(text: str) -> bool:
    """Whether a value is written with a K/M/B suffix (and so compared within TOLERANCE)."""
    found = readings(text)
    return found is not None and len(found) > 1


def same_number(a: str, b: str) -> bool | None:
    """Whether two written numbers are the same value under the K/M/B rule; None when either
    is not a number."""
    num_a, num_b = readings(a), readings(b)
    if num_a is None or num_b is None:
        return None
    tol = TOLERANCE if len(num_a) > 1 or len(num_b) > 1 else EXACT
    return any(math.isclose(x, y, rel_tol=tol, abs_tol=1e-12) for x in num_a for y in num_b)


def relative_step(old: str | None, new: str) -> float | None:
    """(new - old)/|old| for two numbers (the direction and size of a change: positive when the
    value rises, also from a negative one), None otherwise."""
    if old is None:
        return None
    a, b = parse_value(old), parse_value(new)
    if a is None or b is None or a == 0:
        return None
    return (b - a) / abs(a)
