"""The classifier's rule-group prefilter skips only groups that cannot match: classification
with it equals classification without it, on real, labelled, benchmark and generated text."""

from __future__ import annotations

import csv
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import REAL_RESULTS, REPO_ROOT, load_script

from autolab_shared.core.errors import InputError
from autolab_shared.core.prefilter import (
    GroupFilter,
    first_chars,
    group_trigger,
    pattern_key,
    pattern_needle,
    with_first_chars,
)
from autolab_shared.parsing.changepart import _CUT, _CUT_LOWER
from autolab_shared.parsing.results import parse_results
from autolab_shared.parsing.textio import read_bytes
from autolab_shared.steering.classify import Classifier
from autolab_shared.steering.taxonomy import Rule, load_taxonomy, parse_taxonomy, prepare_pattern

FIXTURES = REPO_ROOT / "tests" / "fixtures"
FILTERED = Classifier()
PLAIN = Classifier(prefilter=False)
COMPILED = [
    re.compile(prepare_pattern(p))
    for rules in (load_taxonomy().rules, [Rule(n, p) for n, p in load_taxonomy().tags.items()])
    for rule in rules
    for p in rule.patterns
]
PATTERNS = [p.pattern for p in COMPILED if pattern_key(p) is not None]
NEEDLED = [p for p in COMPILED if pattern_key(p) is None and pattern_needle(p) is not None]
# Odd patterns a user taxonomy may hold: escapes with arguments, sets, comments, quantifiers.
ODD = [r"\x41\x42cd", r"\u00e9ab", r"\N{LATIN SMALL LETTER A} b", r"a{2,3}bc", r"(a)\1 23",
       r"fo[o]ba\.r", r"ab(?=c)?de", r"x(?#a(b)yz", r"ab+cd", r"[)]ab(?<=b)cd", r"\d{2}ab",
       r"(?:x|y)z1", r"a\Bbc", r"a(?!b)cd", r"^ab c", r"ab$"]  # fmt: skip
# Words of the taxonomy's patterns and odd characters, so generated text hits many rules.
VOCAB = sorted(
    {w for p in PATTERNS for w in re.findall(r"[a-z0-9]{2,}", p)}
    | {" ", "_", "-", "->", "→", " (", ")", ": ", " + ", "=", ".", "#1", "é", "ſ", "K", "İ"}
)
TEXTS = st.lists(st.sampled_from(VOCAB), max_size=12).map("".join) | st.text(max_size=40)


def _same(descriptions: list[str]) -> None:
    for text in descriptions:
        assert FILTERED(text) == PLAIN(text), text
    kept = [i % 3 == 0 for i in range(len(descriptions))]
    assert FILTERED.read_history(descriptions, kept) == PLAIN.read_history(descriptions, kept)


def _real_descriptions() -> list[str]:
    texts: list[str] = []
    for path in sorted(REAL_RESULTS.iterdir()) if REAL_RESULTS.is_dir() else []:
        try:
            history = parse_results(read_bytes(str(path)), path.name)
            texts += [e.description for e in history.experiments]
        except InputError:  # not a results file
            continue
    return texts


def test_prefilter_keeps_every_real_classification() -> None:
    texts = _real_descriptions()
    if not texts:
        pytest.skip(f"real data folder {REAL_RESULTS} is absent")
    _same(texts)


@pytest.mark.parametrize(
    "name", ["steer_labels.tsv", "steer_labels_heldout.tsv", "steer_labels_heldout2.tsv"]
)
def test_prefilter_keeps_every_labelled_classification(name: str) -> None:
    with (FIXTURES / name).open(encoding="utf-8", newline="") as f:
        cells = [cell for row in csv.reader(f, delimiter="\t") for cell in row]
    assert len(cells) > 100
    _same(cells)


def test_prefilter_keeps_the_benchmark_classifications() -> None:
    module = load_script(REPO_ROOT / "benchmarks" / "steer_speed.py")
    _same(module.synthetic_descriptions(3000))


@settings(max_examples=400, deadline=None)
@given(TEXTS)
def test_prefilter_keeps_the_classification_of_generated_text(text: str) -> None:
    assert FILTERED(text) == PLAIN(text)
    assert FILTERED(text.lower()) == PLAIN(text.lower())


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(PATTERNS), TEXTS)
def test_a_pattern_matches_only_where_a_word_starts_with_its_key(pattern: str, text: str) -> None:
    key = pattern_key(re.compile(pattern))
    assert key is not None
    if re.search(pattern, text) is not None:
        assert any(word.startswith(key) for word in re.findall(r"\w+", text))
        assert GroupFilter([frozenset({key})]).candidates(text) == 1


