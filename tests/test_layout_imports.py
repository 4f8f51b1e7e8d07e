"""The import rules of the layout (docs/architecture.md), checked on the source tree itself.

The three CLIs never import each other; the library never imports a CLI; inside
``autolab_shared`` imports only point down the wings (core at the bottom, report at the top)
and the modules import each other without a cycle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "shared" / "src" / "autolab_shared"
CLIS = ("autojudge", "autosteer", "autoevolve")
WINGS = ("core", "parsing", "files", "cli", "stats", "steering", "report")  # bottom to top


def _package(path: Path) -> str:
    """The dotted package a source file under some ``src/`` folder belongs to."""
    parts = path.parts[len(path.parts) - path.parts[::-1].index("src") : -1]
    return ".".join(parts)


def _runtime_nodes(node: ast.AST) -> Iterator[ast.AST]:
    """Every node except those under ``if TYPE_CHECKING:`` (imports for type hints only)."""
    yield node
    for child in ast.iter_child_nodes(node):
        if (
            isinstance(child, ast.If)
            and isinstance(child.test, ast.Name)
            and (child.test.id == "TYPE_CHECKING")
        ):
            yield from (n for stmt in child.orelse for n in _runtime_nodes(stmt))
        else:
            yield from _runtime_nodes(child)


def _imports(path: Path) -> Iterator[str]:
    """Every module ``path`` imports, as a dotted name (relative imports resolved)."""
    package = _package(path)
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{module}" if module else base
            yield module
            yield from (f"{module}.{alias.name}" for alias in node.names)


def _module(path: Path) -> str:
    """The dotted name of a library source file."""
    return ".".join(path.relative_to(LIBRARY.parent).with_suffix("").parts)


def _library_graph() -> dict[str, set[str]]:
    modules = {_module(p) for p in LIBRARY.rglob("*.py")}
    return {
        _module(p): {m for m in _imports(p) if m in modules and not m.endswith("__init__")}
        for p in LIBRARY.rglob("*.py")
    }


@pytest.mark.parametrize("tool", CLIS)
def test_a_cli_imports_no_other_cli(tool: str) -> None:
    others = tuple(t for t in CLIS if t != tool)
    found = [
        (p.name, m)
        for p in (ROOT / tool / "src" / tool).rglob("*.py")
        for m in _imports(p)
        if m.split(".")[0] in others
    ]
    assert not found


def test_the_library_imports_no_cli() -> None:
    found = [
        (p.name, m) for p in LIBRARY.rglob("*.py") for m in _imports(p) if m.split(".")[0] in CLIS
    ]
    assert not found


def test_every_library_module_lives_in_a_wing() -> None:
    loose = [p.name for p in LIBRARY.glob("*.py") if p.name != "__init__.py"]
    folders = sorted(p.name for p in LIBRARY.iterdir() if (p / "__init__.py").exists())
    folders.remove("data")  # taxonomy.toml and ideas.toml, read with importlib.resources
    assert not loose and folders == sorted(WINGS)


def test_imports_only_point_down_the_wings() -> None:
    def wing(module: str) -> int:
        return WINGS.index(module.split(".")[1])

    upward = [(m, d) for m, deps in _library_graph().items() for d in deps if wing(d) > wing(m)]
    assert not upward


def test_library_modules_import_each_other_without_a_cycle() -> None:
    graph = _library_graph()
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, " -> ".join((*path, module))
        if module not in done:
            for dep in sorted(graph[module]):
                visit(dep, (*path, module))
            done.add(module)

    for module in sorted(graph):
        visit(module, ())
