"""What the language server computes, free of any LSP library: settings for
a document, findings of a script or a notebook (mapped to the document of
each cell), fix and ``# noqa`` edits, hover text.

Everything here goes through the CLI's own code: ``config`` (the
``[tool.bflint]`` found from the document's folder, per-file ignores),
``engine.check_source`` / ``notebook.check_notebook`` (the same messages),
``fix.fix_text`` and the result cache. The document is parsed, never run.

Positions are bflint's: 1-based rows and columns in code points, column
ends exclusive. :func:`to_units` / :func:`from_units` convert a column to
and from the client's position encoding (UTF-16 by default in LSP)."""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

from bflint import bayesflow_api, engine, selection, suppression
from bflint import cache as cache_mod
from bflint import config as config_mod
from bflint import fix as fixes
from bflint import notebook as nb_mod
from bflint import target as target_mod
from bflint.cache import content_hash, selection_key
from bflint.discovery import _excluded
from bflint.finding import Finding
from bflint.fix import _line_starts, _offset
from bflint.registry import rules_by_code
from bflint.server.incremental import Document
from bflint.server.project import ServerIndex, dependencies
from bflint.source import physical_lines

SOURCE = "bflint"
FIX_ALL_KIND = "source.fixAll.bflint"


# -- settings: the CLI's configuration, found from the document's folder ------------

@dataclasses.dataclass(frozen=True)
class Settings:
    enabled: frozenset[str]
    root: Path                    # the configuration's folder (or the fallback folder)
    config_path: Path | None = None
    error: str | None = None      # a configuration that cannot be used: defaults apply
    excluded: bool = False        # force-exclude and an exclude pattern match
    target: str | None = None     # the BayesFlow series judged against (``bflint.target``)


class SettingsFinder:
    """``[tool.bflint]`` for a document, as ``bflint check <file>`` would
    find it. The parsed file is kept until its mtime or size changes, so a
    saved configuration applies to the next check of every document."""

    def __init__(self) -> None:
        self._parsed: dict[Path, tuple[tuple[int, int], object]] = {}

    def for_path(self, path: str | None, fallback_dir: str | None = None) -> Settings:
        start = Path(path).parent if path else Path(fallback_dir or os.getcwd())
        error = None
        cfg = config_mod.Config()
        found = None
        try:
            found = config_mod.find(start)
            if found is not None:
                cfg = self._read(found) or config_mod.Config()
            enabled = config_mod.enabled_codes(cfg)
        except (config_mod.ConfigError, selection.SelectionError) as exc:
            error = str(exc)
            cfg = config_mod.Config()
            enabled = config_mod.enabled_codes(cfg)
        root = found.parent if found is not None else start
        if path and cfg.per_file_ignores:
            enabled = enabled - config_mod.ignored_codes_for(path, cfg.per_file_ignores, root)
        excluded = False
        if path and cfg.force_exclude:
            patterns = list(cfg.exclude) + list(cfg.extend_exclude)
            rel = config_mod._relative(path, root)
            excluded = _excluded(Path(rel), patterns) or _excluded(Path(path), patterns)

        try:  # the CLI's order: target-bayesflow, else the project's pin, else the latest
            series = target_mod.for_file(path or start, cfg.target_bayesflow)
        except Exception:  # an unreadable pin file: the latest, as the CLI falls back
            series = None
        return Settings(frozenset(enabled), root, found, error, excluded, series)

    def _read(self, path: Path):
        try:
            st = path.stat()
            stamp = (st.st_mtime_ns, st.st_size)
        except OSError:
            stamp = (0, 0)
        hit = self._parsed.get(path)
        if hit is not None and hit[0] == stamp:
            return hit[1]
        cfg = config_mod.read(path)  # raises ConfigError: not kept
        self._parsed[path] = (stamp, cfg)
        return cfg


# -- linting, with a small in-memory cache and the CLI's result cache ---------------

@dataclasses.dataclass
class Problem:
    """One finding in one document (a script, or the cell it is in)."""

    finding: Finding
    uri: str
    # the fix as edits on documents: (uri, (row, col, end_row, end_col), content)
    edits: list[tuple[str, tuple[int, int, int, int], str]] | None = None

    @property
    def range(self) -> tuple[int, int, int, int]:
        f = self.finding
        return f.row, f.column, f.end_row, f.end_column


