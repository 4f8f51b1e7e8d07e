"""Which rule groups of a classifier can match a text, from its words (docs/classifier.md).

A pattern that starts with ``\\b`` and a run of letters and digits (``\\bseeds?\\b``: "seed")
and has no ``|`` outside parentheses can only match where a word (a maximal ``\\w+`` run)
starts with that run, so it needs a word whose first one to three characters are those of the
run: its *key*. A group of patterns all of that shape is searched only when the text has a
word with one of its keys; any other group is always searched. Skipping a group that cannot
match leaves the first matching group, and so the classification, as it was.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import reduce
from operator import itemgetter, or_
from typing import Any

KEY_CHARS = 3  # keys are the first 1 to 3 characters of a word
_WORD = re.compile(r"\w+")
_RUN = re.compile(r"\\b([a-z0-9]+)")
_QUANTIFIER = "?*+{"
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


def group_keys(keys: Iterable[str | None], flags: int) -> frozenset[str] | None:
    """The keys of a group searched as one alternation with `flags`, from its patterns'
    keys; None (always search) when some pattern has none."""
    found = set()
    for key in keys:
        if key is None or flags & _OTHER_MEANING:
            return None
        found.add(key)
    return frozenset(found)


def _has_top_level_bar(pattern: str) -> bool:
    """Whether `pattern` has an alternation ``|`` outside groups and character sets."""
    depth, i, n = 0, 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":
            i = _set_end(pattern, i)
        elif pattern.startswith("(?#", i):  # a comment ends at its first ")"
            i = _comment_end(pattern, i)
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth <= 0:
            return True
        i += 1
    return False


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
    """The groups (bits of an int, in search order) that can match a text: those without keys
    and those with a key that starts a word of the text."""

    def __init__(self, keys: Sequence[frozenset[str] | None]) -> None:
        self.always = sum(1 << i for i, k in enumerate(keys) if k is None)
        by_key: dict[str, int] = {}
        for i, group in enumerate(keys):
            for key in group or ():
                by_key[key] = by_key.get(key, 0) | (1 << i)
        self._bits = _HeadBits(by_key)
        self._ascii_bits = _HeadBits({k.encode(): b for k, b in by_key.items()})

    def candidates(self, text: str) -> int:
        """The bits of the groups that may match `text`."""
        if text.isascii():  # the words: ASCII non-word characters made spaces, then split
            words = text.encode().translate(_ASCII_NON_WORD).split()
            heads = map(_HEAD, words)
            return reduce(or_, map(self._ascii_bits.__getitem__, heads), self.always)
        heads = map(_HEAD, _WORD.findall(text))
        return reduce(or_, map(self._bits.__getitem__, heads), self.always)
