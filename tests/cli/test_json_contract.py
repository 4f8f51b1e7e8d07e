"""The JSON output of every tool validates against the committed schema files."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from support import EXAMPLES, REPO_ROOT, TOOLS

SCHEMAS = REPO_ROOT / "docs" / "schema"


def _schema(name: str) -> dict[str, object]:
    return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _invoke(tool: str, args: list[str]) -> dict[str, object]:
    cli = importlib.import_module(f"{tool}.cli").cli
    result = CliRunner().invoke(cli, [*args, "--format", "json"])
    doc: dict[str, object] = json.loads(result.stdout)
    assert doc["exit_code"] == result.exit_code
    jsonschema.validate(doc, _schema("envelope.v1.json"))
    return doc


def test_summary_output_matches_the_schemas() -> None:
    doc = _invoke("autoevolve", ["--results", str(EXAMPLES / "results.tsv")])
    jsonschema.validate(doc["data"], _schema("summary.v1.json"))


def test_autosteer_output_matches_the_schema() -> None:
    doc = _invoke("autosteer", ["--results", str(EXAMPLES / "results.tsv"), "--seed", "1"])
    jsonschema.validate(doc["data"], _schema("steer.v1.json"))
    assert doc["command"] == "steer"


def test_autojudge_verdict_matches_the_schema() -> None:
    args = [
        "--results",
        str(EXAMPLES / "results.tsv"),
        "--run",
        str(EXAMPLES / "run.log"),
        "--commit",
        "eb5bdc1",
        "--description",
        "scalar LR 0.6 to 0.4",
    ]
    doc = _invoke("autojudge", args)
    data = doc["data"]
    jsonschema.validate(data, _schema("judge.v1.json"))
    assert isinstance(data, dict)
    assert data["value"] == pytest.approx(0.979621)
    assert data["crash"] is None and data["commit"] == "eb5bdc1"


def test_autojudge_audit_matches_the_schema() -> None:
    doc = _invoke("autojudge", ["--results", str(EXAMPLES / "results.tsv"), "--all"])
    jsonschema.validate(doc["data"], _schema("audit.v1.json"))
    assert doc["command"] == "audit"


@pytest.mark.parametrize("tool", TOOLS)
def test_error_output_matches_the_envelope_schema(tool: str, tmp_path: Path) -> None:
    doc = _invoke(tool, ["--results", str(tmp_path / "missing.tsv")])
    assert doc["status"] == "error" and doc["data"] is None


def test_warnings_are_listed_in_the_envelope(tmp_path: Path) -> None:
    path = tmp_path / "r.tsv"
    path.write_text(
        "commit\tval_bpb\tmemory_gb\tstatus\tdescription\n\na1b2c3d\t0.99\t44\tkeep\tx\n"
    )
    doc = _invoke("autojudge", ["--results", str(path)])
    warnings = doc["warnings"]
    assert isinstance(warnings, list)
    assert {"path": str(path), "line": 2, "code": "blank"}.items() <= warnings[0].items()
