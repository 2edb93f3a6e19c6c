"""Where a project's own imports live: import -> file, without importing anything.

The project root of a file is the nearest folder (the file's own included)
holding ``pyproject.toml``, ``setup.py`` or ``.git``; failing that, the
file's folder. Absolute imports are looked up under the root, the file's
folder, folders the file adds to ``sys.path`` (a string literal, or
``os.path.join(os.path.dirname(__file__), ...)`` / ``Path(__file__).parent``
spellings, also through a module-level name), and, when no marker was found,
up to two folders above the file (a script in ``scripts/`` importing the
package next to it). Relative imports are resolved from the file's package.

Names of well-known libraries (BayesFlow itself, numpy, keras...) are never
resolved to project files: a vendored copy must not replace the real API."""

from __future__ import annotations

import ast as pyast
import functools
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import libcst as cst

MARKERS = ("pyproject.toml", "setup.py", ".git")
# top-level names never taken for project modules
LIBRARIES = frozenset({
    "bayesflow", "keras", "numpy", "scipy", "jax", "jaxlib", "torch", "tensorflow", "pandas",
    "matplotlib", "seaborn", "sklearn", "os", "sys", "json", "pathlib", "random", "math",
    "typing", "collections", "functools", "itertools", "dataclasses", "pickle", "time",
    "logging", "argparse", "re", "copy", "abc", "warnings", "glob", "shutil", "datetime",
    "arviz", "pymc", "numba", "h5py", "optuna", "tqdm", "yaml", "hydra", "omegaconf",
    "wandb", "mlflow", "bflint", "libcst", "pytest", "__future__",
})
ANCESTOR_LEVELS = 2


@functools.lru_cache(maxsize=4096)
def project_root(folder: str) -> tuple[str, bool]:
    """(root, whether a marker was found) for a file in ``folder``."""
    p = Path(folder)
    for d in (p, *p.parents):
        for m in MARKERS:
            if os.path.exists(os.path.join(d, m)):
                return str(d), True
    return folder, False


@functools.lru_cache(maxsize=16384)
def _module_file(folder: str, dotted: str) -> str | None:
    base = os.path.join(folder, *dotted.split("."))
    f = base + ".py"
    if os.path.isfile(f):
        return f
    init = os.path.join(base, "__init__.py")
    if os.path.isfile(init):
        return init
    return None


# (a resolver's folders, dotted name) -> [(file, its absolute path)] in those folders: the
# pre-filter's lookups (bflint.project.index._candidates), forgotten with the caches above
FOUND: dict[tuple, list[tuple[str, str]]] = {}
LISTINGS: dict[str, dict[str, list[tuple[str, bool]]]] = {}  # folder -> its names (index._listing)


def clear_caches() -> None:
    project_root.cache_clear()
    _module_file.cache_clear()
    FOUND.clear()
    LISTINGS.clear()


class Resolver:
    """Import resolution for one file (``path``, its CST ``module`` for the
    ``sys.path`` additions)."""

    def __init__(self, path: str, module: "cst.Module | None" = None,
                 additions: list[str] | None = None):
        """``additions``: the file's ``sys.path`` additions when known without its
        CST (:func:`sys_path_additions_ast`); else read from ``module``."""
        self.path = os.path.abspath(path)
        self.folder = os.path.dirname(self.path)
        root, marked = project_root(self.folder)
        self.root = root
        dirs = [root, self.folder]
        if additions is not None:
            dirs.extend(additions)
        elif module is not None:
            dirs.extend(sys_path_additions(module, self.path))
        if not marked:
            up = Path(self.folder)
            for _ in range(ANCESTOR_LEVELS):
                if up.parent == up:
                    break
                up = up.parent
                dirs.append(str(up))
        self.dirs = list(dict.fromkeys(os.path.normpath(d) for d in dirs))
        self.dirs_key = tuple(self.dirs)
        # files an import looked for and did not find (issue 12: a module created
        # there later changes what the import resolves to; the cache checks them)
        self.missing: set[str] = set()

    def _find(self, folder: str, dotted: str) -> str | None:
        found = _module_file(folder, dotted)
        if found is None:
            base = os.path.join(folder, *dotted.split("."))
            self.missing.add(base + ".py")
            self.missing.add(os.path.join(base, "__init__.py"))
        return found

    def absolute(self, dotted: str) -> str | None:
        """The file of module ``dotted`` (``pkg.mod``), or None."""
        if not dotted or dotted.split(".")[0] in LIBRARIES:
            return None
        for d in self.dirs:
            found = self._find(d, dotted)
            if found is not None and os.path.abspath(found) != self.path:
                return found
        return None

    def package_folder(self, level: int) -> str | None:
        """The folder ``from .`` (level 1), ``from ..`` (2) ... refers to."""
        folder = self.folder
        for _ in range(level - 1):
            parent = os.path.dirname(folder)
            if parent == folder:
                return None
            folder = parent
        return folder

    def relative(self, level: int, dotted: str) -> str | None:
        """The file of ``from <level dots><dotted> import ...`` (``dotted`` may be empty:
        the package itself)."""
        folder = self.package_folder(level)
        if folder is None:
            return None
        if not dotted:
            init = os.path.join(folder, "__init__.py")
            if not os.path.isfile(init):
                self.missing.add(init)
                return None
            return init if os.path.abspath(init) != self.path else None
        found = self._find(folder, dotted)
        return found if found is not None and os.path.abspath(found) != self.path else None


