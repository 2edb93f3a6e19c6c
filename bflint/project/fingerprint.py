"""Summary fingerprints of project modules (issue 12): what an importer's
findings can depend on, hashed without LibCST.

A file's cached findings depend on each project module it imports only
through the names it takes from it. The fingerprint of ``(module, names)``
hashes the source text, with its first line (a finding's message names the
other module's file and line), of the module's top-level statements that are
not function or class definitions (imports, assignments, module-level calls,
``if`` blocks: they decide what any name is bound to) plus the definitions of
``names`` and, transitively, of every module-level name those statements
mention. An edit elsewhere in the module (a function no importer takes, a
comment between definitions) leaves the fingerprint, and so the importers'
cached findings, unchanged; an edit of a used function, of a helper it calls
or of any module-level statement changes it.

Computed with the standard library's ``ast`` (the C parser: ~1 ms for a
module of a few hundred lines), so a warm run that only validates cache
entries never loads LibCST. A module ``ast`` cannot parse has no
fingerprint (None): its importers are re-checked on any change."""

from __future__ import annotations

import ast
import warnings
from collections.abc import Iterable

try:  # the same hash as bflint.cache.content_hash
    from _blake2 import blake2b
except ImportError:  # pragma: no cover
    from hashlib import blake2b

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
ALL = None  # names: every name of the module (``import pkg.mod`` used as a whole)


class Table:
    """One module's top-level statements: each with its source text and first
    line (a finding's message names the line), the names it defines
    (definitions only) and the names it mentions."""

    def __init__(self, tree: ast.Module, text: str):
        lines = text.splitlines(keepends=True)
        self.always: list[str] = []               # non-definition statements
        self.always_refs: set[str] = set()
        self.defs: dict[str, list[tuple[int, str, set[str]]]] = {}  # name -> (index, text, refs)
        for i, s in enumerate(tree.body):
            start = min([s.lineno] + [d.lineno for d in getattr(s, "decorator_list", ())])
            end = getattr(s, "end_lineno", None) or s.lineno
            code = f"{start}\0{''.join(lines[start - 1:end])}"
            refs = _mentioned(s)
            if isinstance(s, _DEFS):
                self.defs.setdefault(s.name, []).append((i, code, refs))
            else:
                self.always.append(code)
                self.always_refs |= refs

    def fingerprint(self, names: Iterable[str] | None) -> str:
        h = blake2b(digest_size=16)
        for d in self.always:
            h.update(d.encode("utf-8", "surrogatepass"))
            h.update(b"\0")
        if names is ALL:
            wanted = set(self.defs)
        else:
            wanted = set(names) | self.always_refs
        done: set[str] = set()
        picked: list[tuple[int, str]] = []
        while wanted:
            name = wanted.pop()
            if name in done:
                continue
            done.add(name)
            for index, code, refs in self.defs.get(name, ()):
                picked.append((index, code))
                wanted |= refs - done
        for _, code in sorted(picked):
            h.update(code.encode("utf-8", "surrogatepass"))
            h.update(b"\0")
        # the names asked for: a name missing now and defined later changes the hash
        h.update(repr(sorted(done) if names is not ALL else "*").encode())
        return h.hexdigest()


def _mentioned(node: ast.AST) -> set[str]:
    out = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            out.add(n.id)
        elif isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name):
            out.add(n.value.id)
    return out


def table(text: str) -> Table | None:
    """The fingerprint table of a module's text, or None when ``ast`` cannot parse it."""
    try:
        with warnings.catch_warnings():  # no "SyntaxWarning: invalid escape sequence" on stderr
            warnings.simplefilter("ignore")
            return Table(ast.parse(text), text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def fingerprint(text: str, names: Iterable[str] | None) -> str | None:
    t = table(text)
    return t.fingerprint(names) if t is not None else None
