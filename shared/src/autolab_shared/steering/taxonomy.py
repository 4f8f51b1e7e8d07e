"""The autosteer taxonomy: ordered, first-match keyword rules that name the kind of a change.

The built-in taxonomy is ``autolab_shared/data/taxonomy.toml``. A file is a list of
``[[category]]`` entries, tried top to bottom; each has a ``name`` and ``patterns`` (regular
expressions on the lower-cased text, ``_`` read as a space), and one entry per name may
carry ``arm`` (false for pseudo-categories such as ``baseline``), ``description`` and
``angles`` (short phrases for suggestions). A name may appear again lower down with more
general patterns. ``[tags]`` holds the ``simplification`` and ``multi_change`` patterns.

A user file (``--taxonomy FILE``) has the same layout plus ``mode``: ``"extend"`` (default)
puts its entries before the built-in ones, and an entry naming a built-in category that
gives ``patterns`` replaces all of that category's built-in patterns (metadata it omits is
inherited); ``"replace"`` uses the file alone. ``other`` is always present: the fallback.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

from autolab_shared.core.errors import InputError
from autolab_shared.parsing.textio import read_bytes

BUILTIN_PATH = "autolab_shared/data/taxonomy.toml"
OTHER = "other"
BASELINE = "baseline"
MODES = ("extend", "replace")
TAG_NAMES = ("simplification", "multi_change")
_NAME = re.compile(r"[a-z][a-z0-9_]*")
_ENTRY_KEYS = frozenset({"name", "arm", "description", "angles", "patterns"})
_TOP_KEYS = frozenset({"mode", "category", "tags"})
_UNDERSCORE = re.compile(r"\(\?P[<=][^>)]*[>)]|_")  # group names are kept as written
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Category:
    """One category: whether it is a bandit arm, what it means, angles for suggestions, and
    every pattern that routes to it, in rule order."""

    name: str
    arm: bool = True
    description: str = ""
    angles: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rule:
    """One step of the first-match order: these patterns route to `category`."""

    category: str
    patterns: tuple[str, ...]


@dataclass(frozen=True)
class Taxonomy:
    """Categories (listing order), the ordered rules, and the tag patterns."""

    categories: tuple[Category, ...]
    rules: tuple[Rule, ...]
    simplification: tuple[str, ...] = ()
    multi_change: tuple[str, ...] = ()
    source: str = field(default=BUILTIN_PATH, compare=False)
    _index: Mapping[str, Category] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {c.name: c for c in self.categories})

    @property
    def names(self) -> tuple[str, ...]:
        """Category names in listing order."""
        return tuple(c.name for c in self.categories)

    def category(self, name: str) -> Category | None:
        """The category called `name`, or None."""
        return self._index.get(name)

    @property
    def tags(self) -> dict[str, tuple[str, ...]]:
        """Tag name -> its patterns."""
        return {"simplification": self.simplification, "multi_change": self.multi_change}


@dataclass(frozen=True)
class _Entry:
    """One ``[[category]]`` table as written: metadata fields that are absent stay None."""

    name: str
    patterns: tuple[str, ...] | None
    arm: bool | None = None
    description: str | None = None
    angles: tuple[str, ...] | None = None


@dataclass(frozen=True)
class _Doc:
    mode: str
    entries: tuple[_Entry, ...]
    tags: Mapping[str, tuple[str, ...]]


# ---------------------------------------------------------------------------- loading


def load_taxonomy(path: str | None = None) -> Taxonomy:
    """The built-in taxonomy, or a user file merged with it (see the module docstring).

    A file that cannot be read, is not valid TOML, or holds a bad entry or regex raises
    :class:`~autolab_shared.core.errors.InputError`.
    """
    if path is None:
        return _builtin()
    doc = _parse(read_bytes(path), path)
    if doc.mode == "replace":
        return _build(doc.entries, doc.tags, path)
    base = _parse(_builtin_bytes(), BUILTIN_PATH)
    entries = _extend(doc.entries, base.entries)
    tags = {name: doc.tags.get(name, base.tags.get(name, ())) for name in TAG_NAMES}
    return _build(entries, tags, f"{path} + built-in")


def parse_taxonomy(data: bytes | str, path: str = "<string>") -> Taxonomy:
    """A taxonomy from TOML text alone (no merging with the built-in one)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    doc = _parse(raw, path)
    return _build(doc.entries, doc.tags, path)


