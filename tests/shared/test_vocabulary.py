"""The one vocabulary: every verdict has exactly one exit code, and every doc's table agrees."""

from __future__ import annotations

import json
import re
from enum import Enum
from pathlib import Path

import pytest
from click.testing import CliRunner
from support import REPO_ROOT

from autojudge.cli import cli as autojudge_cli
from autolab_shared.core.exitcodes import MEANINGS, ExitCode
from autolab_shared.core.vocabulary import (
    EXIT_CODES,
    CrashKind,
    ErrorCode,
    NextAction,
    NightVerdict,
    Reason,
    Regime,
    Status,
    Verdict,
    WarningCode,
)
from autolab_shared.parsing import results, runlog
from autolab_shared.parsing.crashes import CRASH_KINDS
from autolab_shared.parsing.status import STATUSES, VOCABULARY, normalise_status

VERDICT_ENUMS: tuple[type[Verdict] | type[NightVerdict] | type[Regime], ...] = (
    Verdict,
    NightVerdict,
    Regime,
)
ALL_ENUMS: tuple[type[Enum], ...] = (
    *VERDICT_ENUMS,
    Status,
    CrashKind,
    ErrorCode,
    Reason,
    NextAction,
    WarningCode,
)
LABEL = re.compile(r"\b(" + "|".join(v.value for v in Verdict) + r")\b")
# the tables that pair verdict labels with exit codes (README's prose has its own test)
TABLES = (
    "docs/stats.md",
    "docs/ci-gating.md",
    "templates/program-addon.md",
    "skills/autojudge/SKILL.md",
)


def test_every_verdict_maps_to_exactly_one_answer_code() -> None:
    members = [m for enum in VERDICT_ENUMS for m in enum]
    assert sorted(EXIT_CODES, key=str) == sorted(members, key=str)  # no verdict left out
    answers = {ExitCode.KEEP, ExitCode.DISCARD, ExitCode.RETEST}
    for member in members:
        assert member.exit_code is EXIT_CODES[member] and member.exit_code in answers


@pytest.mark.parametrize("enum", VERDICT_ENUMS, ids=lambda e: e.__name__)
def test_each_verdict_family_uses_all_three_answers(enum: type[Enum]) -> None:
    assert {EXIT_CODES[m] for m in enum} == {ExitCode.KEEP, ExitCode.DISCARD, ExitCode.RETEST}


@pytest.mark.parametrize("enum", ALL_ENUMS, ids=lambda e: e.__name__)
def test_members_are_their_strings_on_the_wire(enum: type[Enum]) -> None:
    values = [m.value for m in enum]
    assert len(set(values)) == len(values)
    for member in enum:
        assert member == member.value and f"{member}" == str(member) == member.value
        assert json.dumps({"k": member}) == json.dumps({"k": member.value})
        assert enum(member.value) is member
        assert {member: True}.get(member.value) and member.value in {member}  # same hash


def test_status_words_and_crash_kinds_stay_within_the_vocabulary() -> None:
    assert set(STATUSES) == set(Status) - {Status.RETEST}
    assert set(VOCABULARY.values()) <= set(STATUSES)
    assert normalise_status("retest") is Status.UNKNOWN  # the pending word reads as unknown
    assert set(CRASH_KINDS) <= set(CrashKind)


def _rows(path: Path) -> list[list[str]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [
        [c.strip() for c in line.strip().strip("|").split("|")]
        for line in lines
        if line.lstrip().startswith("|")
    ]


def _pairs(path: Path) -> list[tuple[str, int]]:
    """(label, exit code) as each table row pairs them: ``| LABEL | 0 |`` or ``| 0 ... LABEL |``."""
    found = []
    for cells in _rows(path):
        if cells[0] in Verdict.__members__ and len(cells) > 1 and cells[1].isdigit():
            found.append((cells[0], int(cells[1])))
        elif (lead := re.match(r"(\d+)\b", cells[0])) is not None:
            found += [(label, int(lead.group(1))) for label in LABEL.findall(" ".join(cells[:2]))]
    return found


@pytest.mark.parametrize("doc", TABLES)
def test_the_docs_tables_give_each_verdict_its_exit_code(doc: str) -> None:
    pairs = _pairs(REPO_ROOT / doc)
    assert pairs, f"{doc} has no verdict table"
    for label, code in pairs:
        assert Verdict(label).exit_code == code, (doc, label, code)


def test_the_stats_table_lists_every_label() -> None:
    labels = {label for label, _ in _pairs(REPO_ROOT / "docs/stats.md")}
    assert labels == {v.value for v in Verdict} - {"BASELINE"}


def test_readme_exit_code_table_is_the_help_table() -> None:
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    rows = [(int(c[0]), c[1]) for c in _rows_of(section) if c[0].isdigit()]
    assert rows == [(int(code), MEANINGS[code]) for code in ExitCode if code.name != "OK"]
    prose = section.split("\n\n", 2)[1]  # "STRONG_KEEP, KEEP and MARGINAL exit 0 ...; ..."
    for clause in prose.split(";"):
        code = re.search(r"exits? (\d)", clause)
        labels = LABEL.findall(clause)
        assert code is not None and labels, clause
        assert {Verdict(label).exit_code for label in labels} == {int(code.group(1))}, clause


def _rows_of(text: str) -> list[list[str]]:
    return [
        [c.strip() for c in line.strip().strip("|").split("|")]
        for line in text.splitlines()
        if line.startswith("|")
    ]


def test_autojudge_help_gives_each_label_its_exit_code() -> None:
    text = " ".join(CliRunner().invoke(autojudge_cli, ["--help"]).output.split())
    pairs = re.findall(LABEL.pattern + r"[^()]*?\((\d)\)", text)
    assert {label for label, _ in pairs} == {v.value for v in Verdict} - {"BASELINE"}
    for label, code in pairs:
        assert Verdict(label).exit_code == int(code), (label, code)


def test_every_warning_code_is_documented() -> None:
    pages = [
        (REPO_ROOT / p).read_text(encoding="utf-8")
        for p in ("docs/json-schema.md", "docs/runlog.md")
    ]
    docs = "\n".join([results.__doc__ or "", runlog.__doc__ or "", *pages])
    missing = [
        code.value for code in WarningCode if f"``{code}``" not in docs and f"`{code}`" not in docs
    ]
    assert not missing


def test_the_results_docstring_lists_only_real_codes() -> None:
    listed = re.findall(r"^\* ((?:``\w+``(?:, )?)+) —", results.__doc__ or "", re.M)
    codes = {c for item in listed for c in re.findall(r"``(\w+)``", item)}
    assert codes and codes <= {c.value for c in WarningCode}


def test_every_error_code_is_documented_with_its_exit() -> None:
    text = (REPO_ROOT / "docs/json-schema.md").read_text(encoding="utf-8")
    for code in ErrorCode:
        assert re.search(rf"`{code}` \([^)]*exit \d+\)", text), code
