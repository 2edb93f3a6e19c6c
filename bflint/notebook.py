"""Jupyter notebooks: all code cells, in order, form one script.

IPython magics and shell escapes are neutralised line for line (so rows stay
aligned), markdown/raw cells are skipped, and findings are mapped back to the
cell (1-based over all cells, markdown included, like ruff) and the row
within it. A cell with a syntax error gets one BF000 and is left out of the
analysis of the others."""

from __future__ import annotations

import dataclasses
import json
import re

from bflint.finding import Finding

_MAGIC = re.compile(r"^(\s*)(%|!|\?)")
_ASSIGN_MAGIC = re.compile(r"^(\s*[\w.\[\]'\", ]+\s*=\s*)(%|!)")
_HELP = re.compile(r"^(\s*)[\w.]+\?{1,2}\s*$")


class NotebookError(ValueError):
    pass


def neutralise(lines: list[str]) -> list[str]:
    """Replace magics and shell lines by ``pass``-like code of the same rows."""
    if lines and lines[0].lstrip().startswith("%%"):
        return ["#" + line if line.strip() else line for line in lines]
    out = []
    continued = False
    for line in lines:
        if continued:
            out.append("#" + line)
            continued = line.rstrip().endswith("\\")
            continue
        m = _MAGIC.match(line)
        if m or _HELP.match(line):
            indent = (m.group(1) if m else re.match(r"^\s*", line).group(0))
            out.append(indent + "pass  # " + line.strip())
            continued = line.rstrip().endswith("\\")
            continue
        m = _ASSIGN_MAGIC.match(line)
        if m:
            out.append(m.group(1) + "None  # " + line[m.end(1):].strip())
            continue
        out.append(line)
    return out


def code_cells(data: bytes | str) -> list[tuple[int, list[str]]]:
    """(1-based cell index over all cells, source lines) of each code cell."""
    try:
        nb = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise NotebookError(f"invalid notebook JSON: {exc}") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise NotebookError("invalid notebook: no `cells` list")
    cells = []
    for i, cell in enumerate(nb["cells"], start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        src = cell.get("source", "")
        if isinstance(src, list):
            if not all(isinstance(s, str) for s in src):
                raise NotebookError(f"invalid notebook: cell {i} has a non-string source")
            src = "".join(src)
        elif not isinstance(src, str):
            raise NotebookError(f"invalid notebook: cell {i} has a non-string source")
        cells.append((i, neutralise(src.splitlines())))
    return cells


def check_notebook(data: bytes, filename: str, enabled: frozenset[str], *,
                   prefilter: bool = True, show_traceback: bool = False) -> list[Finding]:
    from bflint import engine

    if prefilter and not engine.may_need_analysis(data):
        return []
    try:
        cells = code_cells(data)
    except NotebookError as exc:
        f = engine.make_finding(engine.PARSE_ERROR, str(exc), filename, 1, 1)
        return [f] if f.code in enabled else []

    import libcst as cst

    findings: list[Finding] = []
    broken: set[int] = set()
    for _ in range(len(cells) + 1):
        text, rowmap = _join(cells, broken)
        try:
            cst.parse_module(text)
        except cst.ParserSyntaxError as exc:
            cell, row = rowmap[min(max(exc.raw_line, 1), len(rowmap)) - 1]
            if cell in broken:  # pragma: no cover - defensive
                break
            broken.add(cell)
            msg = f"SyntaxError: {exc.message} (this cell is left out of the analysis)"
            f = engine.make_finding(engine.PARSE_ERROR, msg, filename, row, max(1, exc.raw_column + 1))
            findings.append(dataclasses.replace(f, cell=cell))
            continue
        except RecursionError:
            break
        break
    text, rowmap = _join(cells, broken)
    for f in engine.check_source(text, filename, enabled, prefilter=False,
                                 show_traceback=show_traceback):
        if 0 < f.row <= len(rowmap):
            cell, row = rowmap[f.row - 1]
            end_cell, end_row = rowmap[min(f.end_row, len(rowmap)) - 1]
            end_row = end_row if end_cell == cell else row
            findings.append(dataclasses.replace(f, row=row, end_row=end_row, cell=cell))
        else:
            findings.append(f)
    return [f for f in findings if f.code in enabled]


def _join(cells, broken) -> tuple[str, list[tuple[int, int]]]:
    lines: list[str] = []
    rowmap: list[tuple[int, int]] = []
    for index, cell_lines in cells:
        for r, line in enumerate(cell_lines, start=1):
            lines.append("" if index in broken else line)
            rowmap.append((index, r))
        lines.append("")
        rowmap.append((index, len(cell_lines) + 1))
    return "\n".join(lines) + "\n", rowmap
