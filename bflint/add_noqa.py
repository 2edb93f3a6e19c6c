"""``bflint --add-noqa``: add ``# noqa: BFxxx`` to every line with a finding (ruff's semantics).

* The directive goes where :mod:`bflint.suppression` looks for it: the finding's line, or, when
  that line cannot carry a comment (it ends inside a multi-line string or with a backslash
  continuation), the line where the string / logical line ends.
* An existing ``# noqa: A, B`` on that line is merged (its codes are kept, other tools' codes
  too; new codes are appended); a line with another comment gets ``  # noqa: ...`` after it;
  a bare ``# noqa`` already covers everything.
* Only comments change: the file's tokens other than comments are compared before and after,
  and a file whose code would change is not written. Files are written atomically in their
  own encoding, BOM and line endings.
* Notebooks: only the ``source`` of the code cells with findings is rewritten, string by
  string inside the raw JSON, so outputs, metadata, cell ids and the JSON's formatting stay
  byte for byte.
* BF000 / BF001 / BF999 (the file does not parse, cannot be read, bflint failed) cannot be
  suppressed by a ``noqa`` line and get none.
"""

from __future__ import annotations

import bisect
import dataclasses
import io
import json
import re
import tokenize
from pathlib import Path

import click

from bflint import notebook, suppression
from bflint.atomic import write_atomic
from bflint.fix import read_source
from bflint.output import safe
from bflint.source import line_starts, physical_lines

NOT_LINE_SUPPRESSIBLE = frozenset({"BF000", "BF001", "BF999"})

# a noqa directive inside a comment (suppression's own pattern)
_NOQA = suppression._LINE


@dataclasses.dataclass
class Result:
    added: int = 0                                    # directives added or extended
    errors: list[str] = dataclasses.field(default_factory=list)
    skipped: int = 0                                  # findings that could get no directive


# --------------------------------------------------------------------------- one source text


