"""The pipeline's imports go one way down (issue 10 §3), as Fixit's
``ftypes <- rule <- engine <- api <- cli``: every module-level import of a
bflint module points to the same or a lower layer, the module-level import
graph has no cycle, and an import inside a function says why it is there
(a ``start-up`` comment on its line or right above it: the measured reason
to defer it)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Lower number = lower layer. A module is ranked by its longest matching prefix.
LAYERS: dict[str, int] = {
    # leaves: bytes, text, facts
    "bflint.finding": 0, "bflint.source": 0, "bflint.versions": 0, "bflint.groups": 0,
    "bflint.atomic": 0, "bflint.gitignore": 0, "bflint.bayesflow_api": 0, "bflint.data": 0,
    "bflint.target": 0, "bflint.chunked": 0, "bflint.codecache": 0,
    # settings: which rules, which files, which lines
    "bflint.rules": 1,  # the package itself (its __init__), not the rule modules
    "bflint.registry": 1, "bflint.selection": 1, "bflint.suppression": 1, "bflint.discovery": 1,
    "bflint.config": 1, "bflint.edits": 1,
    # analysis: the semantic model, the analyses over it, other modules' summaries
    "bflint.semantic": 2, "bflint.analyze": 2, "bflint.model": 2, "bflint.positions": 2,
    "bflint.project": 2,
    # rules: queries of the model
    "bflint.rule": 3, "bflint.rules.": 3,
    # one text -> findings; cells -> findings; fixes and the cache on top of them
    "bflint.engine": 4,
    "bflint.notebook": 5,
    "bflint.fix": 6, "bflint.cache": 6,
    "bflint.runner": 7,  # the only loop over files
    "bflint.api": 8, "bflint.output": 8, "bflint.add_noqa": 8, "bflint.notebook_fix": 8, "bflint.flake8_plugin": 8,
    "bflint.cli": 9, "bflint.check_command": 9, "bflint.entry": 9, "bflint.server": 9, "bflint.ipython_ext": 9, "bflint.runtime": 9,
    "bflint.__main__": 9,
    "bflint": 10,  # the package's lazy public names
}


def rank(module: str) -> int:
    best = None
    for prefix, r in LAYERS.items():
        if module == prefix or (prefix.endswith(".") and module.startswith(prefix)) \
                or module.startswith(prefix + "."):
            if best is None or len(prefix) > len(best[0]):
                best = (prefix, r)
    if best is None:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS in tests/test_layering.py")
    return best[1]


def modules() -> dict[str, Path]:
    found = {}
    for base, pkg in ((ROOT / "bflint", "bflint"), (ROOT / "rules", "bflint.rules")):
        for p in base.rglob("*.py"):
            parts = p.relative_to(base).with_suffix("").parts
            name = ".".join((pkg, *parts))
            found[name.removesuffix(".__init__")] = p
    return found


MODULES = modules()


def _targets(module: str, path: Path, node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "bflint" and a.name != "bflint"]
    if node.level:
        base = module.split(".")
        if path.name != "__init__.py":
            base = base[:-1]
        base = base[:len(base) - (node.level - 1)]
        mod = ".".join(base + ([node.module] if node.module else []))
    else:
        mod = node.module or ""
    if mod.split(".")[0] != "bflint":
        return []
    subs = [f"{mod}.{a.name}" for a in node.names if f"{mod}.{a.name}" in MODULES]
    names = [a.name for a in node.names if f"{mod}.{a.name}" not in MODULES]
    # ``from bflint import __version__``: the package is imported by every submodule's import
    # anyway; test_package_imports_nothing_at_module_level keeps that free
    if names and mod != "bflint":
        subs.append(mod)
    return subs


def _imports(module: str, path: Path):
    """(node, targets, enclosing function or None) of every import of a
    bflint module, skipping ``if TYPE_CHECKING:`` blocks."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []

    def visit(node, function) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                targets = [t for t in _targets(module, path, child) if t != module]
                if targets:
                    out.append((child, targets, function))
            inner = child if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else function
            visit(child, inner)

    visit(tree, None)
    return out


def test_every_module_is_in_a_layer():
    for name in MODULES:
        rank(name)


def test_package_imports_nothing_at_module_level():
    assert [t for _, t, f in _imports("bflint", MODULES["bflint"]) if f is None] == []


def test_module_level_imports_go_down():
    wrong = []
    for name, path in MODULES.items():
        for node, targets, function in _imports(name, path):
            if function is not None:
                continue
            for t in targets:
                if rank(t) > rank(name):
                    wrong.append(f"{path.relative_to(ROOT)}:{node.lineno} {name} (layer {rank(name)}) "
                                 f"imports {t} (layer {rank(t)})")
    assert wrong == []


def test_no_module_level_import_cycle():
    graph = {name: set() for name in MODULES}
    for name, path in MODULES.items():
        for _, targets, function in _imports(name, path):
            if function is None:
                graph[name] |= {t for t in targets if t in MODULES and t != "bflint"}
    # the package __init__ is imported by every submodule's import machinery; it imports nothing at top
    state: dict[str, int] = {}
    cycles = []

    def dfs(v: str, stack: list[str]) -> None:
        state[v] = 1
        for w in sorted(graph[v]):
            if state.get(w) == 1:
                cycles.append(" -> ".join(stack[stack.index(w):] + [w]))
            elif w not in state:
                dfs(w, stack + [w])
        state[v] = 2

    for v in sorted(graph):
        if v not in state:
            dfs(v, [v])
    assert cycles == []


# The runtime companion is its own program (bflint.runtime imports no linter module); its lazy
# imports of numpy / matplotlib / BayesFlow are checked by its own tests.
PENDING: tuple[str, ...] = ()


def test_function_level_imports_say_why():
    unexplained = []
    for name, path in MODULES.items():
        if name.startswith(PENDING):
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        for node, targets, function in _imports(name, path):
            if function is None:
                continue
            # a comment on the import's line, or in the function above it
            here = lines[node.lineno - 1]
            above = [lines[i].strip() for i in range(function.lineno - 1, node.lineno - 1)]
            comments = [here] + [a for a in above if a.startswith("#")]
            if not any("start-up" in c.lower() for c in comments):
                unexplained.append(f"{path.relative_to(ROOT)}:{node.lineno} {here.strip()}")
    assert unexplained == [], "\n".join(unexplained)


@pytest.mark.parametrize("module", ["bflint.engine", "bflint.notebook", "bflint.runner"])
def test_the_pipeline_does_not_reach_up(module):
    """The engine never imports the notebook, fix or runner layers; the
    notebook never imports fix or runner (the old engine <-> runner <->
    notebook <-> fix circle)."""
    for node, targets, _ in _imports(module, MODULES[module]):
        for t in targets:
            assert rank(t) <= rank(module), f"{module}:{node.lineno} imports {t}"
