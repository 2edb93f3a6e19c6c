"""Source handling, the leaf of the pipeline: the pre-filter, decoding,
physical lines, the nesting guard and the deep-stack runner.

Imports nothing of bflint, so every layer above (engine, notebook, runner,
flake8 plugin, cache, fix, output) asks these questions in one place."""

from __future__ import annotations

import ast
import errno
import io
import itertools
import os
import re
import stat
import sys
import threading
import tokenize
import warnings

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
# Nesting beyond these is refused before LibCST sees it: LibCST's native parser
# overflows the C stack (a segfault, not an exception) at ~3,000 levels on the
# main thread and its time grows super-linearly with bracket depth (1,000
# nested dicts: 11 s); CPython itself stops at 200 brackets and at ~1,000-5,000
# levels of expressions.
MAX_BRACKETS = 500
MAX_NESTING = 1500
_SUSPECT_DEPTH = 100     # bracket depth / line length from which the
_SUSPECT_LINE = 1000     # nesting is measured and the deep stack is used
# Nesting that neither brackets nor long lines show (issue 16 item 10): chains
# joined by backslash continuations (``x = a \`` + 6,000 ``.b \`` lines
# segfaulted LibCST), long ``elif`` ladders, ``not``/unary/``lambda`` chains.
_SUSPECT_CHAIN = re.compile(
    r"(?:\\\r?\n[^\n]*){100}"              # 100 backslash-continued lines in a row
    r"|(?:(?:\bnot\b|\blambda\b[^:\n]*:|[-+~])[ \t]*){50}(?=[\w(\[{.'\"])"  # 50 unary operators
)                                                       # before an operand (not a "# ----" rule)
_SUSPECT_ELIF = 500


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


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


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


_STRINGS_COMMENTS = re.compile(
    r'''[rRbBuU]{0,2}(?:"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')|#[^\n]*''')


def _bracket_depth(text: str, strip: bool = False) -> int:
    """Maximum bracket depth, an over-estimate (brackets in strings count
    unless ``strip``; stray closers are clamped at 0 so they never hide real
    nesting)."""
    if strip:
        text = _STRINGS_COMMENTS.sub("", text)
    steps = [1 if c in "([{" else -1 for c in re.findall(r"[()\[\]{}]", text)]
    return max(itertools.accumulate(steps, lambda a, b: max(0, a + b), initial=0))


def _ast_depth(tree, limit: int) -> int:
    """Depth of a CPython AST, counting a chain ``a and b and c`` (flat in
    CPython, nested in LibCST) as its length; stops above ``limit``."""
    best = 0
    stack = [(tree, 1)]
    while stack:
        node, d = stack.pop()
        best = max(best, d)
        if best > limit:
            break
        w = len(node.values) - 1 if isinstance(node, ast.BoolOp) else 1
        stack.extend((child, d + max(w, 1)) for child in ast.iter_child_nodes(node))
    return best


def nesting_guard(text: str) -> tuple[bool, str | None]:
    """(whether to analyse on the deep stack, why to refuse the file or None).

    Cheap for ordinary files (a bracket count and the longest line); a file
    with deep brackets or very long lines is measured with CPython's own
    parser, which fails fast and safely on pathological nesting where
    LibCST's native parser would crash the process."""
    brackets = _bracket_depth(text)
    longest = max(map(len, text.splitlines()), default=0)
    if (brackets <= _SUSPECT_DEPTH and longest <= _SUSPECT_LINE
            and text.count("elif") <= _SUSPECT_ELIF and not _SUSPECT_CHAIN.search(text)):
        return False, None
    depth = 0
    try:
        with warnings.catch_warnings():  # no "SyntaxWarning: invalid escape sequence" on stderr
            warnings.simplefilter("ignore")
            tree = ast.parse(text)
        depth = _ast_depth(tree, MAX_NESTING)
        brackets = 0  # CPython accepted it: at most 200 levels of brackets
    except (RecursionError, MemoryError) as exc:
        return True, (f"the file is nested too deeply: Python itself cannot compile it ({exc}); "
                      "bflint does not analyse it")
    except SyntaxError as exc:
        if "too many nested" not in str(exc.msg):  # newer syntax or a real error: LibCST decides
            brackets = _bracket_depth(text, strip=True)
    except (ValueError, TypeError):
        brackets = _bracket_depth(text, strip=True)
    if brackets > MAX_BRACKETS:
        return True, (f"the file is nested too deeply to analyse (more than {MAX_BRACKETS} levels of "
                      "brackets; Python itself allows 200)")
    if depth > MAX_NESTING:
        return True, (f"the file is nested too deeply to analyse (more than {MAX_NESTING} levels of "
                      "nested expressions)")
    return True, None