def _builtin_bytes() -> bytes:
    return resources.files("autolab_shared.data").joinpath("taxonomy.toml").read_bytes()


@lru_cache(maxsize=1)
def _builtin() -> Taxonomy:
    return parse_taxonomy(_builtin_bytes(), BUILTIN_PATH)


def _parse(data: bytes, path: str) -> _Doc:
    try:
        doc = tomllib.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise InputError(path, f"the taxonomy is not UTF-8: {exc.reason}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise InputError(path, f"invalid TOML: {exc}") from exc
    unknown = sorted(set(doc) - _TOP_KEYS)
    if unknown:
        raise InputError(path, f"unknown key {unknown[0]!r} (expected mode, category, tags)")
    mode = doc.get("mode", "extend")
    if mode not in MODES:
        raise InputError(path, f"mode must be 'extend' or 'replace', not {mode!r}")
    entries = doc.get("category", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise InputError(path, "`category` must be an array of tables ([[category]])")
    parsed = tuple(_entry(e, path, i + 1) for i, e in enumerate(entries))
    return _Doc(mode, parsed, _tags(doc.get("tags", {}), path))


def _entry(table: Mapping[str, Any], path: str, n: int) -> _Entry:
    unknown = sorted(set(table) - _ENTRY_KEYS)
    if unknown:
        raise InputError(path, f"category #{n}: unknown key {unknown[0]!r}")
    name = table.get("name")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InputError(path, f"category #{n}: `name` must be a snake_case string, not {name!r}")
    where = f"category {name!r}"
    arm = table.get("arm")
    if arm is not None and not isinstance(arm, bool):
        raise InputError(path, f"{where}: `arm` must be true or false")
    description = table.get("description")
    if description is not None and not isinstance(description, str):
        raise InputError(path, f"{where}: `description` must be a string")
    angles = _strings(table.get("angles"), path, f"{where}: `angles`")
    patterns = _strings(table.get("patterns"), path, f"{where}: `patterns`")
    for pattern in patterns or ():
        compile_pattern(pattern, path, where)
    return _Entry(name, patterns, arm, description, angles)


def _strings(value: object, path: str, where: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(path, f"{where} must be a list of strings")
    return tuple(value)


def _tags(table: object, path: str) -> dict[str, tuple[str, ...]]:
    if not isinstance(table, dict):
        raise InputError(path, "`tags` must be a table ([tags])")
    unknown = sorted(set(table) - set(TAG_NAMES))
    if unknown:
        raise InputError(path, f"[tags]: unknown tag {unknown[0]!r} (expected {TAG_NAMES})")
    out: dict[str, tuple[str, ...]] = {}
    for name in TAG_NAMES:
        patterns = _strings(table.get(name), path, f"[tags] {name}")
        if patterns is not None:
            for pattern in patterns:
                compile_pattern(pattern, path, f"[tags] {name}")
            out[name] = patterns
    return out


def prepare_pattern(pattern: str) -> str:
    """The pattern as matched: ``_`` outside group names reads as a space, like the text."""
    return _UNDERSCORE.sub(lambda m: " " if m.group(0) == "_" else m.group(0), pattern)


def compile_pattern(pattern: str, path: str = "<taxonomy>", where: str = "") -> re.Pattern[str]:
    """Compile one taxonomy pattern; a bad regex raises InputError naming it."""
    try:
        return re.compile(prepare_pattern(pattern))
    except re.error as exc:
        prefix = f"{where}: " if where else ""
        raise InputError(path, f"{prefix}bad regex {pattern!r}: {exc}") from exc


# ---------------------------------------------------------------------------- merging


def _extend(user: Sequence[_Entry], builtin: Sequence[_Entry]) -> list[_Entry]:
    """User entries first; a user name that gives patterns drops the built-in patterns of
    that name; metadata the user omits is inherited from the built-in entries."""
    replaced = {e.name for e in user if e.patterns is not None}
    given = {e.name for e in user}
    kept = [e for e in builtin if e.name not in replaced]
    inherited = [_metadata_only(e) for e in builtin if e.name in replaced & given]
    return [*user, *inherited, *kept]


def _metadata_only(entry: _Entry) -> _Entry:
    return _Entry(entry.name, None, entry.arm, entry.description, entry.angles)


def _build(entries: Sequence[_Entry], tags: Mapping[str, tuple[str, ...]], source: str) -> Taxonomy:
    meta: dict[str, dict[str, Any]] = {}
    patterns: dict[str, list[str]] = {}
    rules: list[Rule] = []
    for entry in entries:
        fields = meta.setdefault(entry.name, {})
        patterns.setdefault(entry.name, [])
        for key in ("arm", "description", "angles"):
            value = getattr(entry, key)
            if value is not None:
                fields.setdefault(key, value)  # the first entry that gives a field wins
        if entry.patterns:
            rules.append(Rule(entry.name, entry.patterns))
            patterns[entry.name] += entry.patterns
    if OTHER not in meta:
        meta[OTHER] = {"description": "Everything no rule matches."}
        patterns[OTHER] = []
    order = [name for name in meta if name != OTHER] + [OTHER]  # `other` is listed last
    categories = tuple(
        Category(name, patterns=tuple(patterns[name]), **meta[name]) for name in order
    )
    return Taxonomy(
        categories=categories,
        rules=tuple(rules),
        simplification=tuple(tags.get("simplification", ())),
        multi_change=tuple(tags.get("multi_change", ())),
        source=source,
    )


# ---------------------------------------------------------------------------- dumping


def taxonomy_toml(taxonomy: Taxonomy) -> str:
    """The taxonomy as a TOML file that loads back to the same rules (``mode = "replace"``)."""
    lines = [
        "# autosteer taxonomy: [[category]] entries are tried top to bottom, first match wins.",
        "# Patterns are regexes on the lower-cased description, where _ reads as a space.",
        f"# source: {taxonomy.source}",
        'mode = "replace"',
        "",
    ]
    order = list(taxonomy.categories)
    described: set[str] = set()
    pos = 0
    for rule in taxonomy.rules:
        if rule.category in described:
            lines += _entry_lines(Category(rule.category), rule.patterns, meta=False)
            continue
        while pos < len(order) and order[pos].name != rule.category:
            if order[pos].name not in described:  # listed before its first rule
                lines += _entry_lines(order[pos], None, meta=True)
                described.add(order[pos].name)
            pos += 1
        pos += 1
        category = taxonomy.category(rule.category) or Category(rule.category)
        lines += _entry_lines(category, rule.patterns, meta=True)
        described.add(rule.category)
    for category in order:
        if category.name not in described:
            lines += _entry_lines(category, (), meta=True)
    lines.append("[tags]")
    for name, tag_patterns in taxonomy.tags.items():
        lines.append(f"{name} = {_toml_list(tag_patterns)}")
    return "\n".join(lines) + "\n"


def _entry_lines(category: Category, patterns: Sequence[str] | None, *, meta: bool) -> list[str]:
    lines = ["[[category]]", f"name = {_toml_str(category.name)}"]
    if meta:
        lines.append(f"arm = {'true' if category.arm else 'false'}")
        lines.append(f"description = {_toml_str(category.description)}")
        lines.append(f"angles = {_toml_list(category.angles)}")
    if patterns is not None:
        lines.append(f"patterns = {_toml_list(patterns)}")
    return [*lines, ""]


def _toml_list(items: Sequence[str]) -> str:
    if not items:
        return "[]"
    return "[\n" + "".join(f"  {_toml_str(item)},\n" for item in items) + "]"


def _toml_str(text: str) -> str:
    """A TOML literal string when possible (regexes stay readable), else a basic string."""
    if "'" not in text and not _CONTROL.search(text):
        return f"'{text}'"
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 32 or ord(ch) == 127:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'
