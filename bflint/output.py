"""Output formats: ``full`` (source lines, carets and help), ``concise``
(one line per finding; ``text`` is an alias), ``json``, ``sarif`` (SARIF
2.1.0, for GitHub code scanning) and ``github`` (workflow-command
annotations)."""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from bflint import __version__, engine, notebook
from bflint.finding import SEVERITIES, Finding, rule_url
from bflint.registry import all_rules, rules_by_code
from bflint.source import LazyPattern
from bflint.source import physical_lines as _source_lines

if TYPE_CHECKING:  # pragma: no cover
    from bflint.rule import Rule

FORMATS = ("full", "concise", "text", "json", "sarif", "github")
_COLORS = {"E": "red", "W": "yellow", "I": "blue"}


# -- text for a terminal (issue 16 item 4) ------------------------------------
#
# Strings, comments and file names come from the linted tree: an ESC, OSC or
# bidi-override character in them reached the terminal raw (clear-screen,
# set-title, text reordered). Every format printed for a human goes through
# ``safe``: C0 controls and DEL become their control pictures (ESC is ``␛``, as
# ruff shows it), C1 controls, bidi embeddings/overrides/isolates/marks and the
# line/paragraph separators become ``\u202e``-style escapes. A tab is kept only
# in code frames (expanded there). JSON and SARIF stay exact.

_UNSAFE = LazyPattern("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029"
                      "\u202a-\u202e\u2066-\u2069]")
_UNSAFE_NO_TAB = LazyPattern("[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029"
                             "\u202a-\u202e\u2066-\u2069]")


def _picture(m: re.Match) -> str:
    c = ord(m.group())
    if c < 0x20:
        return chr(0x2400 + c)   # ␀ ... ␟ (ESC -> ␛)
    if c == 0x7f:
        return "\u2421"         # ␡
    return f"\\u{c:04x}"


def safe(text: str, keep_tab: bool = False) -> str:
    """``text`` with nothing a terminal would act on."""
    text = str(text)
    return (_UNSAFE_NO_TAB if keep_tab else _UNSAFE).sub(_picture, text)


def location(f: Finding) -> str:
    name = safe(f.filename)
    if f.cell is not None:
        return f"{name}:cell {f.cell}:{f.row}:{f.column}"
    return f"{name}:{f.row}:{f.column}"


def applicable(f: Finding, unsafe: bool = False) -> bool:
    """Would ``--fix`` (with ``--unsafe-fixes`` when ``unsafe``) apply this finding's fix?"""
    return f.fix is not None and bool(f.fix) and (unsafe or f.fix.get("applicability") == "safe")


def fixable_mark(f: Finding, unsafe: bool = False) -> str:
    """``[*]`` only on what ``--fix`` applies (ruff): a safe fix, or any with ``--unsafe-fixes``."""
    return "[*] " if applicable(f, unsafe) else ""


def format_concise(findings: Sequence[Finding], files_checked: int | None = None,
                   fixed: int = 0, unsafe: bool = False) -> str:
    lines = [f"{location(f)}: {safe(f.code)} {fixable_mark(f, unsafe)}{safe(f.message)}"
             for f in findings]
    lines.append(summary_line(findings, files_checked, fixed, unsafe))
    return "\n".join(lines) + "\n"


def _fixes(n: int) -> str:
    return f"{n} hidden fix{'es' if n != 1 else ''} can be enabled with the `--unsafe-fixes` option"


def fix_hint(findings: Sequence[Finding], unsafe: bool = False) -> str:
    """ruff's last line: ``[*] N fixable with `--fix`.`` / ``No fixes available (N hidden fixes
    can be enabled with the `--unsafe-fixes` option).`` / "" when no finding has a fix."""
    n_applicable = sum(1 for f in findings if applicable(f, unsafe))
    hidden = 0 if unsafe else sum(1 for f in findings if f.fix and not applicable(f))
    if n_applicable:
        how = "`--fix --unsafe-fixes`" if unsafe and any(
            f.fix and f.fix.get("applicability") != "safe" for f in findings) else "`--fix`"
        extra = f" ({_fixes(hidden)})" if hidden else ""
        return f"[*] {n_applicable} fixable with {how}{extra}."
    if hidden:
        return f"No fixes available ({_fixes(hidden)})."
    return ""


def summary_line(findings: Sequence[Finding], files_checked: int | None = None,
                 fixed: int = 0, unsafe: bool = False) -> str:
    checked = f" ({files_checked} file{'s' if files_checked != 1 else ''} checked)" if files_checked is not None else ""
    fixed_part = f"Fixed {fixed} problem{'s' if fixed != 1 else ''}. " if fixed else ""
    if not findings:
        return f"{fixed_part}All checks passed!{checked}"
    by_sev = Counter(f.severity for f in findings)
    files = len({f.filename for f in findings})
    parts = ", ".join(f"{by_sev[s]} {name}{'s' if by_sev[s] != 1 else ''}"
                      for s, name in (("E", "error"), ("W", "warning"), ("I", "info")) if by_sev[s])
    n = len(findings)
    text = (f"{fixed_part}Found {n} problem{'s' if n != 1 else ''} ({parts}) in {files} "
            f"file{'s' if files != 1 else ''}{checked}.")
    hint = fix_hint(findings, unsafe)
    if hint:
        text += "\n" + hint
    return text