@dataclasses.dataclass
class Cell:
    uri: str
    text: str
    code: bool                   # a Python code cell (else markdown, raw, another language)


class Linter:
    """Findings for documents; keeps the last results of recent texts."""

    MEMORY = 64
    DOCUMENTS = 16   # scripts whose last tree is kept for an incremental parse

    def __init__(self, use_disk_cache: bool = True, incremental: bool = True,
                 project: bool = True) -> None:
        self.settings = SettingsFinder()
        self.use_disk_cache = use_disk_cache
        self.incremental = incremental
        # key -> (findings, the modules the check read: ProjectIndex.finished's record)
        self._memory: OrderedDict[tuple, tuple[list[Finding], dict | None]] = OrderedDict()
        self._documents: OrderedDict[str, Document] = OrderedDict()
        # the CLI's project analysis (issue 12), open documents read from their buffers
        self.index: ServerIndex | None = ServerIndex() if project else None
        # filename -> the files its last check depends on (None: not known)
        self.deps: dict[str, frozenset[str] | None] = {}

    def document(self, filename: str) -> Document | None:
        """The incremental parse state of a script (the most recent ones)."""
        if not self.incremental:
            return None
        doc = self._documents.get(filename)
        if doc is None:
            doc = self._documents[filename] = Document()
            while len(self._documents) > self.DOCUMENTS:
                self._documents.popitem(last=False)
        else:
            self._documents.move_to_end(filename)
        return doc

    def forget(self, filename: str) -> None:
        """A closed document: its tree is no longer kept."""
        self._documents.pop(filename, None)
        self.deps.pop(filename, None)

    def reset(self) -> None:
        """Forget the results kept in memory and what imports resolved to."""
        self._memory.clear()
        if self.index is not None:
            self.index.invalidate_resolution()

    def project_for(self, filename: str) -> ServerIndex | None:
        """The index when ``filename`` is a file on disk (imports resolve from its folder)."""
        if self.index is None or not os.path.isabs(filename) or not os.path.isfile(filename):
            return None
        return self.index

    def dependents(self, path: str, candidates) -> list[str]:
        """The filenames of ``candidates`` whose last check read the module at
        ``path`` (directly or through another module, as far as the analysis
        follows imports), looked for a module there, or is not known."""
        path = os.path.abspath(path)
        out = []
        for name in candidates:
            if os.path.abspath(name) == path:
                continue
            deps = self.deps.get(name)
            if deps is None or path in deps:
                out.append(name)
        return out

    # the findings -----------------------------------------------------------------
    def findings(self, text: str, filename: str, settings: Settings, *, notebook: bytes | None = None,
                 disk: str | None = None) -> list[Finding]:
        """The findings of a script (``text``) or of a notebook's JSON
        (``notebook``), with the project's modules it imports (the buffers of
        open ones). ``disk``: the file's path when the text is what is saved
        there (open and save): the CLI's result cache is then read and written,
        unless a module the check depends on has unsaved changes."""
        if settings.excluded:
            self.deps[filename] = frozenset()
            return []
        project = self.project_for(filename)
        data = notebook if notebook is not None else text.encode("utf-8", "surrogatepass")
        digest = content_hash(data)
        sel = selection_key(settings.enabled)
        if settings.target:
            sel = f"{sel}@{settings.target}"  # as the CLI's runner keys its cache
        key = (filename, notebook is not None, digest, sel)
        hit = self._memory.get(key)
        if hit is not None and (project is None or project.current(hit[1])):
            self._memory.move_to_end(key)
            self.deps[filename] = _dependencies(hit[1], project)
            return hit[0]
        cache = name = None
        if disk is not None and self.use_disk_cache:
            cache, name = self._disk_cache(settings, disk)
            if cache is not None:
                found = cache.get(disk, name, digest, sel)
                deps = _cached_deps(cache, disk) if project is not None else None
                if found is not None and (project is None or not _unsaved(project, deps)):
                    found = [dataclasses.replace(f, filename=filename) for f in found]
                    self.deps[filename] = _dependencies(deps, project)
                    self._remember(key, found, deps)
                    return found
        deps = None
        try:
            with bayesflow_api.use_target(settings.target):
                if project is not None:
                    # the summary fingerprints of what it takes from each module: an edit
                    # of a module elsewhere leaves its result current (ServerIndex.current)
                    project.fingerprints = True
                if notebook is not None:
                    found = nb_mod.check_notebook(notebook, filename, settings.enabled,
                                                  document=self.document(filename + "#cells"),
                                                  project=project)
                else:
                    found = engine.check_source(text, filename, settings.enabled,
                                                document=self.document(filename), project=project)
        except Exception as exc:  # the engine never raises; the server never dies of it
            found = [engine.internal_error(exc, filename)]
        if project is not None:
            # None: the pre-filter left the file out (then any module change re-checks it)
            deps = project.last_deps.pop(os.path.abspath(filename), None)
        self.deps[filename] = _dependencies(deps, project)
        if cache is not None and not (project is not None and _unsaved(project, deps)):
            cache.put(disk, name, digest, sel, [dataclasses.replace(f, filename=name) for f in found],
                      deps)
            cache.save()
        self._remember(key, found, deps)
        return found

    def _remember(self, key: tuple, found: list[Finding], deps: dict | None = None) -> None:
        self._memory[key] = (found, deps)
        while len(self._memory) > self.MEMORY:
            self._memory.popitem(last=False)

    @staticmethod
    def _disk_cache(settings: Settings, path: str):
        """The cache of ``bflint check`` run in the configuration's folder
        (``<root>/.bflint_cache``, the file named relative to it)."""
        directory = settings.root / cache_mod.DEFAULT_DIR
        if not directory.is_dir():
            return None, None  # never create one where the CLI did not
        name = os.path.relpath(path, settings.root)
        return cache_mod.Cache.open(directory, prefilter=True), name

    # scripts -----------------------------------------------------------------------
    def check_script(self, uri: str, text: str, path: str | None, settings: Settings, *,
                     saved: bool = False) -> list[Problem]:
        filename = path or uri
        found = self.findings(text, filename, settings, disk=path if saved and path else None)
        out = []
        for f in found:
            edits = None
            if f.fix:
                edits = [(uri, _loc(e), e["content"]) for e in f.fix.get("edits", ())]
            out.append(Problem(f, uri, edits))
        return out

    # notebooks ---------------------------------------------------------------------
    def check_notebook(self, uri: str, cells: Sequence[Cell], path: str | None, settings: Settings,
                       metadata: dict | None = None) -> list[Problem]:
        """Cells in order, like ``bflint check x.ipynb``; each finding goes
        to its cell's document."""
        nb = notebook_json(cells, metadata)
        data = json.dumps(nb).encode("utf-8", "surrogatepass")
        found = self.findings("", path or uri, settings, notebook=data)
        rowmap = None
        out = []
        for f in found:
            index = (f.cell or 1) - 1
            if not 0 <= index < len(cells):
                index = 0
            if not cells:
                continue
            edits = None
            if f.fix and f.cell is not None:
                if rowmap is None:
                    rowmap = _rowmap(nb_mod, nb, found)
                edits = _cell_edits(f, rowmap, cells)
            out.append(Problem(dataclasses.replace(f, cell=index + 1), cells[index].uri, edits))
        return out


