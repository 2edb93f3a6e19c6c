"""Incremental parsing and positions for one document edited in the server.

An edit in an editor changes a few lines of a file; LibCST parses the whole
file again (~90 ms for 500 lines) and generates it again for the reported
nodes' positions (~40 ms). A :class:`Document` keeps the last tree of its
text and, for the next text:

* **parse**: the changed characters (common prefix and suffix of the two
  texts) lie in a run of top-level statements; that run, with one unchanged
  statement on each side, is parsed alone and spliced into the previous
  tree, whose other statements are reused as they are (the same node
  objects). The tree is the one a full parse gives (tests/test_server.py
  compares them with ``deep_equals`` over the fixtures with random edits).
  Whenever the splice could differ from a full parse, the whole text is
  parsed: the run does not parse alone (an edit opening a bracket or a
  string), it would change the module's detected indentation, newline or
  encoding, it has no statement, or the file is small.
* **positions**: the ranges of every node of a top-level statement,
  relative to the statement's first line, are computed once per statement
  object (one code generation of that statement) and shifted by the
  statement's line in the current module; only the statements a parse
  produced are generated again. A node outside every statement (the module
  itself, its header or footer) takes the engine's usual pass.

The document is never run. Thread safety: one document is checked by one
thread at a time (the server's single worker)."""

from __future__ import annotations

import ast
import bisect
import re
import warnings
from collections.abc import Iterable
from typing import Any

import libcst as cst

from bflint import engine, source
from bflint import positions as positions_mod

_NEWLINE = re.compile(r"\r\n?|\n")
MIN_STATEMENTS = 6   # below this a full parse costs about as much as the splice


def _line_starts(text: str) -> list[int]:
    return [0] + [m.end() for m in _NEWLINE.finditer(text)]


def _common_prefix(a: str, b: str) -> int:
    """Length of the common prefix (binary search on C-speed slice compares)."""
    lo, hi = 0, min(len(a), len(b))
    if a[:hi] == b[:hi]:
        return hi
    while lo < hi:  # invariant: a[:lo] == b[:lo], a[:hi] != b[:hi]
        mid = (lo + hi + 1) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _common_suffix(a: str, b: str, limit: int) -> int:
    lo, hi = 0, limit
    la, lb = len(a), len(b)
    if a[la - hi:] == b[lb - hi:]:
        return hi
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[la - mid:la - lo] == b[lb - mid:lb - lo]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def has_block(stmt: cst.CSTNode) -> bool:
    """Whether a top-level statement contains an indented block (an INDENT
    token: what LibCST's default indentation is detected from)."""
    stack: list[Any] = [stmt]
    while stack:
        n = stack.pop()
        if isinstance(n, cst.Match):
            return True
        if isinstance(getattr(n, "body", None), cst.IndentedBlock):
            return True
        for name in ("orelse", "handlers", "finalbody"):
            v = getattr(n, name, None)
            if isinstance(v, (list, tuple)):
                stack.extend(v)
            elif v is not None:
                stack.append(v)
    return False


def _first_block(body: Iterable[cst.CSTNode]) -> int | None:
    for i, s in enumerate(body):
        if isinstance(s, cst.BaseCompoundStatement) and has_block(s):
            return i
    return None


def _combine(parts) -> tuple[int, int, int, int]:
    """The measures of a module from its statements': depths are maxima, the cost a sum."""
    depth = statements = cost = concat = 0
    for d, st, c, cc in parts:
        depth, statements, cost, concat = max(depth, d), max(statements, st), cost + c, max(concat, cc)
    return depth, statements, cost, concat


def _near_limit(m: tuple[int, int, int, int]) -> bool:
    depth, statements, cost, concat = m
    return (depth >= source.MAX_NESTING or statements >= source.MAX_STATEMENTS
            or cost >= source.EXPR_BUDGET or concat >= source.MAX_CONCATENATION)


class _Info:
    """One top-level statement's code, line count and its nodes' relative ranges."""

    __slots__ = ("code", "lines", "ranges")

    def __init__(self, code: str, lines: int, ranges: dict) -> None:
        self.code = code
        self.lines = lines
        self.ranges = ranges


