"""The code keeps its layers: imports point down (import-linter's contracts in
pyproject.toml), no module needs another that needs it back, and no import hides inside a
function except the lazy ones that keep `manzoori --help` fast, each saying so."""

from __future__ import annotations

import ast
import io
import subprocess
import sys
import tokenize
from pathlib import Path

import grimp

ROOT = Path(__file__).parent.parent
PACKAGES = ("engine", "workflows")


def test_import_linter_contracts_are_kept() -> None:
    result = subprocess.run([str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def import_graph() -> dict[str, list[str]]:
    """Module → the modules it imports, for engine and workflows, packages' __init__
    modules included. Imports under `if TYPE_CHECKING:` run nothing and are left out."""
    graph = grimp.build_graph(*PACKAGES, exclude_type_checking_imports=True, cache_dir=None)
    return {module: sorted(graph.find_modules_directly_imported_by(module)) for module in graph.modules}


def import_cycles(imports: dict[str, list[str]]) -> list[list[str]]:
    """Every group of modules that import one another round in a circle: the strongly
    connected components of the graph (Tarjan's algorithm) of more than one module, or of
    one importing itself. Unlike import-linter's acyclic_siblings, which compares siblings
    only, this sees a package and its own submodule (engine/web/__init__.py importing
    engine/web/pages.py, which imports engine.web)."""
    index: dict[str, int] = {}
    lowest: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    for start in sorted(imports):
        if start in index:
            continue
        work = [(start, iter(imports[start]))]
        index[start] = lowest[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            module, targets = work[-1]
            for target in targets:
                if target not in index:
                    index[target] = lowest[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(imports[target])))
                    break
                if target in on_stack:
                    lowest[module] = min(lowest[module], index[target])
            else:
                work.pop()
                if work:
                    lowest[work[-1][0]] = min(lowest[work[-1][0]], lowest[module])
                if lowest[module] == index[module]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == module:
                            break
                    if len(component) > 1 or module in imports[module]:
                        cycles.append(sorted(component))
    return sorted(cycles)


def test_no_module_imports_one_that_imports_it_back() -> None:
    cycles = import_cycles(import_graph())
    assert cycles == [], f"{len(cycles)} import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_the_cycle_finder_sees_a_package_and_its_own_submodule() -> None:
    imports = {"web": ["web.pages"], "web.pages": ["web.deps"], "web.deps": ["web", "web.auth"],
               "web.auth": [], "core": ["core"], "store": []}
    assert import_cycles(imports) == [["core"], ["web", "web.deps", "web.pages"]]


def function_level_imports(source: str) -> tuple[list[int], list[int]]:
    """The lines of the imports inside function bodies of `source`: (those that say they are
    lazy, those that do not). An import says so with a comment containing "lazy" on its own
    lines or the line above it; consecutive imports share the comment above the first."""
    comments = {token.start[0]: token.string for token in tokenize.generate_tokens(io.StringIO(source).readline)
                if token.type == tokenize.COMMENT}
    lazy: list[int] = []
    hidden: list[int] = []

    def says_lazy(first: int, last: int) -> bool:
        return any("lazy" in comments.get(line, "").lower() for line in range(first - 1, last + 1))

    def visit(body: list[ast.stmt], in_function: bool) -> None:
        run_start: int | None = None  # the first line of a run of consecutive imports
        for statement in body:
            if isinstance(statement, (ast.Import, ast.ImportFrom)):
                if in_function:
                    first = statement.lineno if run_start is None else run_start
                    (lazy if says_lazy(first, statement.end_lineno or statement.lineno)
                     else hidden).append(statement.lineno)
                run_start = statement.lineno if run_start is None else run_start
                continue
            run_start = None
            inside = in_function or isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef))
            for field in ("body", "orelse", "finalbody"):
                visit(getattr(statement, field, []) or [], inside)
            for handler in getattr(statement, "handlers", []) or []:
                visit(handler.body, inside)
            for case in getattr(statement, "cases", []) or []:
                visit(case.body, inside)

    visit(ast.parse(source).body, in_function=False)
    return lazy, hidden


def test_every_function_level_import_is_a_lazy_one_that_says_so() -> None:
    hidden = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            _, unmarked = function_level_imports(path.read_text(encoding="utf-8"))
            hidden += [f"{path.relative_to(ROOT)}:{line}" for line in unmarked]
    assert hidden == [], (f"{len(hidden)} imports inside functions without a comment saying they are "
                          "lazy (move the shared piece down a layer instead):\n" + "\n".join(hidden))


def test_the_import_finder_tells_lazy_imports_from_hidden_ones() -> None:
    source = '''
import os


def main():
    # lazy: keeps manzoori --help fast
    from engine.core import items
    from engine.store import open_database
    import json  # lazy too

    value = 1
    import re
    if value:
        from engine import web


class Page:
    def render(self):
        try:
            from engine.web import deps
        except ImportError:
            import sys
'''
    lazy, hidden = function_level_imports(source)
    assert lazy == [7, 8, 9]
    assert hidden == [12, 14, 20, 22]