def format_json(findings: Sequence[Finding]) -> str:
    return json.dumps([f.to_json() for f in findings], indent=2) + "\n"


def statistics(findings: Sequence[Finding], unsafe: bool = False) -> list[dict]:
    """Per code: count, name, and what ``--fix`` can do (``safe``: every finding's fix applies,
    ``unsafe``: fixes only with ``--unsafe-fixes``, None: no fix), most frequent first."""
    counts = Counter((f.code, f.name) for f in findings)
    safe_fix = Counter(f.code for f in findings if applicable(f, unsafe))
    any_fix = Counter(f.code for f in findings if f.fix)
    rows = []
    for (code, name), n in sorted(counts.items(), key=lambda x: (-x[1], x[0])):
        kind = "safe" if safe_fix[code] else ("unsafe" if any_fix[code] else None)
        rows.append({"code": code, "name": name, "count": n, "fixable": kind == "safe",
                     "applicability": kind})
    return rows


_MARKS = {"safe": "[*]", "unsafe": "[-]", None: "[ ]"}


def format_statistics(findings: Sequence[Finding], unsafe: bool = False) -> str:
    """ruff's ``--statistics``: only the table (count, code, ``[*]`` safe fix / ``[-]`` unsafe fix /
    ``[ ]`` none, name), then the total."""
    rows = statistics(findings, unsafe)
    if not rows:
        return ""
    width = max(len(str(r["count"])) for r in rows)
    cwidth = max(len(r["code"]) for r in rows)
    lines = [f"{r['count']:>{width}}  {safe(r['code']):<{cwidth}}  {_MARKS[r['applicability']]} {safe(r['name'])}"
             for r in rows]
    n = len(findings)
    lines.append(f"Found {n} problem{'s' if n != 1 else ''}.")
    hint = fix_hint(findings, unsafe)
    if hint:
        lines.append(hint)
    return "\n".join(lines) + "\n"


def format_statistics_json(findings: Sequence[Finding], unsafe: bool = False) -> str:
    return json.dumps(statistics(findings, unsafe), indent=2) + "\n"


# -- full -----------------------------------------------------------------------

class SourceLines:
    """Reads (and caches) the lines a finding points into: a file's lines,
    or a notebook cell's. ``given`` maps names to already known text
    (stdin)."""

    def __init__(self, given: Mapping[str, bytes | str] | None = None) -> None:
        self.given = dict(given or {})
        self._cache: dict[tuple[str, int | None], list[str] | None] = {}

    def __call__(self, filename: str, cell: int | None) -> list[str] | None:
        key = (filename, cell)
        if key not in self._cache:
            self._cache[key] = self._read(filename, cell)
        return self._cache[key]

    def _read(self, filename: str, cell: int | None) -> list[str] | None:
        data = self.given.get(filename)
        if data is None:
            try:
                data = Path(filename).read_bytes()
            except OSError:
                return None
        if cell is not None:
            try:
                nb = notebook.load(data)
                return physical_lines(notebook.cell_source(nb["cells"][cell - 1]))
            except (notebook.NotebookError, IndexError, TypeError, AttributeError):
                return None
        if isinstance(data, bytes):
            try:
                data = engine.decode(data)
            except engine.DecodeError:
                return None
        return physical_lines(data)


def physical_lines(text: str) -> list[str]:
    """Rows as the parser counts them (``str.splitlines`` also breaks at form
    feeds, ``\\x1c``, ``\\x85``, ``\\u2028``... and shifted the frame)."""
    return _source_lines(text)


def _style(text: str, color: bool, **kw) -> str:
    if not color:
        return text
    import click

    return click.style(text, **kw)


def _rule_help(code: str) -> str:
    rule = rules_by_code().get(code)
    try:
        return rule.help() if rule is not None and hasattr(rule, "help") else ""
    except Exception:  # a rule's docstring must never break the output
        return ""


