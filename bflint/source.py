"""Source handling, the leaf of the pipeline: the pre-filter, decoding,
physical lines, the nesting guard and the deep-stack runner.

Imports nothing of bflint, so every layer above (engine, notebook, runner,
flake8 plugin, cache, fix, output) asks these questions in one place."""

from __future__ import annotations

import ast
import errno
import io
import os
import re
import stat
import sys
import threading
import tokenize
import warnings
from typing import Any


class LazyPattern:
    """``re.compile(pattern, flags)`` done on first use: module-level patterns of the
    modules a cached run imports cost their compile (~0.3-0.9 ms each, ~30 ms under
    load) only in the runs that use them (issue 18 §2). Behaves as the compiled
    pattern for attribute access (``.search``, ``.sub``, ``.finditer``, ``.pattern``)."""

    __slots__ = ("_args", "_compiled")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self._args = (pattern, flags)
        self._compiled: re.Pattern[str] | None = None

    def __getattr__(self, name: str) -> Any:
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = re.compile(*self._args)
        return getattr(compiled, name)


# A file is parsed only when it contains one of these byte strings. Files
# without a BayesFlow import can still be reported on when they call
# BayesFlow's own method names on imported objects, or set KERAS_BACKEND.
PREFILTER_TOKENS = (
    b"bayesflow",
    b"fit_offline",
    b"fit_disk",
    b"_default_diagnostics",
    b"num_samples",
    b"KERAS_BACKEND",
)
_PREFILTER_STR = tuple(t.decode() for t in PREFILTER_TOKENS)

PARSE_ERROR = "BF000"
IO_ERROR = "BF001"
INTERNAL_ERROR = "BF999"
_DEEP_STACK = 512 * 1024 * 1024
_DEEP_RECURSION = 60_000
# Files above this size are not parsed (LibCST needs ~25 s and ~900 bytes of
# memory per source byte on dense generated code: a 10 MB file took 4 min and
# 7 GB, a 2 MB one 57 s and 1.8 GB per worker). CPython's 820 kB
# pydoc_data/topics.py still fits; real scripts are far smaller.
MAX_SOURCE_BYTES = 1024 * 1024
# Nesting beyond these is refused before LibCST sees it (issue 16 item 10;
# measured with tests/robustness/measure_nesting.py, CPU seconds of LibCST's
# parse on the deep stack, LibCST 1.9): LibCST's native parser overflows the
# main thread's C stack (a segfault, not an exception) at 8,000-16,000 levels
# (``and`` chains, ``elif`` ladders, dotted imports) and hits RecursionError at
# 1,000 (dotted imports); its time grows with the cube of a chain's length
# (``a.b.b...``, ``+ 1 + 1...``: 1,000 links 0.7 s, 2,000 links 5.4 s) and its
# memory with the square (``not not ...``: 4,000 = 0.9 GB; ``lambda: lambda:
# ...``: 2,000 = 0.8 GB; one line of 499 nested lists 0.23 GB, kept for the
# whole file: 40 such lines took 9.4 GB). So every file is measured with
# CPython's own parser first (it fails fast and safely), the way LibCST nests.
MAX_NESTING = 1000        # nested expressions, an ``a and b and c`` counting its length
# an implicitly concatenated string of n pieces: LibCST nests them, in linear
# time (3,000 pieces: 1.3 s, 50 MB on the deep stack; CPython's 820 kB
# pydoc_data/topics.py has strings of ~1,500), and from ~4,000 pieces it
# reports a wrong syntax error ("expected one of STRING")
MAX_CONCATENATION = 3000
# nested statements, an ``elif`` nested in its ``if``: CPython 3.12 itself
# stops at ~2,990 elifs (RecursionError in its compiler); ours is the same on
# every Python version (LibCST: 2,900 elifs 0.7 s, 55 MB)
MAX_STATEMENTS = 2500
# sum over the inner expression nodes (not names, constants) of their depth
# beyond _FREE_DEPTH (a chain of n costs ~(n - 64)^2 / 2): one chain of
# MAX_NESTING, or several shorter ones (3 lambda chains of 600: 1.5 s, 0.24 GB)
_FREE_DEPTH = 64
EXPR_BUDGET = (MAX_NESTING - _FREE_DEPTH) ** 2 // 2
# brackets: Python itself stops at 200 levels (so does the guard, also when
# CPython cannot parse the file for another reason), and at most
# BRACKET_BUDGET summed over the bracket groups of the file as (depth - 32)^2:
# LibCST keeps ~40 MB per line of 200 nested lists (10 such lines: 3.4 s, 0.4 GB)
MAX_BRACKETS = 200        # what CPython allows (its tokenizer stops at 200)
_FREE_BRACKETS = 32
BRACKET_BUDGET = 300_000  # 40 lines of 200 nested lists: 12 s, 1.5 GB; 10 lines pass
_DEEP_FROM = 100         # nesting from which the analysis runs on the deep stack
TOO_COMPLEX = "the file is too complex to analyse"