@pytest.mark.parametrize(
    ("pattern", "key"),
    [
        (r"\bseeds?\b", "see"),
        (r"\blr\b", "lr"),
        (r"\bz[- ]?loss", "z"),
        (r"\bab{2}", "a"),
        (r"\bwarm ?down", "war"),
        (r"\bx0", "x0"),
        (r"\bfoo(?:a|b)", "foo"),
        (r"\bfo[|]o", "fo"),
        (r"\bfo[]|]o", "fo"),
        (r"\bfo(?#a|b)o", "fo"),
        (r"\bfoo|bar", None),
        (r"\bfoo(?#a(b)|bar", None),
        (r"\bf[)]|bar", None),
        (r"\bfo\|o|x", None),
        (r"\bs?x", None),
        (r"^baseline", "bas"),
        (r"^(?:a)b", None),
        (r"b(?<=\db)locks?", None),
        (r"\b[ab]x", None),
        (r"\bX", None),
        (r"(?i)\bx", None),
    ],
)
def test_pattern_key(pattern: str, key: str | None) -> None:
    assert pattern_key(re.compile(pattern)) == key


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_a_pattern_matches_only_where_it_holds_its_needle(data: st.DataObject) -> None:
    pattern = re.compile(data.draw(st.sampled_from([p.pattern for p in NEEDLED] + ODD)))
    text = data.draw(st.from_regex(pattern) | TEXTS)
    needle = pattern_needle(pattern)
    if needle is not None and pattern.search(text) is not None:
        assert needle in text
        assert GroupFilter([(frozenset(), frozenset({needle}))]).candidates(text) == 1


@pytest.mark.parametrize(
    ("pattern", "needle"),
    [
        (r"b(?<=\db)its?\b", "bit"),
        (r"^(?:[\w.+-]+ ){0,3}baseline\b", "baseline"),
        (r"^(?:re-?)?run ?\d+\b", "run"),
        (r"0(?<==0)(?:\.0+)?(?![.\d])", "0"),
        (r"a{2,3}bc", "bc"),
        (r"\x41\x42cd", None),
        (r"\N{LATIN SMALL LETTER A} b", " b"),
        (r"(a)\1 23", " 23"),
        (r"ab(?=c)?de", "ab"),
        (r"x(?#a(b)yz", "yz"),
        (r"a|bc", None),
        (r"(?i)abc", None),
        (r"[ab]", None),
    ],
)
def test_pattern_needle(pattern: str, needle: str | None) -> None:
    assert pattern_needle(re.compile(pattern)) == needle


def test_a_group_with_a_pattern_without_key_or_needle_or_odd_flags_is_always_searched() -> None:
    three = [re.compile(p) for p in (r"\bfoo", r"b(?<=\db)ar", r"\bfoo")]
    keys = ["foo", None, "foo"]
    assert group_trigger(three, keys, 0) == (frozenset({"foo"}), frozenset({"bar"}))
    assert group_trigger([re.compile(r"\bfoo"), re.compile("[ab]")], ["foo", None], 0) is None
    assert group_trigger(three, keys, re.IGNORECASE) is None
    found = GroupFilter(
        [(frozenset({"foo"}), frozenset()), None, (frozenset({"ba", "x"}), frozenset({"zz"}))]
    )
    assert found.candidates("nothing here") == 0b010
    assert found.candidates("(foo) xy") == 0b111
    assert found.candidates("é-bar") == 0b110  # a word after a non-ASCII character
    assert found.candidates("ébar") == 0b010  # "bar" does not start a word here
    assert found.candidates("azzb") == 0b110  # a needle anywhere


def test_a_user_taxonomy_with_alternations_classifies_the_same() -> None:
    toml = """
mode = "replace"
[[category]]
name = "odd"
patterns = ['\\bfoo|bar', '\\bqux(?#a(b)|zed', 'x(?<=\\dx)yz|zed']
[[category]]
name = "plain"
patterns = ['\\bbar', '\\bzed']
"""
    taxonomy = parse_taxonomy(toml, "user.toml")
    filtered, plain = Classifier(taxonomy), Classifier(taxonomy, prefilter=False)
    for text in ["xbar", "zed", "bar", "foo", "qux zed", "nothing", "1xyz", "xyz"]:
        assert filtered(text) == plain(text)
    assert filtered("xbar").category == "odd"
    assert filtered("zed").category == "odd"


# ---------------------------------------------------------------------------- first characters

FIRST_CASES = [
    (_CUT_LOWER.pattern if _CUT_LOWER is not None else r"x", None),
    (r",? x|y", {",", " ", "y"}),
    (r"a*b|cd", {"a", "b", "c"}),
    (r"ab(?=c)", {"a"}),
    (r"\d+|x", None),  # a class, not a literal: unknown
    (r"x?", None),  # may match the empty string
    (r"^ab|cd", None),
    (r"a|b", None),  # read as the set [ab]: unknown, not wrong
]


@pytest.mark.parametrize(("pattern", "chars"), FIRST_CASES[1:])
def test_first_chars_of_simple_patterns(pattern: str, chars: set[str] | None) -> None:
    found = first_chars(re.compile(pattern))
    if hasattr(re, "_parser"):
        assert found == (None if chars is None else frozenset(chars))
    assert first_chars(re.compile(pattern, re.IGNORECASE)) is None


_SEARCHED = [re.compile(p) for p, _ in FIRST_CASES] + [
    re.compile(_CUT.pattern, _CUT.flags & ~re.IGNORECASE)
]


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet=" ,;:()-—–|+xyabcdtoneh", max_size=40),
    st.sampled_from(_SEARCHED),
    st.integers(0, 3),
)
def test_the_first_chars_look_ahead_finds_the_same_matches(
    text: str, pattern: re.Pattern[str], pos: int
) -> None:
    led = with_first_chars(pattern)
    assert [m.span() for m in led.finditer(text, pos)] == [
        m.span() for m in pattern.finditer(text, pos)
    ]
    chars = first_chars(pattern)
    if chars is not None:  # every match starts with one of them
        assert all(m.group(0)[:1] in chars for m in pattern.finditer(text) if m.group(0))
