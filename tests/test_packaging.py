"""The four distributions carry one version, the CLIs pin it, and the layout is as designed."""

from __future__ import annotations

import importlib
import sys

import pytest
from support import REPO_ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

MEMBERS = {
    "shared": "autolab_shared",
    "autojudge": "autojudge",
    "autosteer": "autosteer",
    "autoevolve": "autoevolve",
}
CLIS = ("autojudge", "autosteer", "autoevolve")


def _project(folder: str) -> dict[str, object]:
    with open(REPO_ROOT / folder / "pyproject.toml", "rb") as fh:
        return tomllib.load(fh)["project"]  # type: ignore[no-any-return]


def test_root_is_a_virtual_workspace() -> None:
    with open(REPO_ROOT / "pyproject.toml", "rb") as fh:
        root = tomllib.load(fh)
    assert "project" not in root
    assert sorted(root["tool"]["uv"]["workspace"]["members"]) == sorted(MEMBERS)


def test_all_members_carry_one_version() -> None:
    versions = {folder: _project(folder)["version"] for folder in MEMBERS}
    assert len(set(versions.values())) == 1, versions


def test_package_dunder_versions_match_pyproject() -> None:
    version = _project("shared")["version"]
    for module in MEMBERS.values():
        assert importlib.import_module(module).__version__ == version, module


@pytest.mark.parametrize("tool", CLIS)
def test_each_cli_pins_the_shared_library_exactly(tool: str) -> None:
    version = _project("shared")["version"]
    deps = _project(tool)["dependencies"]
    assert f"autolab-shared=={version}" in deps  # type: ignore[operator]


@pytest.mark.parametrize("tool", CLIS)
def test_distribution_names_are_not_the_unrelated_pypi_projects(tool: str) -> None:
    # autojudge/autosteer/autoevolve on PyPI are another project with other exit codes
    assert _project(tool)["name"] == f"autolab-{tool[4:]}"


def test_core_dependencies_are_only_what_a_user_path_imports() -> None:
    deps = {folder: " ".join(_project(folder)["dependencies"]) for folder in MEMBERS}  # type: ignore[arg-type]
    assert not any("pandas" in d or "gitpython" in d for d in deps.values()), deps
    extras = _project("shared")["optional-dependencies"]
    assert any(d.startswith("pandas") for d in extras["pandas"])  # type: ignore[index]


@pytest.mark.parametrize("tool", CLIS)
def test_each_cli_has_a_console_script_and_main_module(tool: str) -> None:
    # the console script holds a Ctrl-C while the CLI loads (autolab_shared.cli.interrupt)
    assert _project(tool)["scripts"] == {tool: f"{tool}.__main__:main"}
    assert (REPO_ROOT / tool / "src" / tool / "__main__.py").is_file()


@pytest.mark.parametrize("folder", list(MEMBERS))
def test_members_ship_license_and_py_typed(folder: str) -> None:
    assert (REPO_ROOT / folder / "LICENSE").read_bytes() == (REPO_ROOT / "LICENSE").read_bytes()
    assert (REPO_ROOT / folder / "src" / MEMBERS[folder] / "py.typed").is_file()
    assert _project(folder)["license"] == "MIT"


def test_top_level_layout() -> None:
    required = {
        "autojudge",
        "autosteer",
        "autoevolve",
        "shared",
        "tests",
        "pyproject.toml",
        "README.md",
        "LICENSE",
    }
    allowed = required | {".ci", "examples", "benchmarks", "docs", "uv.lock", ".gitignore", ".git"}
    allowed |= {"templates", "skills", "AGENTS.md", "dev.py", "dist", "build"}  # + ignored outputs
    present = {p.name for p in REPO_ROOT.iterdir()}
    tracked_extra = {n for n in present - allowed if not n.startswith(".")}
    assert required <= present
    assert not tracked_extra, f"unexpected top-level entries: {sorted(tracked_extra)}"
    assert not (REPO_ROOT / "shared" / "src" / "shared").exists()
