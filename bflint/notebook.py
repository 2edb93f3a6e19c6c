"""Jupyter notebooks: all code cells, in order, form one script.

IPython magics and shell escapes are neutralised line for line (so rows stay
aligned), markdown/raw cells are skipped, and findings are mapped back to the
cell (1-based over all cells, markdown included, like ruff) and the row
within it. A cell with a syntax error gets one BF000 and is left out of the
analysis of the others.

Neutralisation only touches lines that start a logical line (never a line
inside brackets, a triple-quoted string or after a backslash), so
``"%d" \\n % x`` stays Python. ``%time``/``%timeit``/``%prun`` line magics and
``%%time``/``%%timeit``/``%%capture`` cells keep their Python statement (a
fit wrapped in ``%%time`` is still checked); other cell magics (``%%bash``,
``%%writefile`` ...) are commented out."""

from __future__ import annotations

import dataclasses
import json
import re

from bflint import engine
from bflint.finding import Finding
from bflint.source import TOO_COMPLEX, LazyPattern, physical_lines  # not str.splitlines: form feeds are not breaks

_MAGIC = LazyPattern(r"^(\s*)(%|!|\?)")
_ASSIGN_MAGIC = LazyPattern(r"^(\s*[\w.\[\]'\", *]+?\s*=\s*)(%|!)")
_HELP = LazyPattern(r"^(\s*)[\w.]+(\(\))?\?{1,2}\s*$")
# line magics whose argument is a Python statement: the statement is kept
_PY_LINE_MAGIC = LazyPattern(r"^(\s*)(%(?:time|timeit|prun)\s+)(?=[^\s-])")
# cell magics whose body is Python
_PY_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug", "px", "autoreload"})


class NotebookError(ValueError):
    pass


@dataclasses.dataclass
class Cell:
    index: int                 # 1-based over all cells
    lines: list[str]           # neutralised
    offsets: dict[int, int]    # 0-based row -> columns removed at the start of that line
    error: str | None = None   # not usable (non-string source)


class _Scanner:
    """Tracks whether the next line starts a logical line (not inside
    brackets, a triple-quoted string or after a backslash continuation)."""

    _TOKEN = LazyPattern(r"""(?P<str>[rRbBuUfF]{0,2}(?:'''|\"\"\"|'|"))|(?P<com>\#)"""
                         r"""|(?P<open>[(\[{])|(?P<close>[)\]}])""")

    def __init__(self) -> None:
        self.depth = 0
        self.quote: str | None = None    # open triple-quote
        self.backslash = False

    @property
    def at_start(self) -> bool:
        return self.depth == 0 and self.quote is None and not self.backslash

    def feed(self, line: str) -> None:
        i, n = 0, len(line)
        if self.quote is not None:
            end = _find_close(line, 0, self.quote)
            if end < 0:
                return
            self.quote = None
            i = end
        self.backslash = False
        while i < n:
            m = self._TOKEN.search(line, i)
            if m is None:
                break
            if m.group("com"):
                break
            if m.group("open"):
                self.depth += 1
                i = m.end()
            elif m.group("close"):
                self.depth = max(0, self.depth - 1)
                i = m.end()
            else:
                q = m.group("str").lstrip("rRbBuUfF")
                end = _find_close(line, m.end(), q)
                if end < 0:
                    if len(q) == 3:
                        self.quote = q
                    return  # unterminated single-quoted string: leave it to the parser
                i = end
        self.backslash = line.rstrip("\r\n").endswith("\\") and self.quote is None


def _find_close(line: str, start: int, quote: str) -> int:
    i = start
    while True:
        j = line.find(quote, i)
        if j < 0:
            return -1
        k, bs = j - 1, 0
        while k >= start and line[k] == "\\":
            bs += 1
            k -= 1
        if bs % 2 == 0:
            return j + len(quote)
        i = j + 1


