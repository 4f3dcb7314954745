"""The package's import graph keeps its layers: no cycles, and the emulator only where it belongs.

Read from the source with ``ast``, so the test needs nothing installed and cannot be fooled by
import order. Every ``import`` counts: those inside functions (a lazy import is still a
dependency) and those under ``if TYPE_CHECKING:`` (a module that names another's types depends on
it; a pair that does so both ways is one module written as two). ``from pkg import module`` is an
edge to ``pkg`` (its ``__init__``) as well, since that is what runs first: a package's modules
import each other as ``pkg.module``.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = "producthuntdb"
ROOT = Path(__file__).resolve().parents[2] / "pipelines" / PACKAGE

ENTRY_POINTS = {"producthuntdb.cli", "producthuntdb.demo", "producthuntdb.interactive", "producthuntdb.emulator.cli"}
EMULATOR_USERS = {"producthuntdb.cli", "producthuntdb.demo"}
"""`api serve` and the demo start the emulator; nothing else in the package may import it."""


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, name: str) -> set[str]:
    """Modules of the package that ``path`` imports (``from x import y`` counts ``x.y`` when it is a module)."""
    tree = ast.parse(path.read_text("utf-8"))
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {m for m in found if m == PACKAGE or m.startswith(PACKAGE + ".")}


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in ROOT.rglob("*.py")}
    edges: dict[str, set[str]] = {}
    for name, path in modules.items():
        # an import of a package means its __init__; `from pkg import module` means the module
        edges[name] = {m for m in imports_of(path, name) if m in modules and m != name}
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_lazy_and_type_only_imports_are_dependencies(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from producthuntdb.settings import Settings\n"
        "def f():\n    from producthuntdb import destination\n"
    )
    found = imports_of(module, "producthuntdb.m")
    assert {"producthuntdb.settings", "producthuntdb.destination"} <= found


def test_no_import_cycles_in_the_package() -> None:
    edges = graph()
    assert len(edges) > 30 and "producthuntdb.pipeline" in edges
    assert cycles(edges) == []


def test_entry_points_are_imported_by_no_stage() -> None:
    edges = graph()
    offenders = {
        (name, target)
        for name, targets in edges.items()
        for target in targets & ENTRY_POINTS
        if name not in ENTRY_POINTS | {"producthuntdb.__main__"}
    }
    # entry points may use each other only through the CLI's lazy command imports (cli → demo, menu)
    offenders |= {(name, "producthuntdb.cli") for name in ENTRY_POINTS - {"producthuntdb.cli"} if "producthuntdb.cli" in edges[name]}
    assert offenders == set()


def test_the_emulator_is_imported_only_by_api_serve_and_the_demo() -> None:
    edges = graph()
    users = {
        name
        for name, targets in edges.items()
        if any(t == "producthuntdb.emulator" or t.startswith("producthuntdb.emulator.") for t in targets)
        and not name.startswith("producthuntdb.emulator")
    }
    assert users <= EMULATOR_USERS, users - EMULATOR_USERS


def test_duckdb_is_opened_only_by_the_warehouse_module() -> None:
    """``duckdb.connect`` is written in one place (serve's in-memory ATTACH host aside)."""
    allowed = {"producthuntdb.warehouse.files", "producthuntdb.serve"}
    callers = set()
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "connect"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "duckdb"
            ):
                callers.add(module_name(path))
    assert callers == allowed


WAREHOUSE_PACKAGE = "producthuntdb.warehouse"
DESTINATION_NAMES = frozenset({"duckdb", "postgres", "motherduck", "bigquery"})
IMPLEMENTATIONS = frozenset({"DuckDBFile", "Server"})


def destination_branches(tree: ast.AST) -> list[str]:
    """What in ``tree`` decides by the configured destination instead of asking the warehouse.

    Reading ``.destination`` (``settings.destination``), calling ``is_warehouse``, comparing with a
    destination's name (``== "postgres"``, ``in ("motherduck", "bigquery")``), or naming an
    implementation instead of calling ``warehouse.open``.
    """
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "destination":
            found.append(f"line {node.lineno}: reads .destination")
        elif isinstance(node, ast.Name | ast.Attribute) and (
            (node.id if isinstance(node, ast.Name) else node.attr) in {"is_warehouse", *IMPLEMENTATIONS}
        ):
            found.append(f"line {node.lineno}: names {node.id if isinstance(node, ast.Name) else node.attr}")
        elif isinstance(node, ast.ImportFrom) and {a.name for a in node.names} & {"is_warehouse", *IMPLEMENTATIONS}:
            found.append(f"line {node.lineno}: imports {', '.join(a.name for a in node.names)}")
        elif isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            constants = {
                c.value
                for operand in operands
                for c in (operand.elts if isinstance(operand, ast.Tuple | ast.List | ast.Set) else [operand])
                if isinstance(c, ast.Constant)
            }
            if constants & DESTINATION_NAMES:
                found.append(f"line {node.lineno}: compares with {', '.join(sorted(constants & DESTINATION_NAMES))}")
    return found


def test_the_destination_check_finds_each_kind_of_branch() -> None:
    for snippet in (
        "if settings.destination == 'duckdb': pass",
        "x = is_warehouse(settings)",
        "from producthuntdb.warehouse.server import Server",
        "ok = name in ('motherduck', 'bigquery')",
        "where = warehouse.DuckDBFile(settings)",
    ):
        assert destination_branches(ast.parse(snippet)), snippet
    assert destination_branches(ast.parse("where = warehouse.open(settings)\nif where.has_served_file: pass")) == []


def test_the_destination_is_decided_only_in_the_warehouse_package() -> None:
    """``warehouse.open`` (and ``warehouse.targets`` for dlt/dbt/GX) pick by the destination; nothing else does."""
    offenders = {}
    for path in ROOT.rglob("*.py"):
        name = module_name(path)
        if name == WAREHOUSE_PACKAGE or name.startswith(WAREHOUSE_PACKAGE + "."):
            continue
        found = destination_branches(ast.parse(path.read_text("utf-8")))
        if found:
            offenders[name] = found
    assert offenders == {}


def test_the_warehouse_package_imports_only_what_lies_below_the_stages() -> None:
    """It is reached from the stages, never the other way: it imports settings, errors and small helpers."""
    edges = graph()
    allowed = {
        "producthuntdb.settings", "producthuntdb.errors", "producthuntdb.locks", "producthuntdb.serialize",
    }
    outside = {
        (name, target)
        for name, targets in edges.items()
        if name == WAREHOUSE_PACKAGE or name.startswith(WAREHOUSE_PACKAGE + ".")
        for target in targets
        if not (target == WAREHOUSE_PACKAGE or target.startswith(WAREHOUSE_PACKAGE + ".")) and target not in allowed
    }
    assert outside == set()


MAX_LINES = 600
DATA_TABLES = {"producthuntdb.emulator.names"}
"""Modules that are data, not logic (the emulator's name tables): exempt from the size rule."""


def test_no_module_a_newcomer_cannot_hold_in_their_head() -> None:
    """No module over 600 lines but data tables; the chunk driver (sync.py) at most 300."""
    lines = {module_name(path): len(path.read_text("utf-8").splitlines()) for path in ROOT.rglob("*.py")}
    assert {name: n for name, n in lines.items() if n > MAX_LINES and name not in DATA_TABLES} == {}
    assert lines["producthuntdb.sync"] <= 300
