"""``--fix`` / ``--diff`` on notebooks (issue 13 §4), as ruff does: the fixes (in cell
coordinates, see ``notebook._fix_in_cell``) are applied to each code cell's source, rounds
until nothing more applies; only the code cells' ``source`` strings change in the raw JSON
(outputs, metadata, cell ids and the JSON's formatting stay byte for byte)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from bflint import fix as fixes
from bflint import notebook, runner
from bflint.add_noqa import _dumps_like, _Spans
from bflint.atomic import write_atomic
from bflint.finding import Finding

MAX_ROUNDS = fixes.MAX_ROUNDS


@dataclasses.dataclass
class NotebookFix:
    original: str            # the raw JSON before
    text: str                # the raw JSON after
    fixed: list[Finding]
    remaining: list[Finding]
    error: str | None = None

    @property
    def changed(self) -> bool:
        return self.text != self.original


def _splice(raw: str, new_sources: dict[int, str]) -> str:
    """``raw`` with the ``source`` of the cells (1-based index -> new text) replaced, every other
    byte kept; a list source stays a list of lines written like the old ones."""
    scanner = _Spans(raw)
    scanner.value(0, ())
    edits = []
    for index, new in new_sources.items():
        pieces = scanner.sources.get(index - 1, [])
        if not pieces:
            raise ValueError(f"cell {index}: its source cannot be located in the JSON")
        first, last = pieces[0][0], pieces[-1][1]
        sample = raw[pieces[0][0]:pieces[0][1]]
        as_list = raw[:first].rstrip().endswith("[")
        if not as_list:
            edits.append((first, last, _dumps_like(sample, new)))
            continue
        sep = raw[pieces[0][1]:pieces[1][0]] if len(pieces) > 1 else ", "
        lines = new.splitlines(keepends=True)
        edits.append((first, last, sep.join(_dumps_like(sample, line) for line in lines)))
    for a, b, text in sorted(edits, reverse=True):
        raw = raw[:a] + text + raw[b:]
    return raw


def fix_notebook(path: Path, enabled: frozenset[str], *, display: str, unsafe: bool,
                 write: bool, prefilter: bool = True) -> NotebookFix:
    data = path.read_bytes()
    bom = data.startswith(b"\xef\xbb\xbf")
    original = data.decode("utf-8-sig")
    raw = original
    fixed: list[Finding] = []
    findings = runner.check_data(raw.encode("utf-8"), display, enabled, notebook=True, prefilter=prefilter)
    for _ in range(MAX_ROUNDS):
        nb = notebook.load(raw)
        by_cell: dict[int, list[Finding]] = {}
        for f in findings:
            if f.cell is not None and fixes.applicable(f, unsafe):
                by_cell.setdefault(f.cell, []).append(f)
        new_sources: dict[int, str] = {}
        applied_now: list[Finding] = []
        for index, fs in by_cell.items():
            cell = nb["cells"][index - 1]
            if cell.get("cell_type") != "code":
                continue
            source = notebook.cell_source(cell)
            new, applied = fixes.apply_edits(source, fs, unsafe)
            if applied and new != source:
                new_sources[index] = new
                applied_now.extend(applied)
        if not new_sources:
            break
        candidate = _splice(raw, new_sources)
        json.loads(candidate)  # still JSON
        after = runner.check_data(candidate.encode("utf-8"), display, enabled, notebook=True,
                                  prefilter=prefilter)
        new_errors = sum(f.code == "BF000" for f in after) > sum(f.code == "BF000" for f in findings)
        if new_errors:  # a fix broke a cell: stop before it
            break
        raw, findings = candidate, after
        fixed.extend(applied_now)
    result = NotebookFix(original, raw, fixed, findings)
    if write and result.changed:
        try:
            write_atomic(path, (b"\xef\xbb\xbf" if bom else b"") + raw.encode("utf-8"))
        except OSError as exc:
            result.error = f"cannot write the file: {exc.strerror or exc}"
    return result