def format_full(findings: Sequence[Finding], files_checked: int | None = None, *,
                color: bool = False, source: Callable | None = None, fixed: int = 0,
                unsafe: bool = False) -> str:
    """Each finding's head line; one code frame per source line with the carets of every finding
    on it (issue 13 §6: five findings on one line show the line once), then each finding's
    ``= help:`` / ``= fix:`` lines."""
    source = source or SourceLines()
    out: list[str] = []
    i = 0
    while i < len(findings):
        j = i + 1
        key = (findings[i].filename, findings[i].cell, findings[i].row)
        while j < len(findings) and (findings[j].filename, findings[j].cell, findings[j].row) == key:
            j += 1
        group = findings[i:j]
        i = j
        for f in group:
            sev_color = _COLORS.get(f.severity, "red")
            out.append(_style(location(f), color, bold=True) + ": "
                       + _style(safe(f.code), color, fg=sev_color, bold=True) + " "
                       + (_style("[*] ", color, fg="cyan") if applicable(f, unsafe) else "")
                       + safe(f.message))
        _frame_lines(out, group, source, color)
        for f in group:
            code = f" ({safe(f.code)})" if len(group) > 1 else ""
            hint = f.help or _rule_help(f.code)
            if hint:
                out.append(" " * 2 + _style(f"= help{code}:", color, fg="cyan", bold=True) + " " + safe(hint))
            if f.fix:
                kind = "safe fix" if f.fix.get("applicability") == "safe" else "unsafe fix"
                out.append(" " * 2 + _style(f"= {kind}{code}:", color, fg="cyan", bold=True) + " "
                           + safe(f.fix.get("message", "")))
        out.append("")
    out.append(summary_line(findings, files_checked, fixed, unsafe))
    return "\n".join(out) + "\n"


def _frame_lines(out: list[str], group: Sequence[Finding], source: Callable, color: bool) -> None:
    """The code frame of findings that all start on one row: the rows up to the furthest end
    (at most 3), and under the first row one caret line per distinct span, labelled with its codes."""
    f0 = group[0]
    lines = source(f0.filename, f0.cell)
    if not lines or not 0 < f0.row <= len(lines):
        return
    end_row = max(f.end_row for f in group)
    last = min(end_row, f0.row + 2, len(lines)) if end_row >= f0.row else f0.row
    width = len(str(last))
    gutter = _style(" " * width + " |", color, fg="blue")
    out.append(gutter)
    spans: dict[tuple[int, int, int], list[Finding]] = {}
    for f in group:
        spans.setdefault((f.column, f.end_row, f.end_column), []).append(f)
    for r in range(f0.row, last + 1):
        raw = lines[r - 1]
        shown = _frame(raw)
        out.append(_style(f"{r:>{width}} |", color, fg="blue") + " " + shown)
        if r != f0.row:
            continue
        for (column, f_end_row, end_column), fs in spans.items():
            start = len(_frame(raw[:max(column - 1, 0)]))
            if f_end_row == f0.row and end_column > column:
                end = len(_frame(raw[:end_column - 1]))
            else:
                end = len(shown.rstrip())
            carets = "^" * max(1, end - start)
            one_row = all(f.end_row <= f0.row for f in fs) or last == f0.row
            label = (" " + ", ".join(safe(f.code) for f in fs)) if one_row or len(group) > 1 else ""
            sev_color = _COLORS.get(fs[0].severity, "red")
            out.append(gutter + " " + " " * start + _style(carets + label, color, fg=sev_color, bold=True))
    if end_row > last:
        out.append(_style(" " * width + " :", color, fg="blue") + " ...")
    out.append(gutter)


def _frame(line: str) -> str:
    """A source line in a code frame: escaped, tabs expanded."""
    return safe(line, keep_tab=True).expandtabs(4)


# -- github ----------------------------------------------------------------------

_GH_LEVEL = {"E": "error", "W": "warning", "I": "notice"}


def _gh_data(text: str) -> str:
    # %0D/%0A keep a CR/LF (in a file name: the annotation still names the
    # file) without starting a new workflow command; other controls: ``safe``
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return safe(text)


