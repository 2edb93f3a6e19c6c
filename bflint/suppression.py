"""``# noqa`` handling, read from the source lines (no parse needed).

* ``# noqa`` on the reported line suppresses every finding there;
  ``# noqa: BF302, BF303`` only those codes (a ``noqa`` naming another
  code suppresses nothing).
* ``# bflint: noqa`` on a line of its own suppresses the whole file;
  ``# bflint: noqa: BF107`` those codes in the whole file.
* A finding on a line that cannot carry a comment (it ends inside a
  multi-line string or with a backslash continuation) is suppressed by a
  ``noqa`` on the line where that string / logical line ends, as in ruff
  (``noqa_rows``; ``bflint --add-noqa`` writes it there).
"""

from __future__ import annotations

import io
import re
import tokenize

from bflint.source import LazyPattern

_LINE = LazyPattern(r"#\s*noqa(?P<sep>:\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?",
                    re.IGNORECASE)
_FILE = LazyPattern(r"^\s*#\s*bflint\s*:\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?\s*$",
                    re.IGNORECASE | re.MULTILINE)
ALL = None  # sentinel: every code


def _codes(text: str | None) -> frozenset[str] | None:
    if not text:
        return ALL
    return frozenset(c.upper() for c in re.split(r"[\s,]+", text.strip()) if c)


def file_suppressions(source: str) -> frozenset[str] | None | bool:
    """``False`` when nothing is suppressed file-wide, ``None`` (ALL) when
    the whole file is, else the suppressed codes."""
    if "bflint" not in source:
        return False
    codes: set[str] = set()
    found = False
    for m in _FILE.finditer(source):
        found = True
        c = _codes(m.group("codes"))
        if c is ALL:
            return ALL
        codes |= c
    return frozenset(codes) if found else False


def line_suppresses(line: str, code: str) -> bool:
    if "noqa" not in line.lower():
        return False
    for m in _LINE.finditer(line):
        codes = _codes(m.group("codes"))
        if codes is ALL or code in codes:
            return True
    return False


def comment_rows(text: str) -> set[int] | None:
    """The 1-based rows whose end can take a ``# comment`` (the tokenizer ends
    the line there: NEWLINE, NL or a COMMENT token); None if it cannot tokenize."""
    rows: set[int] = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type in (tokenize.NEWLINE, tokenize.NL, tokenize.COMMENT):
                rows.add(tok.start[0])
    except (tokenize.TokenError, SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return rows


def noqa_row(row: int, rows: set[int] | None, n_lines: int) -> int | None:
    """The row that carries the ``noqa`` of a finding on ``row``: ``row`` itself,
    or the next row that can take a comment (None when there is none)."""
    if rows is None:
        return row
    for r in range(row, n_lines + 1):
        if r in rows:
            return r
    return None


_CACHE: dict = {"lines": None, "last_noqa": 0, "rows": False}  # per lines object


def _mapped_row(row: int, lines: list[str]) -> int | None:
    """Where the noqa of a finding on ``row`` is, if it is on a later row."""
    if _CACHE["lines"] is not lines:
        last = 0
        for i in range(len(lines), 0, -1):
            if "noqa" in lines[i - 1].lower():
                last = i
                break
        _CACHE.update(lines=lines, last_noqa=last, rows=False)
    if _CACHE["last_noqa"] <= row:  # no noqa below: nothing to look up (no tokenizing)
        return None
    if _CACHE["rows"] is False:
        _CACHE["rows"] = comment_rows("\n".join(lines) + "\n")
    target = noqa_row(row, _CACHE["rows"], len(lines))
    return target if target != row else None


def is_suppressed(code: str, row: int, lines: list[str], file_level) -> bool:
    if file_level is ALL or (file_level and code in file_level):
        return True
    if 0 < row <= len(lines):
        if line_suppresses(lines[row - 1], code):
            return True
        # a noqa further down counts only for a line that cannot carry one itself
        target = _mapped_row(row, lines)
        if target is not None:
            return line_suppresses(lines[target - 1], code)
    return False