def neutralise(lines: list[str]) -> list[str]:
    """Replace magics and shell lines by ``pass``-like code of the same rows."""
    return _neutralise(lines)[0]


def _neutralise(lines: list[str]) -> tuple[list[str], dict[int, int]]:
    offsets: dict[int, int] = {}
    if lines and lines[0].startswith("%%"):
        m = re.match(r"%%(\w*)", lines[0])
        assert m is not None  # the line starts with %%
        name = m.group(1)
        if name in _PY_CELL_MAGICS:
            body, body_offsets = _neutralise(lines[1:])
            return ["pass  # " + lines[0].strip()] + body, {k + 1: v for k, v in body_offsets.items()}
        return ["#" + line if line.strip() else line for line in lines], offsets
    out: list[str] = []
    scanner = _Scanner()
    continued = False
    for row, line in enumerate(lines):
        if continued:  # backslash continuation of a magic
            out.append("#" + line)
            continued = line.rstrip().endswith("\\")
            continue
        if scanner.at_start:
            m = _PY_LINE_MAGIC.match(line)
            if m:
                rest = line[m.end():]
                out.append(m.group(1) + rest)
                offsets[row] = len(m.group(2))
                scanner.feed(out[-1])
                continue
            m = _MAGIC.match(line)
            if m or _HELP.match(line):
                indent = line[:len(line) - len(line.lstrip())]
                out.append(indent + "pass  # " + line.strip())
                continued = line.rstrip().endswith("\\")
                continue
            m = _ASSIGN_MAGIC.match(line)
            if m:
                out.append(m.group(1) + "None  # " + line[m.end(1):].strip())
                continued = line.rstrip().endswith("\\")
                continue
        out.append(line)
        scanner.feed(line)
    return out, offsets


def _is_python(nb: dict) -> bool:
    meta = nb.get("metadata")
    if not isinstance(meta, dict):
        return True
    for key, sub in (("kernelspec", "language"), ("language_info", "name")):
        d = meta.get(key)
        if isinstance(d, dict) and isinstance(d.get(sub), str) and d[sub]:
            return d[sub].lower() in ("python", "python3", "ipython", "ipython3")
    return True


def load(data: bytes | str) -> dict:
    try:
        nb = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise NotebookError(f"invalid notebook JSON: {exc}") from None
    except RecursionError:  # issue 16 item 12: was BF999 with a traceback
        raise NotebookError("invalid notebook: the JSON is nested too deeply") from None
    if not isinstance(nb, dict):
        raise NotebookError("invalid notebook: the JSON is not an object")
    if "cells" not in nb and isinstance(nb.get("worksheets"), list):  # nbformat 3
        ws = nb["worksheets"]
        cells = []
        for sheet in ws:
            if isinstance(sheet, dict) and isinstance(sheet.get("cells"), list):
                for c in sheet["cells"]:
                    if isinstance(c, dict) and "input" in c and "source" not in c:
                        c = dict(c, source=c["input"])
                    cells.append(c)
        nb = dict(nb, cells=cells)
    if not isinstance(nb.get("cells"), list):
        raise NotebookError("invalid notebook: no `cells` list")
    return nb


def cell_source(cell: dict) -> str:
    """The source of one cell as a string; raises NotebookError."""
    src = cell.get("source", "")
    if isinstance(src, list):
        if not all(isinstance(s, str) for s in src):
            raise NotebookError("the cell has a non-string source")
        return _text("".join(src))
    if not isinstance(src, str):
        raise NotebookError("the cell has a non-string source")
    return _text(src)


def _text(src: str) -> str:
    """``src``, refused when it holds a lone surrogate (``"\\udcff"`` is valid
    JSON but no text: encoding it failed later as BF999, issue 16 item 12)."""
    try:
        src.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise NotebookError(f"the cell holds a character that is not text ({exc.reason} "
                            f"at offset {exc.start})") from None
    return src