# -- sys.path additions ---------------------------------------------------------

def _string(node) -> str | None:
    # start-up: the pre-filter's resolution needs no LibCST
    from bflint.semantic.cst_util import string_value

    return string_value(node)


def _up(path: str | None, levels: int) -> str | None:
    """``Path(path).parents[levels - 1]``: ``levels`` times ``os.path.dirname``."""
    if not path:
        return None
    for _ in range(levels):
        path = os.path.dirname(path)
    return path


def _path_call(name: str | None, receiver, args: list, value, string) -> str | None:
    """What the path calls both evaluators know give (``os.path.join`` / ``dirname`` /
    ``abspath`` ..., ``str()``, ``Path()``, ``.resolve()`` / ``.absolute()``): ``receiver``
    the node before ``.name`` (None for a plain call), ``value(node)`` evaluates a node,
    ``string(node)`` reads a string literal."""
    if name in ("resolve", "absolute") and receiver is not None and not args:
        return value(receiver)
    if name in ("str", "Path", "abspath", "realpath", "normpath", "fspath") and len(args) == 1:
        inner = value(args[0])
        return os.path.normpath(inner) if inner else None
    if name == "dirname" and len(args) == 1:
        return _up(value(args[0]), 1)
    if name == "join" and args:
        first = value(args[0])
        parts = [string(a) for a in args[1:]]
        rest = [r for r in parts if r is not None]
        if first is None or len(rest) != len(parts):
            return None
        return os.path.normpath(os.path.join(first, *rest))
    return None


class _PathEval:
    """A tiny evaluator of path expressions made of ``__file__``, string literals,
    ``os.path.join/dirname/abspath/realpath/normpath``, ``str()``, ``Path(...)``,
    ``.parent`` / ``.parents[i]`` / ``.resolve()`` / ``.absolute()`` and ``/``."""

    def __init__(self, path: str):
        self.file = path
        self.names: dict[str, str] = {}

    def eval(self, e, depth: int = 0) -> str | None:
        import libcst as cst  # start-up: the pre-filter's resolution needs no LibCST

        if depth > 20:
            return None
        s = _string(e)
        if s is not None:
            return s if os.path.isabs(s) else os.path.normpath(
                os.path.join(os.path.dirname(self.file), s))
        if isinstance(e, cst.Name):
            if e.value == "__file__":
                return self.file
            return self.names.get(e.value)
        if isinstance(e, cst.Attribute):
            return _up(self.eval(e.value, depth + 1), 1) if e.attr.value == "parent" else None
        if isinstance(e, cst.Subscript) and isinstance(e.value, cst.Attribute) \
                and e.value.attr.value == "parents" and len(e.slice) == 1 \
                and isinstance(e.slice[0].slice, cst.Index) \
                and isinstance(e.slice[0].slice.value, cst.Integer):
            return _up(self.eval(e.value.value, depth + 1), int(e.slice[0].slice.value.value) + 1)
        if isinstance(e, cst.BinaryOperation) and isinstance(e.operator, cst.Divide):
            left = self.eval(e.left, depth + 1)
            right = _string(e.right)
            if left is None or right is None:
                return None
            return os.path.normpath(os.path.join(left, right))
        if isinstance(e, cst.Call):
            func = e.func
            name = func.attr.value if isinstance(func, cst.Attribute) else (
                func.value if isinstance(func, cst.Name) else None)
            args = [a.value for a in e.args if a.keyword is None and not a.star]
            if len(args) != len(e.args):
                return None
            return _path_call(name, func.value if isinstance(func, cst.Attribute) else None,
                              args, lambda n: self.eval(n, depth + 1), _string)
        return None