def _dependencies(deps: dict | None, project: ServerIndex | None) -> frozenset[str] | None:
    return frozenset() if project is None else dependencies(deps)


def _unsaved(project: ServerIndex, deps: dict | None) -> bool:
    """Whether a module the check read (or may have read: not known) has unsaved
    changes: its findings are then not the saved files' (no result cache)."""
    files = dependencies(deps)
    return files is None or bool(project.dirty & files)


def _cached_deps(cache, path: str) -> dict | None:
    """The project modules a result-cache entry was computed with (the record
    ``Cache.put`` keeps: ``[digest, selection, name, findings, {file: hash},
    {"missing": [...], ...}]``), or None when it cannot be read."""
    entry = cache.entries.get(os.path.abspath(path))
    if not isinstance(entry, list) or len(entry) < 4:
        return None
    hashes = entry[4] if len(entry) > 4 else {}
    extra = entry[5] if len(entry) > 5 else {}
    if not isinstance(hashes, dict) or not isinstance(extra, dict):
        return None
    missing = extra.get("missing", [])
    if not isinstance(missing, list):
        return None
    return {"hashes": dict(hashes), "missing": [m for m in missing if isinstance(m, str)]}


def notebook_json(cells: Sequence[Cell], metadata: dict | None = None) -> dict:
    """The notebook bflint's notebook reader expects, from synced cells."""
    return {
        "cells": [{"cell_type": "code" if c.code else "markdown", "source": c.text, "metadata": {}}
                  for c in cells],
        "metadata": metadata if isinstance(metadata, dict) else {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def _loc(edit: dict) -> tuple[int, int, int, int]:
    return (edit["location"]["row"], edit["location"]["column"],
            edit["end_location"]["row"], edit["end_location"]["column"])


def _rowmap(nb_mod, nb: dict, found: list[Finding]):
    """Rows of the script ``check_notebook`` analysed -> (cell, row, offset):
    its own cells and join, without the cells it left out (BF000)."""
    cells = nb_mod.cells_of(nb)
    broken = {c.index for c in cells if c.error is not None}
    broken |= {f.cell for f in found if f.code == "BF000" and f.cell is not None}
    return nb_mod._join(cells, broken)[1]


def _cell_edits(f: Finding, rowmap, cells: Sequence[Cell]):
    """The fix of a notebook finding (script rows) as edits on its cells;
    None when an edit cannot be placed (e.g. it crosses cells)."""
    out = []
    for e in (f.fix or {}).get("edits", ()):
        r, c, er, ec = _loc(e)
        if "cell" in e:  # check_notebook already gives the edit in its cell's coordinates
            if not 0 < e["cell"] <= len(cells):
                return None
            out.append((cells[e["cell"] - 1].uri, (r, c, er, ec), e["content"]))
            continue
        if not (0 < r <= len(rowmap) and 0 < er <= len(rowmap)):
            return None
        cell, row, off = rowmap[r - 1]
        end_cell, end_row, end_off = rowmap[er - 1]
        if cell != end_cell or not 0 < cell <= len(cells):
            return None
        out.append((cells[cell - 1].uri, (row, c + off, end_row, ec + end_off), e["content"]))
    # the mapping must agree with the finding's own place
    if not out or f.cell is None or not 0 < f.cell <= len(cells):
        return None
    return out


# -- edits ------------------------------------------------------------------------

def apply_text_edits(text: str, edits: Sequence[tuple[tuple[int, int, int, int], str]]) -> str:
    """Apply non-overlapping (row, col, end_row, end_col) edits (1-based,
    code points) to ``text``: what an editor does with the server's edits."""
    starts = _line_starts(text)
    spans = []
    for (r, c, er, ec), content in edits:
        spans.append((_offset(starts, text, r, c), _offset(starts, text, er, ec), content))
    for a, b, content in sorted(spans, reverse=True):
        text = text[:a] + content + text[b:]
    return text


def fix_all_script(text: str, filename: str, settings: Settings,
                   project: ServerIndex | None = None) -> str | None:
    """The document after ``bflint check --fix`` (safe fixes, every round, each
    checked with the project's modules as the CLI's ``--fix`` does); None when
    nothing changes."""
    if settings.excluded:
        return None
    with bayesflow_api.use_target(settings.target):
        if project is not None:
            project.fingerprints = False
            result = fixes.fix_text(text, filename, settings.enabled, unsafe=False, project=project)
            project.last_deps.pop(os.path.abspath(filename), None)
        else:
            result = fixes.fix_text(text, filename, settings.enabled, unsafe=False)
    return result.text if result.text != text else None


def fix_all_edits(problems: Sequence[Problem]) -> list[tuple[str, tuple[int, int, int, int], str]]:
    """The safe fixes that do not overlap, as edits (one round, for
    notebooks, whose cells are edited in place)."""
    taken: dict[str, list[tuple[tuple[int, int], tuple[int, int]]]] = {}
    out = []
    for p in sorted(problems, key=lambda p: p.finding.sort_key()):
        if not p.edits or (p.finding.fix or {}).get("applicability") != "safe":
            continue
        spans = [(u, (r, c), (er, ec)) for u, (r, c, er, ec), _ in p.edits]
        if any(_overlaps(a, b, s, e) for u, a, b in spans for s, e in taken.get(u, ())):
            continue
        for u, a, b in spans:
            taken.setdefault(u, []).append((a, b))
        out.extend(p.edits)
    return out


def _overlaps(a, b, s, e) -> bool:
    if a == b and s == e:
        return a == s
    return a < e and s < b or (a == b and s < a < e) or (s == e and a < s < b)


_NOQA = re.compile(r"#\s*noqa:\s*[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*", re.IGNORECASE)


def noqa_edit(text: str, row: int, code: str) -> tuple[tuple[int, int, int, int], str] | None:
    """The edit that adds ``code`` to the ``# noqa`` of line ``row`` (the
    line bflint reads it from); None where a comment cannot go (the line
    ends inside a string or after a backslash) or the code is already there."""
    lines = physical_lines(text)
    if not 0 < row <= len(lines):
        return None
    line = lines[row - 1]

    if suppression.line_suppresses(line, code):
        return None
    if line.rstrip().endswith("\\") or _ends_in_string(text, row):
        return None
    m = _NOQA.search(line)
    if m:
        return (row, m.end() + 1, row, m.end() + 1), f", {code}"
    end = len(line.rstrip())
    return (row, end + 1, row, len(line) + 1), f"  # noqa: {code}"


def _ends_in_string(text: str, row: int) -> bool:
    import io
    import tokenize

    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.start[0] > row:
                return False
            if tok.type in (tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", -1),
                            getattr(tokenize, "FSTRING_START", -1)) \
                    and tok.start[0] <= row < tok.end[0]:
                return True
    except (tokenize.TokenError, SyntaxError, IndentationError, ValueError):
        pass
    return False


# -- hover -------------------------------------------------------------------------

def rule_text(code: str) -> str | None:
    """The text of ``bflint rule CODE``."""
    rule = rules_by_code().get(code)
    if rule is None:
        return None
    return f"# {rule.NAME} ({rule.CODE})\n\nSeverity: {rule.SEVERITY}\n\n{rule.doc()}"


def contains(rng: tuple[int, int, int, int], row: int, col: int) -> bool:
    r, c, er, ec = rng
    return (r, c) <= (row, col) <= (er, ec)


def intersects(rng: tuple[int, int, int, int], start: tuple[int, int], end: tuple[int, int]) -> bool:
    r, c, er, ec = rng
    return (r, c) <= end and start <= (er, ec)


# -- position encodings ------------------------------------------------------------

def _units(s: str, encoding: str) -> int:
    if encoding == "utf-32":
        return len(s)
    if encoding == "utf-8":
        return len(s.encode("utf-8", "surrogatepass"))
    return len(s.encode("utf-16-le", "surrogatepass")) // 2


def to_units(lines: Sequence[str], row: int, col: int, encoding: str = "utf-16") -> tuple[int, int]:
    """bflint's 1-based (row, column in code points) -> LSP's 0-based
    (line, character in the client's units), kept inside the document."""
    if not lines:
        return 0, 0
    if row > len(lines):
        return len(lines) - 1, _units(lines[-1], encoding)
    line = lines[max(row, 1) - 1]
    return max(row, 1) - 1, _units(line[:max(col, 1) - 1], encoding)


def from_units(lines: Sequence[str], line: int, character: int,
               encoding: str = "utf-16") -> tuple[int, int]:
    """LSP's (line, character) -> bflint's 1-based (row, column)."""
    if line >= len(lines) or line < 0:
        return line + 1, 1
    text = lines[line]
    if encoding == "utf-32":
        return line + 1, min(character, len(text)) + 1
    n = 0
    for i, ch in enumerate(text):
        if n >= character:
            return line + 1, i + 1
        n += _units(ch, encoding)
    return line + 1, len(text) + 1


def lines_of(text: str) -> list[str]:
    return physical_lines(text)


def display_range(f: Finding, lines: Sequence[str]) -> tuple[int, int, int, int]:
    """The range to underline: the finding's; an empty one (BF000 at a
    point) is widened to the rest of its line, or the character before the
    end of the line, so that editors show it."""
    r, c, er, ec = f.row, f.column, f.end_row, f.end_column
    if (er, ec) > (r, c):
        return r, c, er, ec
    if 0 < r <= len(lines):
        line = lines[r - 1]
        if c <= len(line):
            return r, c, r, len(line) + 1
        if line:
            return r, max(1, len(line)), r, len(line) + 1
    return r, c, r, c
