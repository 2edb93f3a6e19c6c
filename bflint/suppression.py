"""``# noqa`` handling, read from the source lines (no parse needed).

* ``# noqa`` on the reported line suppresses every finding there;
  ``# noqa: BF302, BF303`` only those codes (a ``noqa`` naming another
  code suppresses nothing).
* ``# bflint: noqa`` on a line of its own suppresses the whole file;
  ``# bflint: noqa: BF107`` those codes in the whole file.
"""

from __future__ import annotations

import re

_LINE = re.compile(r"#\s*noqa(?P<sep>:\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?",
                   re.IGNORECASE)
_FILE = re.compile(r"^\s*#\s*bflint\s*:\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?\s*$",
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


def is_suppressed(code: str, row: int, lines: list[str], file_level) -> bool:
    if file_level is ALL or (file_level and code in file_level):
        return True
    if 0 < row <= len(lines):
        return line_suppresses(lines[row - 1], code)
    return False