def _module_level(body):
    """Module-level statements, also inside ``if`` / ``try`` / ``with`` blocks."""
    import libcst as cst  # start-up: the pre-filter's resolution needs no LibCST

    for s in body:
        if isinstance(s, cst.SimpleStatementLine):
            yield from s.body
        elif isinstance(s, (cst.If, cst.Try, cst.With)):
            yield from _module_level(s.body.body)
            orelse = getattr(s, "orelse", None)
            if orelse is not None:
                inner = orelse if isinstance(orelse, cst.If) else orelse
                if isinstance(inner, cst.If):
                    yield from _module_level([inner])
                else:
                    yield from _module_level(inner.body.body)


def sys_path_additions(module: cst.Module, path: str) -> list[str]:
    """Folders the module adds to ``sys.path`` with statically known paths."""
    import libcst as cst  # start-up: the pre-filter's resolution needs no LibCST

    ev = _PathEval(path)
    out: list[str] = []
    for s in _module_level(module.body):
        if isinstance(s, cst.Assign) and len(s.targets) == 1 and isinstance(s.targets[0].target,
                                                                             cst.Name):
            v = ev.eval(s.value)
            name = s.targets[0].target.value
            if v is not None:
                ev.names[name] = v
            else:
                ev.names.pop(name, None)
            continue
        if not isinstance(s, cst.Expr) or not isinstance(s.value, cst.Call):
            continue
        call = s.value
        func = call.func
        if not (isinstance(func, cst.Attribute) and func.attr.value in ("append", "insert")
                and isinstance(func.value, cst.Attribute) and func.value.attr.value == "path"
                and isinstance(func.value.value, cst.Name) and func.value.value.value == "sys"):
            continue
        args = [a.value for a in call.args]
        target = args[-1] if args else None
        if target is None or (func.attr.value == "insert" and len(args) != 2):
            continue
        v = ev.eval(target)
        if v is not None and os.path.isdir(v):
            out.append(v)
    return out


# -- the same without LibCST (the pre-filter's view, issue 18 §3) -------------------
# A file that fails the text pre-filter is analysed when a project module it imports
# passes it; a file that edits sys.path may import from the folders it adds. These
# mirror _PathEval, _module_level and sys_path_additions on the ``ast`` of the file
# (CPython's parser: no LibCST for a run over files that never use BayesFlow), and
# answer None where they are not sure to find the same folders: the caller then
# treats the file as one that may matter.

_UNSURE = object()  # a name bound inside a block: LibCST's view may bind it otherwise


class _Unsure(Exception):
    pass


def _ast_string(node) -> str | None:
    return node.value if isinstance(node, pyast.Constant) and type(node.value) is str else None


