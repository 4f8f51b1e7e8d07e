"""skills/*/SKILL.md: Claude Code front matter, and JSON field names that real output contains."""

from __future__ import annotations

import functools
import json
import re
import subprocess
from typing import Any

import pytest
from support import EXAMPLES, REPO_ROOT, TOOLS, console_script

SKILLS = REPO_ROOT / "skills"


def _front_matter(text: str) -> dict[str, str]:
    match = re.match(r"---\n(.*?)\n---\n", text, flags=re.DOTALL)
    assert match, "SKILL.md must start with YAML front matter"
    pairs = (line.split(":", 1) for line in match.group(1).splitlines())
    return {key.strip(): value.strip() for key, value in pairs}


@pytest.mark.parametrize("tool", TOOLS)
def test_skill_front_matter(tool: str) -> None:
    meta = _front_matter((SKILLS / tool / "SKILL.md").read_text(encoding="utf-8"))
    assert meta["name"] == tool
    assert 80 <= len(meta["description"]) <= 1024
    assert "Use when" in meta["description"] or "Use after" in meta["description"]


def _words(doc: Any, into: set[str]) -> set[str]:
    """Every key and string value in a JSON document."""
    if isinstance(doc, dict):
        into.update(doc)
        for value in doc.values():
            _words(value, into)
    elif isinstance(doc, list):
        for value in doc:
            _words(value, into)
    elif isinstance(doc, str):
        into.add(doc)
    return into


def _real_output(tool: str, *args: str) -> Any:
    proc = subprocess.run(
        [console_script(tool), *args, "--format", "json"],
        cwd=EXAMPLES,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return json.loads(proc.stdout)


@functools.cache
def _known_words() -> frozenset[str]:
    """Keys and values of real JSON output on the examples, the schemas, and the codes that
    docs/json-schema.md lists (crash kinds and reason codes the examples do not produce)."""
    words: set[str] = set()
    runs = [
        ("autojudge", "--results", "results.tsv", "--run", "run.log", "--commit", "eb5bdc1"),
        ("autojudge", "--results", "results.tsv", "--all"),
        ("autosteer", "--results", "results.tsv", "--seed", "1"),
        ("autoevolve", "--results", "results.tsv"),
    ]
    for tool, *args in runs:
        _words(_real_output(tool, *args), words)
    for schema in (REPO_ROOT / "docs" / "schema").glob("*.json"):
        _words(json.loads(schema.read_text(encoding="utf-8")), words)
    doc = (REPO_ROOT / "docs" / "json-schema.md").read_text(encoding="utf-8")
    return frozenset(words | set(re.findall(r"`([a-z][a-z0-9_]*)`", doc)))


@pytest.mark.parametrize("tool", TOOLS)
def test_json_fields_named_in_the_skill_exist(tool: str) -> None:
    text = (SKILLS / tool / "SKILL.md").read_text(encoding="utf-8")
    section = text.split("## Reading the JSON", 1)[1]
    named = set(re.findall(r"`([a-z][a-z0-9_]*|[A-Z][A-Z_]+)`", section))
    assert len(named) >= 10
    missing = sorted(named - _known_words())
    assert not missing, f"{tool} skill names JSON words no output or schema has: {missing}"