def _lines_code(lines, module: cst.Module) -> str:
    """The code of a module's header or footer lines."""
    return "".join(module.code_for_node(line) for line in lines)


def _round_trips(generated: str, text: str, trailing_newline: bool) -> bool:
    """Whether LibCST generates ``text`` back (it does not always: whitespace
    before a backslash continuation on its own line is lost), so that line
    counts of generated statements are the text's."""
    if trailing_newline:
        return generated == text
    return generated.startswith(text) and _NEWLINE.fullmatch(generated[len(text):]) is not None


class Document:
    """The last parsed tree of one document and what it knows of its statements."""

    # a chunk larger than this share of the file: parse the whole file
    MAX_SHARE = 0.6

    def __init__(self, verify: bool = False) -> None:
        self.text: str | None = None
        self.module: cst.Module | None = None
        self.first_block: int | None = None   # index of the first statement with a block
        self.round_trips = False              # the tree generates the text back exactly
        self.measures: dict[cst.CSTNode, tuple[int, int, int, int]] = {}  # the nesting guard's
        self._planned: tuple[str, Any] | None = None   # (text, _plan(text))
        self._chunk_tree: tuple[str, ast.Module, list[str]] | None = None  # known_guard's parse
        self.info: dict[cst.CSTNode, _Info] = {}   # statement object -> _Info
        self.where: dict[cst.CSTNode, cst.CSTNode] = {}  # node -> its top-level statement
        self.verify = verify                  # tests: compare every splice with a full parse
        self.stats = {"full": 0, "incremental": 0, "generated": 0}

    # -- parsing ---------------------------------------------------------------------
    def parse(self, text: str) -> cst.Module:
        """The tree of ``text``; raises what ``libcst.parse_module`` raises."""
        module = None
        if self.module is not None and self.text is not None:
            if text == self.text:
                return self.module
        if self.module is not None and self.text is not None and self.round_trips:
            try:
                module = self._splice(text)
            except (cst.ParserSyntaxError, cst.CSTValidationError, ValueError):
                module = None  # the whole text decides (and reports the error)
        if module is None:
            module = engine.parse_module(text)
            self.first_block = _first_block(module.body)
            self.stats["full"] += 1
            generated = "".join([_lines_code(module.header, module),
                                 *(self._info(module, st).code for st in module.body),
                                 _lines_code(module.footer, module)])
            self.round_trips = _round_trips(generated, text, module.has_trailing_newline)
            if self.round_trips:
                self._measure(text, module, module.body, len(module.header))
        else:
            self.stats["incremental"] += 1
            if self.verify:
                full = cst.parse_module(text)
                if not full.deep_equals(module):  # pragma: no cover - a bug: say so loudly
                    raise AssertionError("incremental parse differs from the full parse")
        self.text, self.module = text, module
        self._planned = None  # plans are relative to the previous tree
        self._prune()
        return module

    def _statement_lines(self, module: cst.Module) -> list[int]:
        """0-based first line of each top-level statement (its leading lines
        included), plus the line after the last one."""
        at = len(module.header)
        out = []
        for stmt in module.body:
            out.append(at)
            at += self._info(module, stmt).lines
        out.append(at)
        return out

    def _plan(self, text: str) -> tuple[int, int, str] | None:
        """(first, last statement to parse again, the chunk of ``text`` that
        replaces them), or None when the whole text must be parsed."""
        if self._planned is not None and self._planned[0] is text:
            return self._planned[1]
        plan = self._make_plan(text)
        self._planned = (text, plan)
        return plan

    def _make_plan(self, text: str) -> tuple[int, int, str] | None:
        old, old_text = self.module, self.text
        if old is None or old_text is None or not self.round_trips:
            return None
        body = old.body
        if len(body) < MIN_STATEMENTS:
            return None
        p = _common_prefix(old_text, text)
        s = _common_suffix(old_text, text, min(len(old_text), len(text)) - p)
        starts = _line_starts(old_text)
        stmt_lines = self._statement_lines(old)
        # the statements holding the first and the last changed character
        first_line = bisect.bisect_right(starts, p) - 1
        last_off = max(p, len(old_text) - s - 1)
        last_line = bisect.bisect_right(starts, last_off) - 1
        i = max(0, bisect.bisect_right(stmt_lines, first_line) - 1)
        j = max(0, bisect.bisect_right(stmt_lines, last_line) - 1)
        i, j = max(0, min(i, len(body) - 1) - 1), min(len(body) - 1, j + 1)
        at_start, at_end = i == 0, j == len(body) - 1
        if at_start and at_end:
            return None
        start = 0 if at_start else starts[stmt_lines[i]]
        if at_end:
            old_end = len(old_text)
        else:
            end_line = stmt_lines[j + 1]
            if end_line >= len(starts):
                return None
            old_end = starts[end_line]
        if start > p or old_end < len(old_text) - s:  # the chunk must hold the change
            return None
        new_end = old_end + len(text) - len(old_text)
        if new_end < start or (new_end - start) > self.MAX_SHARE * len(text):
            return None
        return i, j, text[start:new_end]

    # -- the nesting guard -----------------------------------------------------------
    def known_guard(self, text: str) -> tuple[bool, str | None] | None:
        """``source.nesting_guard(text)`` from the measures of the unchanged
        statements and of the chunk parsed again (CPython's parse of the
        whole file is ~half the guard); None: the guard must measure the whole
        text (no plan, a chunk CPython rejects or with a ``__future__`` import,
        or measures near a limit: the whole text says which limit it passes)."""
        plan = self._plan(text)
        if plan is None or self.module is None:
            return None
        i, j, chunk = plan
        if "__future__" in chunk:
            return None  # its place in the file matters to CPython
        body = self.module.body
        parts = []
        for stmt in (*body[:i], *body[j + 1:]):
            m = self.measures.get(stmt)
            if m is None:
                return None
            parts.append(m)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(chunk)
            lines = source.physical_lines(chunk) if "\n" in chunk else [chunk]
            parts.append(source.measure_ast(tree, lines))
        except Exception:  # SyntaxError, RecursionError, ValueError...: the whole text decides
            return None
        self._chunk_tree = (chunk, tree, lines)
        total = _combine(parts)
        if _near_limit(total):
            return None
        return source.nesting_guard(text, total)

    def _measure(self, text: str, module: cst.Module, stmts, first_line: int,
                 tree: ast.Module | None = None, lines: list[str] | None = None) -> None:
        """The guard's measures of each statement of ``stmts`` (top-level
        statements of ``module`` from line ``first_line`` of ``text``, 0-based)."""
        try:
            if tree is None:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    tree = ast.parse(text)
                lines = source.physical_lines(text) if "\n" in text else [text]
        except Exception:
            return
        ends, at = [], first_line
        for stmt in stmts:
            at += self._info(module, stmt).lines
            ends.append(at)
        groups: list[list[ast.stmt]] = [[] for _ in stmts]
        k = 0
        for node in tree.body:
            while k < len(ends) - 1 and node.lineno - 1 >= ends[k]:
                k += 1
            groups[k].append(node)
        for stmt, group in zip(stmts, groups):
            self.measures[stmt] = source.measure_ast(ast.Module(body=group, type_ignores=[]), lines)

    def _splice(self, text: str) -> cst.Module | None:
        old = self.module
        plan = self._plan(text)
        if plan is None or old is None:
            return None
        body = old.body
        i, j, chunk = plan
        at_start, at_end = i == 0, j == len(body) - 1
        cm = engine.parse_without_gc(cst.parse_module, chunk)
        if not cm.body or cm.encoding != old.encoding:
            return None
        if ("\n" in chunk or "\r" in chunk) and cm.default_newline != old.default_newline:
            return None
        new_stmts = list(cm.body)
        block = _first_block(new_stmts)
        # the module's default indentation is the first block's (LibCST stores a
        # block's indent as None when it is the default): it must not move
        if block is not None:
            if cm.default_indent != old.default_indent:
                return None
        elif self.first_block is not None and i <= self.first_block <= j:
            return None  # the first block was removed: the next one decides
        if not at_start and cm.header:
            new_stmts[0] = new_stmts[0].with_changes(
                leading_lines=(*cm.header, *new_stmts[0].leading_lines))
        if not at_end and cm.footer:
            return None  # these lines would lead the next statement
        generated = "".join([_lines_code(cm.header, cm) if at_start else "",
                             *(self._info(old, st).code for st in new_stmts),
                             _lines_code(cm.footer, cm) if at_end else ""])
        if not _round_trips(generated, chunk, cm.has_trailing_newline or not at_end):
            return None  # line counts would not be the text's
        changes: dict[str, Any] = {"body": (*body[:i], *new_stmts, *body[j + 1:])}
        if at_start:
            changes["header"] = cm.header
        if at_end:
            changes["footer"] = cm.footer
            changes["has_trailing_newline"] = cm.has_trailing_newline
        module = old.with_changes(**changes)
        known = self._chunk_tree
        if known is not None and known[0] is chunk:  # known_guard parsed this chunk
            self._measure(chunk, module, new_stmts, len(cm.header) if at_start else 0,
                          known[1], known[2])
        self._chunk_tree = None
        if self.first_block is not None and self.first_block < i:
            pass
        elif block is not None:
            self.first_block = i + block
        elif self.first_block is not None:
            self.first_block += len(new_stmts) - (j - i + 1)
        return module

    # -- positions -------------------------------------------------------------------
    def _info(self, module: cst.Module, stmt: cst.CSTNode) -> _Info:
        info = self.info.get(stmt)
        if info is None:
            state = positions_mod._State(default_indent=module.default_indent,
                                         default_newline=module.default_newline,
                                         targets=frozenset(), inside=1, remaining=1 << 60,
                                         line=0)
            stmt._codegen(state)
            ranges = state.computed
            info = self.info[stmt] = _Info("".join(state.tokens), state.line, ranges)
            where = self.where
            for n in ranges:
                where[n] = stmt
            self.stats["generated"] += 1
        return info

    def _prune(self) -> None:
        """Forget statements no longer in the tree once they are many."""
        module = self.module
        if module is None or len(self.info) <= 2 * len(module.body) + 64:
            return
        alive = set(module.body)
        self.info = {s: i for s, i in self.info.items() if s in alive}
        self.measures = {s: m for s, m in self.measures.items() if s in alive}
        self.where = {n: s for n, s in self.where.items() if s in alive}

    def positions(self, module: cst.Module, nodes: Iterable[cst.CSTNode]) -> dict:
        """As :func:`bflint.positions.positions` (1-based, exclusive end column)."""
        if module is not self.module:
            return positions_mod.positions(module, nodes)
        line_of: dict[cst.CSTNode, int] = {}
        at = len(module.header)
        for top in module.body:
            line_of[top] = at
            at += self._info(module, top).lines
        out, missing = {}, []
        where = self.where
        for n in nodes:
            stmt = where.get(n)
            base = line_of.get(stmt) if stmt is not None else None
            if stmt is None or base is None:
                missing.append(n)
                continue
            r, c, er, ec = self.info[stmt].ranges[n]
            out[n] = (r + base + 1, c + 1, er + base + 1, ec + 1)
        if missing:
            # outside every statement: the module itself, its header or footer; any
            # other node is not in this module (a project module's node, issue 12: the
            # engine relocates it), which the whole pass would generate the module for
            edges = self._edges(module)
            own = [n for n in missing if n is module or n in edges]
            if own:
                out.update(positions_mod.positions(module, own))
        return out

    @staticmethod
    def _edges(module: cst.Module) -> set[cst.CSTNode]:
        """The nodes of the module's header and footer (comments, blank lines)."""
        seen: set[cst.CSTNode] = set()
        stack: list[cst.CSTNode] = [*module.header, *module.footer]
        while stack:
            n = stack.pop()
            if n not in seen:
                seen.add(n)
                stack.extend(n.children)
        return seen