def _comments(text: str) -> dict[int, tuple[int, str]] | None:
    """row -> (column, text) of the comment token on that row; None if it cannot tokenize."""
    out: dict[int, tuple[int, str]] = {}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT:
                out[tok.start[0]] = (tok.start[1], tok.string)
    except (tokenize.TokenError, SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return out


def _code_tokens(text: str):
    """The tokens of ``text`` that are code (no comments, no line-break tokens)."""
    skip = (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE)
    return [(t.type, t.string) for t in tokenize.generate_tokens(io.StringIO(text).readline)
            if t.type not in skip]


def _format_codes(existing: list[str], new: list[str]) -> str:
    return ", ".join(existing + [c for c in new if c not in existing])


def directive_edits(text: str, rows_codes: dict[int, set[str]]) -> tuple[list[tuple[int, int, str]], int]:
    """Edits ``(start offset, end offset, replacement)`` that add the codes to the
    rows (1-based physical rows of ``text``), and the number of findings that
    could get no directive. Edits never overlap."""
    comment_rows = suppression.comment_rows(text)
    comments = _comments(text)
    if comment_rows is None or comments is None:
        return [], sum(len(c) for c in rows_codes.values())
    starts = line_starts(text)
    n_lines = len(starts) - (1 if starts[-1] == len(text) else 0)
    targets: dict[int, set[str]] = {}
    skipped = 0
    for row, codes in rows_codes.items():
        target = suppression.noqa_row(row, comment_rows, n_lines) if 0 < row <= n_lines else None
        if target is None:
            skipped += len(codes)
            continue
        targets.setdefault(target, set()).update(codes)

    edits = []
    for row, codes in sorted(targets.items()):
        line_start = starts[row - 1]
        line_end = starts[row] if row < len(starts) else len(text)
        line = text[line_start:line_end]
        body = line.rstrip("\r\n")
        comment = comments.get(row)
        new_codes = sorted(codes)
        if comment is not None:
            col, ctext = comment
            # LibCST/tokenize columns are in characters of the line: the comment runs to the end
            cstart = line_start + col
            matches = list(_NOQA.finditer(ctext))
            covered: set[str] = set()
            for m in matches:
                c = suppression._codes(m.group("codes"))
                if c is suppression.ALL:
                    covered = None  # type: ignore[assignment]
                    break
                covered |= c
            if covered is None:
                continue  # a bare `# noqa` covers every code already
            missing = [c for c in new_codes if c not in covered]
            if not missing:
                continue
            with_codes = [m for m in matches if m.group("codes")]
            if with_codes:
                m = with_codes[0]
                existing = [c for c in re.split(r"[\s,]+", m.group("codes").strip()) if c]
                a, b = cstart + m.start("codes"), cstart + m.end("codes")
                edits.append((a, b, _format_codes(existing, missing)))
            else:
                end = cstart + len(ctext.rstrip())
                edits.append((end, line_start + len(body), f"  # noqa: {', '.join(missing)}"))
        else:
            end = line_start + len(body.rstrip(" \t"))
            edits.append((end, line_start + len(body), f"  # noqa: {', '.join(new_codes)}"))
    return edits, skipped


def apply(text: str, edits) -> str:
    for a, b, new in sorted(edits, reverse=True):
        text = text[:a] + new + text[b:]
    return text


def add_to_text(text: str, rows_codes: dict[int, set[str]]) -> tuple[str, int, int]:
    """(new text, directives added, findings skipped); raises ValueError if the
    code (anything but comments) would change."""
    edits, skipped = directive_edits(text, rows_codes)
    if not edits:
        return text, 0, skipped
    new = apply(text, edits)
    try:
        same = _code_tokens(new) == _code_tokens(text)
    except (tokenize.TokenError, SyntaxError, ValueError, RecursionError, MemoryError):
        same = False
    if not same:
        raise ValueError("adding the noqa comments would change the code; nothing written")
    return new, len(edits), skipped


# --------------------------------------------------------------------------- files


def _rows_codes(findings) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for f in findings:
        if f.code in NOT_LINE_SUPPRESSIBLE:
            continue
        out.setdefault(f.row, set()).add(f.code)
    return out


def add_to_python_file(path: Path, findings) -> tuple[int, int]:

    rows_codes = _rows_codes(findings)
    if not rows_codes:
        return 0, 0
    text, encoding = read_source(path)
    new, added, skipped = add_to_text(text, rows_codes)
    if added:
        write_atomic(path, new.encode(encoding))
    return added, skipped


# --------------------------------------------------------------------------- notebooks


class _Spans:
    """A minimal JSON scanner that records where the strings of
    ``cells[i].source`` are in the raw text (json gives no positions)."""

    _WS = re.compile(r"[ \t\n\r]*")
    _STR = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
    _NUM = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")

    def __init__(self, raw: str):
        self.raw = raw
        self.sources: dict[int, list[tuple[int, int]]] = {}  # cell index (0-based) -> string spans

    def ws(self, i: int) -> int:
        m = self._WS.match(self.raw, i)
        return m.end() if m is not None else i

    def value(self, i: int, path: tuple) -> int:
        i = self.ws(i)
        ch = self.raw[i]
        if ch == "{":
            i = self.ws(i + 1)
            if self.raw[i] == "}":
                return i + 1
            while True:
                m = self._STR.match(self.raw, i)
                if not m:
                    raise ValueError("bad key")
                key = json.loads(m.group())
                i = self.ws(m.end())
                if self.raw[i] != ":":
                    raise ValueError("expected :")
                i = self.value(i + 1, path + (key,))
                i = self.ws(i)
                if self.raw[i] == ",":
                    i = self.ws(i + 1)
                    continue
                if self.raw[i] == "}":
                    return i + 1
                raise ValueError("expected , or }")
        if ch == "[":
            i = self.ws(i + 1)
            if self.raw[i] == "]":
                self._record(path, None)
                return i + 1
            k = 0
            while True:
                i = self.value(i, path + (k,))
                i = self.ws(i)
                k += 1
                if self.raw[i] == ",":
                    i += 1
                    continue
                if self.raw[i] == "]":
                    return i + 1
                raise ValueError("expected , or ]")
        if ch == '"':
            m = self._STR.match(self.raw, i)
            if not m:
                raise ValueError("bad string")
            self._record(path, (m.start(), m.end()))
            return m.end()
        for lit in ("true", "false", "null"):
            if self.raw.startswith(lit, i):
                return i + len(lit)
        m = self._NUM.match(self.raw, i)
        if not m:
            raise ValueError(f"unexpected {ch!r}")
        return m.end()

    def _record(self, path, span):
        # ("cells", i, "source") for a string source; ("cells", i, "source", k) for list items
        if len(path) >= 3 and path[0] == "cells" and isinstance(path[1], int) and path[2] == "source":
            spans = self.sources.setdefault(path[1], [])
            if span is not None and len(path) in (3, 4):
                spans.append(span)


def _dumps_like(raw_piece: str, value: str) -> str:
    """``value`` as a JSON string written the way ``raw_piece`` was (ASCII escapes or not)."""
    for ascii_ in (False, True):
        if json.dumps(json.loads(raw_piece), ensure_ascii=ascii_) == raw_piece:
            return json.dumps(value, ensure_ascii=ascii_)
    return json.dumps(value, ensure_ascii=False)


def add_to_notebook_file(path: Path, findings) -> tuple[int, int]:

    by_cell: dict[int, list] = {}
    for f in findings:
        if f.cell is not None:
            by_cell.setdefault(f.cell, []).append(f)
    if not any(_rows_codes(fs) for fs in by_cell.values()):
        return 0, 0
    data = path.read_bytes()
    bom = data.startswith(b"\xef\xbb\xbf")
    raw = data.decode("utf-8-sig")
    nb = notebook.load(raw)
    if "cells" not in json.loads(raw):
        raise ValueError("nbformat 3 notebooks are not rewritten")
    scanner = _Spans(raw)
    end = scanner.value(0, ())
    if raw[scanner.ws(end):] != "":
        raise ValueError("trailing data after the notebook JSON")
    cells = {c.index: c for c in notebook.cells_of(nb)}
    raw_edits = []  # (start, end, replacement) in the raw JSON
    added = skipped = 0
    for index, fs in sorted(by_cell.items()):
        rows_codes = _rows_codes(fs)
        cell = cells.get(index)
        if not rows_codes:
            continue
        if cell is None or cell.error is not None:
            skipped += sum(len(c) for c in rows_codes.values())
            continue
        pieces = scanner.sources.get(index - 1, [])
        values = [json.loads(raw[a:b]) for a, b in pieces]
        source = "".join(values)
        # where the directive goes is decided on the neutralised cell (magics commented out,
        # rows aligned); the edits apply to the real source: neutralisation keeps each line's
        # end, so offsets from the line's end are the same in both
        neutral = "\n".join(cell.lines) + "\n"
        edits, sk = directive_edits(neutral, rows_codes)
        skipped += sk
        if not edits:
            continue
        n_starts = line_starts(neutral)
        s_starts = line_starts(source)
        real_edits = []
        for a, b, new in edits:
            row = _row_of(n_starts, a)
            n_line_end = len(neutral) if row >= len(n_starts) else n_starts[row]
            s_line_end = len(source) if row >= len(s_starts) else s_starts[row]
            n_body_end = n_line_end - (1 if neutral[n_line_end - 1:n_line_end] == "\n" else 0)
            s_line = source[s_starts[row - 1]:s_line_end]
            s_body_end = s_starts[row - 1] + len(s_line.rstrip("\r\n"))
            shift = s_body_end - n_body_end
            real_edits.append((a + shift, b + shift, new))
        new_source = apply(source, real_edits)
        try:
            same = _code_tokens("\n".join(notebook.neutralise(physical_lines(new_source))) + "\n") == \
                _code_tokens(neutral)
        except (tokenize.TokenError, SyntaxError, ValueError, RecursionError, MemoryError):
            same = False
        if not same:
            raise ValueError(f"cell {index}: adding the noqa comments would change the code; nothing written")
        # distribute the new source over the JSON strings: each edit lands in the piece that
        # holds its offset (an insertion at a piece's end goes into that piece)
        bounds = []
        pos = 0
        for v in values:
            bounds.append((pos, pos + len(v)))
            pos += len(v)
        new_values = list(values)
        for a, b, new in sorted(real_edits, reverse=True):
            k = next((k for k, (lo, hi) in enumerate(bounds) if lo <= a and b <= hi
                      and (a < hi or k == len(bounds) - 1 or a == b)), None)
            if k is None:
                raise ValueError(f"cell {index}: a comment spans two JSON strings; nothing written")
            lo = bounds[k][0]
            v = new_values[k]
            new_values[k] = v[:a - lo] + new + v[b - lo:]
        if "".join(new_values) != new_source:
            raise ValueError(f"cell {index}: could not place the comments; nothing written")
        for (a, b), old, new in zip(pieces, values, new_values):
            if old != new:
                raw_edits.append((a, b, _dumps_like(raw[a:b], new)))
        added += len(edits)
    if raw_edits:
        new_raw = apply(raw, raw_edits)
        json.loads(new_raw)  # still JSON
        write_atomic(path, (b"\xef\xbb\xbf" if bom else b"") + new_raw.encode("utf-8"))
    return added, skipped


def _row_of(starts: list[int], offset: int) -> int:

    return bisect.bisect_right(starts, offset)


# --------------------------------------------------------------------------- CLI


def run(findings) -> Result:
    """Add the directives for ``findings`` (already filtered by selection and
    suppression) to their files."""
    result = Result()
    by_file: dict[str, list] = {}
    for f in findings:
        by_file.setdefault(f.filename, []).append(f)
    for name, fs in sorted(by_file.items()):
        path = Path(name)
        try:
            if name.endswith(".ipynb"):
                added, skipped = add_to_notebook_file(path, fs)
            else:
                added, skipped = add_to_python_file(path, fs)
        except (OSError, ValueError, UnicodeError) as exc:
            result.errors.append(f"{name}: {exc}")
            continue
        except Exception as exc:  # noqa: BLE001  (a file that fails is reported, never a crash)
            result.errors.append(f"{name}: {type(exc).__name__}: {exc}")
            continue
        result.added += added
        result.skipped += skipped
    return result


def report(findings, *, stdin: bool = False, fix: bool = False) -> int:
    """The CLI's ``--add-noqa``: add the directives, say how many; the exit status."""
    if stdin:
        click.echo("bflint: error: --add-noqa rewrites files; it cannot be used with stdin (`-`)", err=True)
        return 2
    if fix:
        click.echo("bflint: error: --add-noqa cannot be combined with --fix or --diff", err=True)
        return 2
    result = run(findings)
    for err in result.errors:
        click.echo(f"bflint: {safe(err)}", err=True)
    n = result.added
    click.echo(f"Added {n} noqa directive{'s' if n != 1 else ''}.", err=True)
    if result.skipped:
        s = result.skipped
        click.echo(f"bflint: {s} finding{'s' if s != 1 else ''} could not get a noqa directive "
                   "(no line after it can carry a comment)", err=True)
    return 2 if result.errors else 0