def may_need_analysis(data: bytes | str) -> bool:
    """The cheap text pre-filter."""
    if isinstance(data, str):
        return any(t in data for t in _PREFILTER_STR)
    # plain substring tests: faster than one alternation regex (see bench.py --prefilter)
    return any(t in data for t in PREFILTER_TOKENS)


class CappedBytes(bytes):
    """The first ``cap + 1`` bytes of a larger file; ``full_size`` is its size."""

    full_size: int = 0


def read_source(path: str | os.PathLike) -> bytes:
    """The file's bytes, at most ``MAX_SOURCE_BYTES + 1`` of them (the cap is
    checked with ``fstat`` before reading: a sparse 4 GB file or a link to
    ``/dev/zero`` was read whole). A device, FIFO or socket raises OSError
    (opened non-blocking, so a FIFO never hangs the run): issue 16 item 11."""
    # a notebook's cap is on its code, not its outputs: it is read whole
    cap = None if os.fspath(path).endswith(".ipynb") else MAX_SOURCE_BYTES
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, "not a regular file (a device, FIFO or socket?)")
        if cap is not None and st.st_size > cap:
            head = CappedBytes(os.pread(fd, cap + 1, 0))
            head.full_size = st.st_size
            return head
        chunks = []
        left = cap + 1 if cap is not None else -1
        while left != 0:
            chunk = os.read(fd, min(left, 1 << 20) if left > 0 else 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
            left = max(0, left - len(chunk)) if left > 0 else -1
        return b"".join(chunks)
    finally:
        os.close(fd)


class DecodeError(ValueError):
    pass


def decode(data: bytes) -> str:
    """Decode like Python does: BOM, PEP 263 declaration, else UTF-8."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:  # e.g. "invalid or missing encoding declaration"
        msg = str(exc.msg or exc)
        if "invalid or missing" in msg:
            msg += " (the first lines are not UTF-8 text: a binary file?)"
        raise DecodeError(msg) from None
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise DecodeError(f"cannot decode the file as {encoding}: {exc}") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\x00" in text:
        raise DecodeError("the file contains NUL bytes (binary data?)")
    return text


_LINE_BREAK = LazyPattern(r"\r\n|\r|\n")


def line_starts(text: str) -> list[int]:
    """The offset at which each physical line starts."""
    return [0] + [m.end() for m in _LINE_BREAK.finditer(text)]


def physical_lines(text: str) -> list[str]:
    """The lines as Python (and LibCST) count them: ``str.splitlines`` also
    breaks at form feeds, ``\\x1c``-``\\x1e``, ``\\x85``, ``\\u2028``...,
    which shifted every later row (``# noqa`` then read the wrong line)."""
    lines = _LINE_BREAK.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def run_deep(fn, *args):
    """Run ``fn`` with a large stack and recursion limit (LibCST recurses on
    deeply nested code). Falls back to a plain call if threads fail."""
    result: list = []
    error: list = []

    def target():
        try:
            result.append(fn(*args))
        except BaseException as exc:  # re-raised in the caller
            error.append(exc)

    old_size = threading.stack_size()
    old_limit = sys.getrecursionlimit()
    try:
        threading.stack_size(_DEEP_STACK)
        sys.setrecursionlimit(max(old_limit, _DEEP_RECURSION))
        t = threading.Thread(target=target, name="bflint-deep")
        t.start()
        t.join()
    finally:
        threading.stack_size(old_size)
        sys.setrecursionlimit(old_limit)
    if error:
        raise error[0]
    return result[0]


_STRINGS_COMMENTS = LazyPattern(
    r'''[rRbBuU]{0,2}(?:"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')|#[^\n]*''')


def _bracket_cost(text: str, strip: bool = False) -> tuple[int, int]:
    """(maximum bracket depth, sum over top-level bracket groups of
    (depth - _FREE_BRACKETS)^2); an over-estimate: brackets in strings count
    unless ``strip``, stray closers are clamped at 0 so they never hide real
    nesting."""
    if strip:
        text = _STRINGS_COMMENTS.sub("", text)
    depth = best = group = cost = 0
    for c in _BRACKET.findall(text):
        if c in "([{":
            depth += 1
            if depth > group:
                group = depth
        elif depth:
            depth -= 1
            if depth == 0:
                best = max(best, group)
                cost += max(0, group - _FREE_BRACKETS) ** 2
                group = 0
    best = max(best, group)
    cost += max(0, group - _FREE_BRACKETS) ** 2
    return best, cost


_BRACKET = LazyPattern(r"[()\[\]{}]")


def _bracket_depth(text: str, strip: bool = False) -> int:
    return _bracket_cost(text, strip)[0]


def _pieces(node, lines: list[str] | None) -> int:
    """How many literals an implicitly concatenated string is made of
    (CPython joins them into one node, LibCST nests one level per piece)."""
    lineno, end = getattr(node, "lineno", None), getattr(node, "end_lineno", None)
    if lines is None or lineno is None or end is None or end - lineno < _FREE_DEPTH:
        return 1
    segment = "\n".join(lines[lineno - 1:end])
    try:
        toks = tokenize.generate_tokens(io.StringIO(segment).readline)
        return max(1, sum(1 for t in toks if t.type in (tokenize.STRING, _FSTRING_START)))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return end - lineno + 1


_FSTRING_START = getattr(tokenize, "FSTRING_START", -1)


def measure_ast(tree, lines: list[str] | None = None) -> tuple[int, int, int, int]:
    """(expression depth, statement depth, expression cost, concatenation
    depth) of a CPython AST, as LibCST nests it: ``a and b and c`` (flat in
    CPython) counts its length, a dotted import name its dots; the cost sums
    each inner expression node's depth beyond _FREE_DEPTH; an implicitly
    concatenated string nests one level per piece in LibCST, but cheaply
    (linear time), so it is measured on its own. Stops early once a limit
    is passed."""
    expr_best = stmt_best = cost = concat_best = 0
    stack = [(tree, 0, 0)]
    stmt, expr = ast.stmt, ast.expr
    while stack:
        node, sd, ed = stack.pop()
        if isinstance(node, expr):
            if isinstance(node, ast.BoolOp):
                ed += len(node.values) - 1
            else:
                ed += 1
                if isinstance(node, (ast.Constant, ast.JoinedStr)) and isinstance(
                        getattr(node, "value", ""), (str, bytes)):
                    concat_best = max(concat_best, ed + _pieces(node, lines) - 1)
            if ed > _FREE_DEPTH and not isinstance(node, _LEAVES):
                cost += ed - _FREE_DEPTH
            if ed > expr_best:
                expr_best = ed
        elif isinstance(node, stmt):
            sd += 1
            ed = 0
            if sd > stmt_best:
                stmt_best = sd
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                dots = max([a.name.count(".") for a in node.names]
                           + [(getattr(node, "module", None) or "").count(".")])
                expr_best = max(expr_best, dots + 1)
                cost += max(0, dots + 1 - _FREE_DEPTH) ** 2 // 2
        elif isinstance(node, ast.alias):
            continue
        if (expr_best > MAX_NESTING or stmt_best > MAX_STATEMENTS or cost > EXPR_BUDGET
                or concat_best > MAX_CONCATENATION):
            break
        for child in ast.iter_child_nodes(node):
            stack.append((child, sd, ed))
    return expr_best, stmt_best, cost, concat_best


_LEAVES = (ast.Name, ast.Constant)  # the cost counts a chain's links, not its operands
_OPERATORS = LazyPattern(r"\b(?:and|or|not|lambda|if|elif|await)\b|\*\*|//|<<|>>|[-+*/%@&|^~<>]"
                         r"|(?<![0-9])\.(?![0-9])|\\\n")


def _text_estimate(text: str) -> tuple[int, int]:
    """For source CPython does not parse (newer syntax, or broken): an
    over-estimate of a chain's length, the operators of the longest run of
    lines joined by brackets or backslashes, and of the expression cost (a
    broken file with 200 chains of 990 links took 200 s in LibCST before
    its syntax error was reported)."""
    stripped = _STRINGS_COMMENTS.sub("", text)
    best = run = depth = cost = 0
    for line in stripped.split("\n"):
        run += len(_OPERATORS.findall(line + "\n"))
        for c in _BRACKET.findall(line):
            depth = depth + 1 if c in "([{" else max(0, depth - 1)
        if depth == 0 and not line.endswith("\\"):
            best = max(best, run)
            cost += max(0, run - _FREE_DEPTH) ** 2 // 2
            run = 0
    cost += max(0, run - _FREE_DEPTH) ** 2 // 2
    return max(best, run), cost


def nesting_guard(text: str, measured: tuple[int, int, int, int] | None = None,
                  ) -> tuple[bool, str | None]:
    """(whether to analyse on the deep stack, why to refuse the file or None).
    ``measured``: what ``measure_ast`` gives for ``text``'s tree, known
    already (the language server adds up its statements' measures).

    Every file is measured with CPython's own parser, which fails fast and
    safely on pathological nesting where LibCST's native parser would crash
    the process or take minutes and gigabytes, and its tree is measured the
    way LibCST nests (issue 16 item 10). Source CPython rejects (newer
    syntax or a real error) is measured from its text."""
    brackets, bracket_cost = _bracket_cost(text)
    if bracket_cost > BRACKET_BUDGET or brackets > MAX_BRACKETS:  # brackets in strings?
        brackets, bracket_cost = _bracket_cost(text, strip=True)
    depth = statements = cost = concat = 0
    try:
        with warnings.catch_warnings():  # no "SyntaxWarning: invalid escape sequence" on stderr
            warnings.simplefilter("ignore")
            tree = ast.parse(text) if measured is None else None
    except (RecursionError, MemoryError) as exc:
        return True, (f"{TOO_COMPLEX}: it is nested too deeply for Python itself to compile it "
                      f"({exc}); bflint does not analyse it")
    except SyntaxError as exc:
        if "too many nested" in str(exc.msg):  # more than 200 levels of brackets
            return True, (f"{TOO_COMPLEX}: it is nested too deeply for Python itself to compile it "
                          f"(SyntaxError: {exc.msg}, line {exc.lineno}; Python allows 200 levels of "
                          "brackets); bflint does not analyse it")
        depth, cost = _text_estimate(text)  # newer syntax or a real error: LibCST decides
        brackets = _bracket_depth(text, strip=True)
    except (ValueError, TypeError):
        depth, cost = _text_estimate(text)
        brackets = _bracket_depth(text, strip=True)
    else:
        brackets = min(brackets, 200)  # CPython accepted it: at most 200 levels
        depth, statements, cost, concat = measured if measured is not None else measure_ast(
            tree, physical_lines(text) if "\n" in text else [text])
    if brackets > MAX_BRACKETS or bracket_cost > BRACKET_BUDGET:
        return True, (f"{TOO_COMPLEX}: it is nested too deeply (more than {MAX_BRACKETS} levels of "
                      "brackets, or too many deeply nested bracket groups; Python itself allows 200 "
                      "levels)")
    if depth > MAX_NESTING:
        return True, (f"{TOO_COMPLEX}: it is nested too deeply (more than {MAX_NESTING} levels of "
                      "nested expressions, e.g. a chain of operators, attributes, calls or `not`)")
    if concat > MAX_CONCATENATION:
        return True, (f"{TOO_COMPLEX}: it is nested too deeply (a string made of more than "
                      f"{MAX_CONCATENATION} implicitly concatenated pieces)")
    if statements > MAX_STATEMENTS:
        return True, (f"{TOO_COMPLEX}: it is nested too deeply (more than {MAX_STATEMENTS} levels of "
                      "nested statements, e.g. an `elif` ladder)")
    if cost > EXPR_BUDGET:
        return True, (f"{TOO_COMPLEX}: it has too many long chains of nested expressions "
                      f"(together more than one chain of {MAX_NESTING} operators, attributes or calls)")
    return max(depth, statements, brackets, concat) > _DEEP_FROM, None