class _AstPathEval:
    """:class:`_PathEval` on ``ast`` nodes: the same forms, the same results."""

    def __init__(self, path: str):
        self.file = path
        self.names: dict[str, object] = {}

    def eval(self, e, depth: int = 0) -> str | None:
        if depth > 20:
            return None
        if isinstance(e, pyast.Constant) and type(e.value) is str:
            s = e.value
            return s if os.path.isabs(s) else os.path.normpath(
                os.path.join(os.path.dirname(self.file), s))
        if isinstance(e, pyast.Name):
            if e.id == "__file__":
                return self.file
            v = self.names.get(e.id)
            if v is _UNSURE:
                raise _Unsure
            return v if isinstance(v, str) else None
        if isinstance(e, pyast.Attribute):
            return _up(self.eval(e.value, depth + 1), 1) if e.attr == "parent" else None
        if isinstance(e, pyast.Subscript) and isinstance(e.value, pyast.Attribute) \
                and e.value.attr == "parents" and isinstance(e.slice, pyast.Constant) \
                and type(e.slice.value) is int and e.slice.value >= 0:
            return _up(self.eval(e.value.value, depth + 1), e.slice.value + 1)
        if isinstance(e, pyast.BinOp) and isinstance(e.op, pyast.Div):
            left = self.eval(e.left, depth + 1)
            right = _ast_string(e.right)
            if left is None or right is None:
                return None
            return os.path.normpath(os.path.join(left, right))
        if isinstance(e, pyast.Call):
            func = e.func
            name = func.attr if isinstance(func, pyast.Attribute) else (
                func.id if isinstance(func, pyast.Name) else None)
            if e.keywords or any(isinstance(a, pyast.Starred) for a in e.args):
                return None
            return _path_call(name, func.value if isinstance(func, pyast.Attribute) else None,
                              list(e.args), lambda n: self.eval(n, depth + 1), _ast_string)
        return None


def _ast_module_level(body, nested: bool = False):
    """:func:`_module_level` on ``ast`` statements, each with whether it is inside a
    block: ``if`` (``elif``/``else``), ``try`` (its body and ``else``, not its
    handlers) and ``with``. (LibCST's walk skips a block written on its header's
    line, ``if c: x = 1``; this one cannot tell: a name bound in any block is not
    followed, an extra ``sys.path`` folder is harmless.)"""
    for s in body:
        if isinstance(s, (pyast.If, pyast.Try)):
            yield from _ast_module_level(s.body, True)
            yield from _ast_module_level(s.orelse, True)
        elif isinstance(s, (pyast.With, pyast.AsyncWith)):
            yield from _ast_module_level(s.body, True)
        else:
            yield s, nested


def sys_path_additions_ast(source: bytes, path: str) -> list[str] | None:
    """:func:`sys_path_additions` of a file's bytes with ``ast``; None when the file
    does not parse or a ``sys.path.append/insert`` argument is not a path it can
    follow (LibCST's view might then find a folder this one does not)."""
    found = sys_path_candidates_ast(source, path)
    return None if found is None else [d for d in found if os.path.isdir(d)]


def sys_path_candidates_ast(source: bytes, path: str) -> list[str] | None:
    """The folders :func:`sys_path_additions_ast` considers, whether they exist or
    not: a function of the bytes and the path only (the result cache keeps it)."""
    import warnings

    try:
        with warnings.catch_warnings():  # no SyntaxWarning on stderr
            warnings.simplefilter("ignore")
            tree = pyast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    path = os.path.abspath(path)
    ev = _AstPathEval(path)
    out: list[str] = []
    try:
        return _additions(tree, ev, out)
    except _Unsure:
        return None


def _additions(tree, ev: _AstPathEval, out: list[str]) -> list[str] | None:
    for s, nested in _ast_module_level(tree.body):
        if isinstance(s, pyast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], pyast.Name):
            name = s.targets[0].id
            if nested:
                ev.names[name] = _UNSURE
                continue
            try:
                v: object = ev.eval(s.value)
            except _Unsure:
                v = _UNSURE
            if v is not None:
                ev.names[name] = v
            else:
                ev.names.pop(name, None)
            continue
        if not isinstance(s, pyast.Expr) or not isinstance(s.value, pyast.Call):
            continue
        call = s.value
        func = call.func
        if not (isinstance(func, pyast.Attribute) and func.attr in ("append", "insert")
                and isinstance(func.value, pyast.Attribute) and func.value.attr == "path"
                and isinstance(func.value.value, pyast.Name) and func.value.value.id == "sys"):
            continue
        if call.keywords or any(isinstance(a, pyast.Starred) for a in call.args):
            return None
        args = call.args
        target = args[-1] if args else None
        if target is None or (func.attr == "insert" and len(args) != 2):
            continue
        v = ev.eval(target)
        if v is None:
            return None
        out.append(v)
    return out
