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
import re
import warnings
from collections.abc import Iterable

try:  # the same hash as bflint.cache.content_hash
    from _blake2 import blake2b
except ImportError:  # pragma: no cover
    from hashlib import blake2b

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
ALL = None  # names: every name of the module (``import pkg.mod`` used as a whole)


_WORD = re.compile(r"[^\W\d]\w*")
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")  # Python's own line breaks


class Table:
    """One module's top-level statements: each with its lines, its source text
    and first line (a finding's message names the line), the names it defines
    (definitions only) and the names it mentions."""

    def __init__(self, tree: ast.Module, text: str):
        self.lines = _LINE.findall(text)
        lines = self.lines
        self.always: list[int] = []               # non-definition statements
        self.always_refs: set[str] = set()
        self.defs: dict[str, list[int]] = {}      # name -> its definitions
        self.code: list[str] = []
        self.span: list[tuple[int, int]] = []
        self.refs: list[set[str]] = []
        for i, s in enumerate(tree.body):
            start = min([s.lineno] + [d.lineno for d in getattr(s, "decorator_list", ())])
            end = getattr(s, "end_lineno", None) or s.lineno
            self.span.append((start, end))
            self.code.append(f"{start}\0{''.join(lines[start - 1:end])}")
            # every identifier of its text (attributes and words in strings too: more
            # statements kept, never fewer; a regex, not an AST walk: ~10x cheaper)
            self.refs.append(set(_WORD.findall(self.code[-1])))
            if isinstance(s, _DEFS):
                self.defs.setdefault(s.name, []).append(i)
            else:
                self.always.append(i)
                self.always_refs |= self.refs[i]

    def closure(self, names: Iterable[str] | None) -> tuple[list[int], list[str]]:
        """(indices of the statements what ``names`` are bound to depends on, in
        order; the names looked up)."""
        if names is ALL:
            return list(range(len(self.code))), ["*"]
        wanted = set(names) | self.always_refs
        done: set[str] = set()
        picked = set(self.always)
        while wanted:
            name = wanted.pop()
            if name in done:
                continue
            done.add(name)
            for index in self.defs.get(name, ()):
                picked.add(index)
                wanted |= self.refs[index] - done
        return sorted(picked), sorted(done)

    def fingerprint(self, names: Iterable[str] | None) -> str:
        h = blake2b(digest_size=16)
        picked, looked_up = self.closure(names)
        for index in picked:
            h.update(self.code[index].encode("utf-8", "surrogatepass"))
            h.update(b"\0")
        # the names asked for: a name missing now and defined later changes the hash
        h.update(repr(looked_up).encode())
        return h.hexdigest()

    def partial_text(self, names: Iterable[str]) -> tuple[str, tuple[int, ...]]:
        """The module with only the statements ``names`` depend on: every other line
        blank, so that each kept statement keeps its rows and columns (a summary
        parsed from it names the same file:line). Also the kept statements' indices."""
        picked, _ = self.closure(names)
        keep = bytearray(len(self.lines) + 1)
        for index in picked:
            start, end = self.span[index]
            for row in range(start, end + 1):
                if row <= len(self.lines):
                    keep[row - 1] = 1
        out = [line if keep[i] else ("\n" if line.endswith(("\n", "\r")) else "")
               for i, line in enumerate(self.lines)]
        return "".join(out), tuple(picked)


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