def _gh_prop(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


def format_github(findings: Sequence[Finding]) -> str:
    """GitHub Actions workflow commands: one annotation per finding."""
    out = []
    for f in findings:
        level = _GH_LEVEL.get(f.severity, "error")
        props = [f"file={_gh_prop(_relpath(f.filename))}"]
        msg = f.message
        if f.cell is None:
            props += [f"line={f.row}", f"col={f.column}", f"endLine={f.end_row}",
                      f"endColumn={f.end_column}"]
        else:  # rows of notebooks are relative to a cell: no line in the JSON file
            msg = f"cell {f.cell}:{f.row}:{f.column}: {msg}"
        props.append(f"title={_gh_prop(f.code)}")
        out.append(f"::{level} {','.join(props)}::{_gh_data(f.code + ' ' + msg)}")
    return "\n".join(out) + ("\n" if out else "")


# -- SARIF -----------------------------------------------------------------------

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {"E": "error", "W": "warning", "I": "note"}
INFORMATION_URI = "https://github.com/bflint/bflint"


def _relpath(filename: str) -> str:
    if filename in ("-", "<stdin>"):
        return filename
    p = os.path.abspath(filename)
    try:
        rel = os.path.relpath(p)
    except ValueError:
        return Path(filename).as_posix()
    if rel.startswith(".."):
        return Path(p).as_posix()
    return Path(rel).as_posix()


def _uri(filename: str) -> tuple[str, bool]:
    """(URI, relative to %SRCROOT%?)."""
    rel = _relpath(filename)
    if os.path.isabs(rel):
        return Path(rel).as_uri(), False
    return quote(rel, safe="/"), True


def format_sarif(findings: Sequence[Finding], rules: Sequence[type[Rule]] | None = None) -> str:
    rules = list(rules if rules is not None else all_rules())
    index = {r.CODE: i for i, r in enumerate(rules)}
    descriptors = []
    for r in rules:
        doc = r.doc()
        desc = {
            "id": r.CODE,
            "name": _pascal(r.NAME),
            "shortDescription": {"text": r.summary() or r.NAME},
            "fullDescription": {"text": doc or r.NAME},
            "help": {"text": doc or r.NAME, "markdown": doc or r.NAME},
            "helpUri": rule_url(r.CODE, r.NAME),
            "defaultConfiguration": {"level": _SARIF_LEVEL.get(r.SEVERITY, "error")},
            "properties": {"tags": ["bayesflow", r.NAME], "severity": SEVERITIES.get(r.SEVERITY, "error"),
                           "problem.severity": {"E": "error", "W": "warning", "I": "recommendation"}
                           .get(r.SEVERITY, "error")},
        }
        descriptors.append(desc)
    results = []
    for f in findings:
        uri, relative = _uri(f.filename)
        artifact = {"uri": uri}
        if relative:
            artifact["uriBaseId"] = "%SRCROOT%"
        phys: dict = {"artifactLocation": artifact}
        msg = f.message
        if f.cell is None:
            region = {"startLine": max(1, f.row), "startColumn": max(1, f.column)}
            if f.end_row >= f.row:
                region["endLine"] = max(1, f.end_row)
                if f.end_column >= 1 and (f.end_row > f.row or f.end_column > f.column):
                    region["endColumn"] = f.end_column
            phys["region"] = region
        else:
            msg = f"cell {f.cell}:{f.row}:{f.column}: {msg}"
        res: dict = {
            "ruleId": f.code,
            "level": _SARIF_LEVEL.get(f.severity, "error"),
            "message": {"text": msg},
            "locations": [{"physicalLocation": phys}],
        }
        if f.code in index:
            res["ruleIndex"] = index[f.code]
        related = f.related_location()
        if related is not None:  # the cause, in another module of the project (issue 12)
            other, other_relative = _uri(related["filename"])
            where = {"uri": other}
            if other_relative:
                where["uriBaseId"] = "%SRCROOT%"
            res["relatedLocations"] = [{
                "id": 1,
                "physicalLocation": {"artifactLocation": where, "region": {
                    "startLine": max(1, related["row"]), "startColumn": max(1, related["column"])}},
                "message": {"text": "the cause, in another module of the project"},
            }]
        if f.cell is not None:
            res["properties"] = {"cell": f.cell, "row": f.row, "column": f.column}
        if f.fix and f.cell is None:
            res["fixes"] = [_sarif_fix(f, artifact)]
        results.append(res)
    cwd = Path(os.getcwd()).as_uri().rstrip("/") + "/"
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "bflint", "version": __version__, "semanticVersion": __version__,
                                "informationUri": INFORMATION_URI, "rules": descriptors}},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": cwd}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
    return json.dumps(log, indent=2) + "\n"


def _sarif_fix(f: Finding, artifact: dict) -> dict:
    assert f.fix is not None  # only called for findings with a fix
    reps = []
    for e in f.fix["edits"]:
        reps.append({
            "deletedRegion": {"startLine": e["location"]["row"], "startColumn": e["location"]["column"],
                              "endLine": e["end_location"]["row"], "endColumn": e["end_location"]["column"]},
            "insertedContent": {"text": e["content"]},
        })
    return {"description": {"text": f.fix.get("message") or "fix"},
            "artifactChanges": [{"artifactLocation": dict(artifact), "replacements": reps}]}


def _pascal(name: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in name.split("-"))


# -- dispatch -------------------------------------------------------------------

def render(fmt: str, findings: Sequence[Finding], files_checked: int | None = None, *,
           color: bool = False, source: Callable | None = None, fixed: int = 0,
           unsafe: bool = False) -> str:
    if fmt == "json":
        return format_json(findings)
    if fmt == "sarif":
        return format_sarif(findings)
    if fmt == "github":
        return format_github(findings)
    if fmt == "full":
        return format_full(findings, files_checked, color=color, source=source, fixed=fixed,
                           unsafe=unsafe)
    return format_concise(findings, files_checked, fixed, unsafe)
