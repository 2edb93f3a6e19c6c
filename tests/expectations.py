"""Reading the inline expectations of fixture files.

A flagged line ends with ``# expect: BF302`` (several codes separated by
commas or spaces). A fixture is linted with only its folder's rule
selected, unless its first lines contain ``# select: CODES`` (then every
finding of those codes must be expected)."""

from __future__ import annotations

import json
import re
from pathlib import Path

EXPECT = re.compile(r"#\s*expect:\s*(?P<codes>BF\d{3}(?:[\s,]+BF\d{3})*)")
SELECT = re.compile(r"^#\s*select:\s*(?P<codes>[A-Z0-9, ]+)\s*$", re.MULTILINE)


def expectations_in_lines(lines: list[str]) -> set[tuple[int, str]]:
    out = set()
    for row, line in enumerate(lines, start=1):
        m = EXPECT.search(line)
        if m:
            for code in re.split(r"[\s,]+", m.group("codes").strip()):
                out.add((row, code))
    return out


def expected(path: Path) -> set[tuple]:
    """{(row, code)} for scripts, {(cell, row, code)} for notebooks."""
    if path.suffix == ".ipynb":
        nb = json.loads(path.read_text(encoding="utf-8"))
        out = set()
        for i, cell in enumerate(nb["cells"], start=1):
            src = cell.get("source", "")
            src = "".join(src) if isinstance(src, list) else src
            for row, code in expectations_in_lines(src.splitlines()):
                out.add((i, row, code))
        return out
    text = path.read_bytes().decode("utf-8", errors="replace")
    return expectations_in_lines(text.splitlines())


def selection(path: Path, default: str) -> list[str]:
    head = "\n".join(path.read_bytes().decode("utf-8", errors="replace").splitlines()[:5])
    m = SELECT.search(head)
    if m:
        return [c for c in re.split(r"[\s,]+", m.group("codes").strip()) if c]
    return [default]