def cells_of(nb: dict) -> list[Cell]:
    cells = []
    for i, cell in enumerate(nb["cells"], start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        try:
            src = cell_source(cell)
        except NotebookError as exc:
            cells.append(Cell(i, [], {}, error=f"invalid notebook cell: {exc}"))
            continue

        dedented, margins = _dedent(physical_lines(src))
        lines, offsets = _neutralise(dedented)
        for row, n in margins.items():
            offsets[row] = offsets.get(row, 0) + n
        cells.append(Cell(i, lines, offsets))
    return cells


def _dedent(lines: list[str]) -> tuple[list[str], dict[int, int]]:
    """The cell as IPython runs it: without the indentation all its non-blank lines share
    (IPython's ``leading_indent`` cleanup, ``textwrap.dedent``: a cell pasted with a
    leading space runs), else without its first line's indentation (the same cleanup
    before IPython 9), and per row the columns removed."""
    margin: str | None = None
    first: str | None = None
    for line in lines:
        body = line.lstrip(" \t")
        if not body.strip():
            continue  # a blank line has no say
        indent = line[:len(line) - len(body)]
        if first is None:
            first = indent
        if margin is None or indent.startswith(margin):
            margin = indent if margin is None else margin
        else:
            k = 0
            while k < min(len(margin), len(indent)) and margin[k] == indent[k]:
                k += 1
            margin = margin[:k]
    if not margin:
        # IPython before 9 removed the first line's indentation from every line that
        # starts with it (`` if x:`` over ``    y()``): what notebooks saved then ran with
        margin = first
    if not margin:
        return lines, {}
    out, removed = [], {}
    for row, line in enumerate(lines):
        if line.startswith(margin):
            out.append(line[len(margin):])
            removed[row] = len(margin)
        else:
            out.append(line)  # a blank line shorter than the margin
    return out, removed


def check_notebook(data: bytes, filename: str, enabled: frozenset[str], *,
                   prefilter: bool = True, show_traceback: bool = False,
                   project=None, document=None) -> list[Finding]:
    """``project``: a :class:`bflint.project.index.ProjectIndex` (issue 12): the
    cells' imports of the project's own modules are followed, as a script's.
    ``document``: the joined cells' incremental parse (engine.check_text)."""
    if prefilter and not engine.may_need_analysis(data) and not (
            project is not None and project.may_matter(filename, data)):
        return []
    try:
        nb = load(data)
    except NotebookError as exc:
        f = engine.make_finding(engine.PARSE_ERROR, str(exc), filename, 1, 1)
        return [f] if f.code in enabled else []
    if not _is_python(nb):
        return []
    cells = cells_of(nb)

    findings: list[Finding] = []
    broken: set[int] = set()
    for c in cells:
        if c.error is not None:
            broken.add(c.index)
            f = engine.make_finding(engine.PARSE_ERROR, c.error, filename, 1, 1)
            findings.append(dataclasses.replace(f, cell=c.index))

    with_bf000 = enabled | {engine.PARSE_ERROR}
    text, rowmap = _join(cells, broken)
    result = engine.check_source(text, filename, with_bf000, prefilter=False,
                                 show_traceback=show_traceback, project=project,
                                 document=document)
    was_too_complex = False
    for attempt in range(2):
        errors = [f for f in result if f.code == engine.PARSE_ERROR]
        if not errors:
            break
        # too complex (issue 16 item 10): the cells are measured, never parsed one
        # by one (200 cells of long chains took a LibCST parse each)
        too_complex = all(TOO_COMPLEX in f.message for f in errors)
        if attempt and (too_complex or not was_too_complex):
            break  # the cells together are too complex (one finding), or done
        was_too_complex = too_complex
        # find the broken cells one by one, then analyse the others together
        import libcst as cst

        for c in cells:
            if c.index in broken:
                continue
            source = "\n".join(c.lines) + "\n"
            deep, refusal = engine.nesting_guard(source)
            try:
                if refusal is not None:
                    broken.add(c.index)
                    f = engine.make_finding(engine.PARSE_ERROR, refusal, filename, 1, 1)
                    findings.append(dataclasses.replace(f, cell=c.index))
                elif too_complex:
                    pass
                elif deep:  # LibCST's native parser would overflow the main thread's stack
                    engine.run_deep(cst.parse_module, source)
                else:
                    cst.parse_module(source)
            except cst.ParserSyntaxError as exc:
                broken.add(c.index)
                row, col, message = engine.syntax_error_at(c.lines, exc)
                row = min(max(row, 1), max(len(c.lines), 1))
                col = max(1, col) + c.offsets.get(row - 1, 0)
                msg = f"SyntaxError: {message} (this cell is left out of the analysis)"
                f = engine.make_finding(engine.PARSE_ERROR, msg, filename, row, col)
                findings.append(dataclasses.replace(f, cell=c.index))
            except cst.CSTValidationError as exc:  # parsed but invalid, e.g. "a" b"b"
                import types

                broken.add(c.index)
                row, col, message = engine.syntax_error_at(
                    c.lines, types.SimpleNamespace(raw_line=1, raw_column=0, message=str(exc)))
                row = min(max(row, 1), max(len(c.lines), 1))
                msg = f"SyntaxError: {message} (this cell is left out of the analysis)"
                f = engine.make_finding(engine.PARSE_ERROR, msg, filename, row, max(1, col))
                findings.append(dataclasses.replace(f, cell=c.index))
            except RecursionError:
                pass
        text, rowmap = _join(cells, broken)
        result = engine.check_source(text, filename, with_bf000, prefilter=False,
                                     show_traceback=show_traceback, project=project,
                                     document=document)
    for f in result:
        if 0 < f.row <= len(rowmap):
            cell, row, off = rowmap[f.row - 1]
            end_cell, end_row, end_off = rowmap[min(max(f.end_row, 1), len(rowmap)) - 1]
            end_column = f.end_column + end_off
            if end_cell != cell:  # a node spanning cells: keep the range inside the first one
                end_row, end_column = row, f.column + off
            findings.append(dataclasses.replace(f, row=row, column=f.column + off, end_row=end_row,
                                                end_column=end_column, cell=cell,
                                                fix=_fix_in_cell(f.fix, rowmap, cell)))
        else:
            findings.append(f)
    findings.sort(key=Finding.sort_key)
    return [f for f in findings if f.code in enabled]


def _fix_in_cell(fix: dict | None, rowmap: list[tuple[int, int, int]], cell: int) -> dict | None:
    """A fix's edits in the finding's coordinates (issue 13 §4): row and column within the cell,
    ``cell`` on each edit. A fix with an edit outside the finding's cell is dropped (it cannot be
    applied cell by cell)."""
    if not fix:
        return fix
    edits = []
    for e in fix.get("edits", ()):
        points = []
        for key in ("location", "end_location"):
            loc = e[key]
            if not 0 < loc["row"] <= len(rowmap):
                return None
            c, row, off = rowmap[loc["row"] - 1]
            if c != cell:
                return None
            points.append({"row": row, "column": loc["column"] + off})
        edits.append({**e, "location": points[0], "end_location": points[1], "cell": cell})
    return {**fix, "edits": edits}


def _join(cells: list[Cell], broken) -> tuple[str, list[tuple[int, int, int]]]:
    """The script of the usable cells and, per script row, (cell, row, column offset)."""
    lines: list[str] = []
    rowmap: list[tuple[int, int, int]] = []
    for c in cells:
        if c.index in broken:
            continue
        for r, line in enumerate(c.lines, start=1):
            lines.append(line)
            rowmap.append((c.index, r, c.offsets.get(r - 1, 0)))
        lines.append("")
        rowmap.append((c.index, len(c.lines) + 1, 0))
    return "\n".join(lines) + "\n", rowmap
