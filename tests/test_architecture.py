"""The large-scale rules of the package (docs/architecture.rst), checked on its source.

Read from the files, not imported: a cycle or an oversized module is a fact of the code
whatever a test run happens to import first.
"""

from __future__ import annotations

import ast
import graphlib
import re
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "cookie_consent"
LONGEST_MODULE = 250
PARTS = ("catalogue", "consent", "enforcement", "records")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {
    module_name(path): path
    for path in sorted(PACKAGE.rglob("*.py"))
    if "migrations" not in path.relative_to(PACKAGE).parts
}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import that runs, at module level or in a function: not the typing-only ones."""
    found: list[ast.Import | ast.ImportFrom] = []
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            pending.extend(node.orelse)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        pending.extend(ast.iter_child_nodes(node))
    return found


def imported_modules(path: Path) -> set[str]:
    """The app's modules that ``path`` imports: ``from a import b`` is ``a.b`` when that
    is a module, else ``a``."""
    targets: set[str] = set()
    for node in _imports(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif node.module is not None:
            targets.update(
                f"{node.module}.{alias.name}"
                if f"{node.module}.{alias.name}" in MODULES
                else node.module
                for alias in node.names
            )
    return {target for target in targets if target in MODULES}


def import_graph() -> dict[str, set[str]]:
    return {name: imported_modules(path) - {name} for name, path in MODULES.items()}


def test_the_graph_sees_the_imports_it_must_see() -> None:
    # A guard for the guard: an empty graph would have no cycle either.
    graph = import_graph()
    assert "cookie_consent.consent.state" in graph["cookie_consent.middleware"]
    assert "cookie_consent.catalogue.validation" in graph["cookie_consent.validation"]


def test_no_import_cycle() -> None:
    try:
        order = list(graphlib.TopologicalSorter(import_graph()).static_order())
    except graphlib.CycleError as error:
        pytest.fail("import cycle: " + " -> ".join(error.args[1]))
    assert len(order) == len(MODULES)


@pytest.mark.parametrize("part", PARTS)
def test_a_part_is_a_package_whose_init_only_describes_it(part: str) -> None:
    init = ast.parse((PACKAGE / part / "__init__.py").read_text(encoding="utf-8"))
    assert [type(node) for node in init.body] == [ast.Expr], (
        "importing one module of a part must not import the others: "
        f"cookie_consent/{part}/__init__.py holds a docstring only"
    )


def test_no_module_is_longer_than_the_limit() -> None:
    lengths = {
        name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in MODULES.items()
    }
    assert {name: n for name, n in lengths.items() if n > LONGEST_MODULE} == {}


def test_each_private_request_attribute_has_one_home() -> None:
    """A private attribute the app keeps on the request is read and written by one module,
    through functions the others call."""
    homes: dict[str, set[str]] = defaultdict(set)
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute):
                found = node.attr
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                found = node.value
            else:
                continue
            if found.startswith("_cookie_consent"):
                homes[found].add(name)
    assert homes, "the state memo, at least, lives on the request"
    assert {attribute: m for attribute, m in homes.items() if len(m) > 1} == {}


def test_every_module_the_architecture_page_names_exists() -> None:
    page = (ROOT / "docs" / "architecture.rst").read_text(encoding="utf-8")
    named = set(re.findall(r"cookie_consent/[\w/]+\.py", page))
    assert len(named) > 20
    assert {path for path in named if not (ROOT / path).is_file()} == set()
