"""Parsing a large file in pieces (issue 18 §1).

LibCST's parse costs more per line the larger the file: ~90 us/line at 4,000
lines, ~120 us/line at 32,000 (the tree it builds outgrows the processor's
caches), so doubling a file more than doubled its check. Parsed in pieces of
about :data:`CHUNK_LINES` lines, the cost per line stays flat; the pieces'
statements are joined into one :class:`libcst.Module`, the tree a parse of
the whole text gives (``tests/test_chunked.py`` compares them with
``deep_equals`` over the standard library's largest files and edge cases).

A piece starts at a line where a top-level statement certainly starts, so
that the full parse and the piece's parse see the same tokens from there:

* the line starts in column 0 with a name, a keyword that can begin a
  statement (not ``else``/``elif``/``except``/``finally``, which continue
  one) or a decorator's ``@``; not a comment, a bracket or a quote;
* the code line before it (past empty lines and comments in column 0,
  which lead the statement: the piece starts with them) is not a comment,
  not a decorator, and does not end in ``\\`` or ``:``. An indented comment
  or a line of spaces there (LibCST gives them to the block before) is never
  at a seam.

A cut inside a string or brackets leaves the piece before it unparsable (it
ends inside them): that piece is joined with the next one, a few times at
most. Past that, and whenever the pieces disagree on what LibCST detects for
the whole module (its default indentation and newline), the whole text is
parsed as before, which also reports any syntax error. Nothing here runs the
code."""

from __future__ import annotations

import re

CHUNK_LINES = 1000   # lines per piece
MIN_LINES = 3000     # below this one parse is as cheap per line
MAX_FAILURES = 3     # pieces that did not parse alone before the whole text is parsed

_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
_TRIPLE = re.compile(r"\"\"\"|'''")
_STARTS = re.compile(r"[A-Za-z_@]")
_CONTINUES = re.compile(r"(?:else|elif|except|finally)\b")


def _is_code(line: str) -> bool:
    s = line.rstrip("\r\n")
    stripped = s.strip()
    if not stripped or stripped[0] in "#@":
        return False
    return not s.rstrip().endswith(("\\", ":"))


def _can_start(line: str) -> bool:
    return _STARTS.match(line) is not None and _CONTINUES.match(line) is None


def cut_points(lines: list[str], every: int = CHUNK_LINES) -> list[int]:
    """0-based line indices where a piece may start (see the module's
    docstring), about ``every`` lines apart; empty for a short text. Lines
    inside a triple-quoted string are not cuts (followed roughly: a quote in
    a comment or another string can fool it; the pieces' parse decides)."""
    cuts: list[int] = []
    n = len(lines)
    want = every
    quote: str | None = None
    for i, line in enumerate(lines):
        if i >= want and quote is None and n - i >= every // 4 and _can_start(line):
            j = i - 1  # blank lines and column-0 comments before it lead the statement
            while j > 0 and (lines[j][0] in "\r\n#"):  # (a line of spaces may be a block's)
                j -= 1
            if _is_code(lines[j]):
                cuts.append(j + 1)
                want = i + every
        if "'''" in line or '"""' in line:
            for m in _TRIPLE.finditer(line):
                if quote is None:
                    quote = m.group()
                elif m.group() == quote:
                    quote = None
    return cuts


def parse_in_pieces(parse, text: str, every: int = CHUNK_LINES, min_lines: int = MIN_LINES):
    """The module of ``text`` parsed in pieces, or None when the text is
    small or the pieces cannot stand for the whole (the caller parses it
    whole, which also reports any syntax error where the full parse does).
    ``parse``: ``libcst.parse_module``."""
    if text.count("\n") < min_lines:
        return None
    lines = _LINES.findall(text)  # not str.splitlines: it also splits at \x0c, \x1c, ...
    if len(lines) < min_lines:
        return None
    cuts = cut_points(lines, every)
    if not cuts:
        return None
    bounds = [0, *cuts, len(lines)]
    import libcst as cst

    modules = []
    failures = 0
    a, k = 0, 1
    while k < len(bounds):
        try:
            modules.append(parse("".join(lines[a:bounds[k]])))
            a = bounds[k]
        except (cst.ParserSyntaxError, cst.CSTValidationError, ValueError):
            # the piece ends inside a string or brackets (a cut the line test
            # could not see): join it with the next piece, a few times at most
            failures += 1
            if failures > MAX_FAILURES or k == len(bounds) - 1:
                return None
        k += 1
    first, last = modules[0], modules[-1]
    for k, m in enumerate(modules):
        if m.default_indent != first.default_indent or m.default_newline != first.default_newline:
            return None
        if (k > 0 and not m.body) or (k < len(modules) - 1 and m.footer):
            return None
    body = []
    for k, m in enumerate(modules):
        stmts = list(m.body)
        if k > 0 and m.header:  # lines a piece's parse gives its header lead its first statement
            stmts[0] = stmts[0].with_changes(leading_lines=(*m.header, *stmts[0].leading_lines))
        body += stmts
    return first.with_changes(body=body, footer=last.footer,
                              has_trailing_newline=last.has_trailing_newline)
