"""Which rule groups of a classifier can match a text, from its words (docs/classifier.md).

A pattern that starts with ``\\b`` (or ``^``) and a run of letters and digits (``\\bseeds?\\b``:
"seed") and has no ``|`` outside parentheses can only match where a word (a maximal ``\\w+``
run) starts with that run, so it needs a word whose first one to three characters are those of
the run: its *key*. Any other pattern without a top-level ``|`` needs the longest run of
letters, digits, spaces and hyphens that it matches outside groups (look-arounds are
zero-width, so ``b(?<=\\db)its?`` needs "bit"): its *needle*. A group whose patterns all have a
key or a needle is searched only when the text has a word with one of its keys or holds one of
its needles; any other group is always searched. Skipping a group that cannot match leaves the
first matching group, and so the classification, as it was.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import reduce
from operator import itemgetter, or_
from typing import Any

KEY_CHARS = 3  # keys are the first 1 to 3 characters of a word
_WORD = re.compile(r"\w+")
_RUN = re.compile(r"(?:\\b|\^)([a-z0-9]+)")
_LITERAL = frozenset("abcdefghijklmnopqrstuvwxyz0123456789 -")
_ZERO_WIDTH = ("(?=", "(?!", "(?<=", "(?<!")
_QUANTIFIER = "?*+{"
_QUANTIFIERS = tuple(_QUANTIFIER)
_NUMBERED_ESCAPES = frozenset("xuU0123456789")
# Flags under which \b, \w or a literal letter could mean something else than in the words.
_OTHER_MEANING = re.IGNORECASE | re.ASCII | re.LOCALE | re.VERBOSE
_ASCII_NON_WORD = bytes(
    b if chr(b).isascii() and (chr(b).isalnum() or b == ord("_")) else ord(" ") for b in range(256)
)
_HEAD = itemgetter(slice(KEY_CHARS))  # a word's first KEY_CHARS characters
_MAX_HEADS = 1 << 16  # the cache of word heads -> groups is emptied when it grows past this


def pattern_key(pattern: re.Pattern[str]) -> str | None:
    """The key of a compiled pattern (its text as matched: `taxonomy.prepare_pattern`), or
    None when it has none."""
    text = pattern.pattern
    m = _RUN.match(text)
    if m is None or pattern.flags & _OTHER_MEANING or _has_top_level_bar(text):
        return None
    run = m.group(1)
    if text[m.end() : m.end() + 1] in tuple(_QUANTIFIER):  # "seeds?": the s is optional
        run = run[:-1]
    return run[:KEY_CHARS] or None


def pattern_needle(pattern: re.Pattern[str]) -> str | None:
    """The longest run of literal letters, digits, spaces and hyphens that every match of
    `pattern` holds (outside groups, look-arounds skipped), or None when there is none."""
    text = pattern.pattern
    if pattern.flags & _OTHER_MEANING or _has_top_level_bar(text):
        return None
    runs, run, i = [], "", 0
    while i < len(text):
        c = text[i]
        if c in _LITERAL and text[i + 1 : i + 2] not in _QUANTIFIERS:
            run += c
            i += 1
            continue
        if c == "(" and text.startswith(_ZERO_WIDTH, i):
            i = _group_end(text, i) + 1
            if text[i : i + 1] not in _QUANTIFIERS:
                continue  # zero-width: the run goes on after it
            runs.append(run)
            run = ""
            continue
        runs.append(run)
        run = ""
        i = _token_end(text, i)
    runs.append(run)
    return max(runs, key=len) or None


def _token_end(pattern: str, i: int) -> int:
    """Where the token at `i` (not a literal that continues a run) ends: an escape, a set, a
    group, a {m,n} quantifier, or one character."""
    c = pattern[i]
    if c == "\\":
        i += 2
        if pattern.startswith("N{", i - 1):  # \N{LATIN SMALL LETTER A}
            close = pattern.find("}", i)
            return len(pattern) if close < 0 else close + 1
        if pattern[i - 1 : i] in _NUMBERED_ESCAPES:  # \x41, \u00e9, \012, \1
            while i < len(pattern) and pattern[i].isalnum():
                i += 1
        return i
    if c == "[":
        return _set_end(pattern, i) + 1
    if c == "(":
        return _group_end(pattern, i) + 1
    if c == "{":
        close = pattern.find("}", i)
        return len(pattern) if close < 0 else close + 1
    return i + 1


def group_trigger(
    patterns: Sequence[re.Pattern[str]], keys: Sequence[str | None], flags: int
) -> tuple[frozenset[str], frozenset[str]] | None:
    """(keys, needles) of a group searched as one alternation with `flags`, from its patterns
    and their keys; None (always search) when some pattern has neither a key nor a needle."""
    if flags & _OTHER_MEANING:
        return None
    found: tuple[set[str], set[str]] = (set(), set())
    for pattern, key in zip(patterns, keys, strict=True):
        needle = None if key is not None else pattern_needle(pattern)
        if key is None and needle is None:
            return None
        found[key is None].add(key or needle)  # type: ignore[arg-type]
    return frozenset(found[0]), frozenset(found[1])


def _syntax(pattern: str, start: int = 0) -> Iterator[tuple[int, str, int]]:
    """(index, character, group depth after it) of each ``(``, ``)`` and ``|`` of `pattern`
    from `start`, past escapes, character sets and comments."""
    depth, i = 0, start
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":
            i = _set_end(pattern, i)
        elif pattern.startswith("(?#", i):  # a comment ends at its first ")"
            i = _comment_end(pattern, i)
        elif c in "()|":
            depth += (c == "(") - (c == ")")
            yield i, c, depth
        i += 1


def _has_top_level_bar(pattern: str) -> bool:
    """Whether `pattern` has an alternation ``|`` outside groups and character sets."""
    return any(c == "|" and depth <= 0 for _, c, depth in _syntax(pattern))


def _group_end(pattern: str, start: int) -> int:
    """The index of the ``)`` that closes the group opened at `start`."""
    if pattern.startswith("(?#", start):
        return _comment_end(pattern, start)
    ends = (i for i, c, depth in _syntax(pattern, start) if c == ")" and depth == 0)
    return next(ends, len(pattern))


def _comment_end(pattern: str, start: int) -> int:
    """The index of the ``)`` that closes the comment opened at `start`."""
    i = start + 3
    while i < len(pattern) and pattern[i] != ")":
        i += 2 if pattern[i] == "\\" else 1
    return i


def _set_end(pattern: str, start: int) -> int:
    """The index of the ``]`` that closes the character set opened at `start`."""
    i = start + 1
    if pattern[i : i + 1] == "^":
        i += 1
    if pattern[i : i + 1] == "]":  # a "]" first in a set is a literal
        i += 1
    while i < len(pattern) and pattern[i] != "]":
        i += 2 if pattern[i] == "\\" else 1
    return i


class _HeadBits(dict[Any, int]):
    """The first KEY_CHARS characters of a word -> the bits of the groups with a key that
    starts it, filled on first look-up (heads and keys both str, or both ASCII bytes)."""

    def __init__(self, by_key: dict[Any, int]) -> None:
        super().__init__()
        self._by_key = by_key
        self._lengths = sorted({len(k) for k in by_key})

    def __missing__(self, head: Any) -> int:
        if len(self) >= _MAX_HEADS:
            self.clear()
        bits = 0
        for n in self._lengths:
            bits |= self._by_key.get(head[:n], 0)
        self[head] = bits
        return bits


class GroupFilter:
    """The groups (bits of an int, in search order) that can match a text: those without a
    trigger, those with a key that starts a word of the text and those with a needle in it."""

    def __init__(self, triggers: Sequence[tuple[frozenset[str], frozenset[str]] | None]) -> None:
        self.always = sum(1 << i for i, t in enumerate(triggers) if t is None)
        by_key: dict[str, int] = {}
        self._needles: list[tuple[str, int]] = []
        for i, trigger in enumerate(triggers):
            keys, needles = trigger or ((), ())
            for key in keys:
                by_key[key] = by_key.get(key, 0) | (1 << i)
            self._needles += [(needle, 1 << i) for needle in sorted(needles)]
        self._bits = _HeadBits(by_key)
        self._ascii_bits = _HeadBits({k.encode(): b for k, b in by_key.items()})

    def candidates(self, text: str) -> int:
        """The bits of the groups that may match `text`."""
        found = self.always
        for needle, bit in self._needles:
            if needle in text:
                found |= bit
        if text.isascii():  # the words: ASCII non-word characters made spaces, then split
            words = text.encode().translate(_ASCII_NON_WORD).split()
            heads = map(_HEAD, words)
            return reduce(or_, map(self._ascii_bits.__getitem__, heads), found)
        heads = map(_HEAD, _WORD.findall(text))
        return reduce(or_, map(self._bits.__getitem__, heads), found)


# ---------------------------------------------------------------------------- first characters


def first_chars(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """The characters every match of `pattern` starts with, where its parse shows them simply
    (one alternation or sequence whose branches each start with a literal character, perhaps
    after an optional one), else None; case-insensitive patterns get None."""
    parser: Any = getattr(re, "_parser", None)  # Python 3.11+
    if parser is None or pattern.flags & _OTHER_MEANING:
        return None
    try:
        tree = parser.parse(pattern.pattern, pattern.flags)
    except Exception:  # a private parser that changed: no answer, not a wrong one
        return None
    items = list(tree.data)
    one_branch = len(items) == 1 and items[0][0] is parser.BRANCH
    branches = [list(b.data) for b in items[0][1][1]] if one_branch else [items]
    chars: set[str] = set()
    for branch in branches:
        for op, av in branch:
            if op is parser.LITERAL:
                chars.add(chr(av))
                break
            optional = op in (parser.MAX_REPEAT, parser.MIN_REPEAT) and av[0] == 0
            if not (optional and len(av[2].data) == 1 and av[2].data[0][0] is parser.LITERAL):
                return None
            chars.add(chr(av[2].data[0][1]))  # ",? x": "," or "x" starts the match
        else:
            return None  # no required literal: the branch may start anywhere
    return frozenset(chars)


def with_first_chars(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """`pattern` led by a look-ahead for its `first_chars`: the same matches, but the regex
    engine skips other characters quickly; `pattern` itself where they are not known."""
    chars = first_chars(pattern)
    if not chars:
        return pattern
    allowed = "".join(sorted(re.escape(c) for c in chars))
    try:
        return re.compile(f"(?=[{allowed}])(?:{pattern.pattern})", pattern.flags)
    except re.error:  # e.g. global flags at the start of `pattern`
        return pattern
