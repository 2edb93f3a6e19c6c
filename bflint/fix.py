"""Automatic fixes: turning a rule's :class:`~bflint.rule.Fix` into
1-based ranges (``Finding.fix``, like ruff's JSON) and applying them.

Applying is text editing on the decoded source: non-overlapping edits,
applied from the end, the result re-parsed (code that does not parse is
never written) and re-linted until no fix applies (bounded). Files are
written atomically (a temporary file in the same directory, then
``os.replace``) in their own encoding (a BOM is kept), line endings and
file mode."""

from __future__ import annotations

import dataclasses
import difflib
import errno
import io
import os
import stat
import tokenize
from collections.abc import Sequence
from pathlib import Path

from bflint import engine
from bflint.atomic import (
    FileChangedError,
    FileState,
    write_atomic,  # noqa: F401  (re-exported for callers)
)
from bflint.edits import edit_nodes, quoted_like, to_json, unique_match  # noqa: F401  (re-exported)
from bflint.finding import Finding

MAX_ROUNDS = 10


# -- applying to text ---------------------------------------------------------

def _line_starts(text: str) -> list[int]:
    """Offsets of each line start, lines ending in \\n, \\r\\n or \\r (as LibCST)."""
    starts = [0]
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\r":
            if i + 1 < n and text[i + 1] == "\n":
                i += 1
            starts.append(i + 1)
        elif ch == "\n":
            starts.append(i + 1)
        i += 1
    return starts


def _offset(starts: list[int], text: str, row: int, col: int) -> int:
    if row < 1:
        return 0
    if row > len(starts):
        return len(text)
    return min(starts[row - 1] + col - 1, len(text))


def applicable(f: Finding, unsafe: bool) -> bool:
    """Is the fix applied (safe, or unsafe with ``unsafe``)? A notebook finding's edits are in its
    cell's coordinates (bflint.notebook_fix applies them to that cell's source)."""
    if not f.fix:
        return False
    kind = f.fix.get("applicability")
    return kind == "safe" or (unsafe and kind == "unsafe")


def newline_of(text: str) -> str:
    i = text.find("\n")
    if i > 0 and text[i - 1] == "\r":
        return "\r\n"
    if i < 0 and "\r" in text:
        return "\r"
    return "\n"


def apply_edits(text: str, findings: Sequence[Finding], unsafe: bool = False,
                skip: set | None = None) -> tuple[str, list[Finding]]:
    """Apply the non-overlapping applicable fixes (in source order, a fix
    is all or nothing); returns (new text, the findings whose fix was applied)."""
    starts = _line_starts(text)
    nl = newline_of(text)
    taken: list[tuple[int, int]] = []
    chosen: list[tuple[int, int, str]] = []
    applied: list[Finding] = []
    for f in sorted(findings, key=Finding.sort_key):
        if not applicable(f, unsafe) or (skip and fix_key(f) in skip):
            continue
        spans = []
        assert f.fix is not None  # applicable() checked it
        for e in f.fix["edits"]:
            a = _offset(starts, text, e["location"]["row"], e["location"]["column"])
            b = _offset(starts, text, e["end_location"]["row"], e["end_location"]["column"])
            if b < a:
                break
            content = e["content"] if nl == "\n" else e["content"].replace("\n", nl)
            spans.append((a, b, content))
        else:
            if any(_overlap(s, t) for s in spans for t in taken) or _self_overlap(spans):
                continue
            taken.extend((a, b) for a, b, _ in spans)
            chosen.extend(spans)
            applied.append(f)
    for a, b, content in sorted(chosen, key=lambda s: (s[0], s[1]), reverse=True):
        text = text[:a] + content + text[b:]
    return text, applied


def _overlap(s, t) -> bool:
    a, b = s[0], s[1]
    c, d = t
    if a == b and c == d:  # two insertions at one point: ambiguous order
        return a == c
    return a < d and c < b or (a == b and c < a < d) or (c == d and a < c < b)


def _self_overlap(spans) -> bool:
    spans = sorted((a, b) for a, b, _ in spans)
    return any(spans[i][1] > spans[i + 1][0] for i in range(len(spans) - 1))


def fix_key(f: Finding) -> tuple:
    return (f.code, f.message, tuple((e["content"], e["location"]["row"], e["location"]["column"])
                                     for e in (f.fix or {}).get("edits", ())))


def _parses(text: str) -> bool:
    import libcst as cst

    try:
        cst.parse_module(text)
    except Exception:
        return False
    return True


@dataclasses.dataclass
class FixResult:
    text: str                 # the fixed source
    fixed: list[Finding]      # findings whose fix was applied (all rounds)
    remaining: list[Finding]  # findings of the fixed source


def fix_text(text: str, filename: str, enabled: frozenset[str], *, unsafe: bool = False,
             prefilter: bool = True, project=None) -> FixResult:
    """Fix decoded source until no fix applies (at most MAX_ROUNDS rounds).
    ``project``: a ProjectIndex: each round is checked with the project's modules
    (issue 12), as the run that reported the findings was."""
    findings = engine_check(text, filename, enabled, prefilter, project)
    fixed: list[Finding] = []
    skip: set = set()
    for _ in range(MAX_ROUNDS):
        new, applied = apply_edits(text, findings, unsafe, skip)
        if not applied:
            break
        if not _parses(new):
            # apply them one by one, dropping those that break the code
            new, applied = text, []
            for f in sorted(findings, key=Finding.sort_key):
                if not applicable(f, unsafe) or fix_key(f) in skip:
                    continue
                skip.add(fix_key(f))
                one, done = apply_edits(text, [f], unsafe)
                if done and _parses(one):
                    new, applied = one, done
                    break
            if not applied:
                break
        text = new
        fixed.extend(applied)
        findings = engine_check(text, filename, enabled, prefilter, project)
    return FixResult(text, fixed, findings)


# -- files ---------------------------------------------------------------------

class FixError(Exception):
    pass


def read_source(path: Path) -> tuple[str, str]:
    """(decoded text, encoding) of a Python file."""
    text, encoding, _ = _read(path)
    return text, encoding


def _read(path: Path):
    """(decoded text, encoding, FileState) of a Python file: the state is
    compared again just before the replace (issue 16 item 7)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > engine.MAX_SOURCE_BYTES:
            raise FixError("not a regular file within the size cap")
        chunks = []
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
        data = b"".join(chunks)
    finally:
        os.close(fd)
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        raise FixError(str(exc)) from None
    try:
        text = engine.decode(data)
    except engine.DecodeError as exc:
        raise FixError(str(exc)) from None
    return text, encoding, (FileState.of(st, data), st)


def not_writable(path: Path, st: os.stat_result) -> str | None:
    """Why ``--fix`` must not replace this file, or None (issue 16 item 6):
    a file with several hard links (the replace would split them: the other
    names keep the old content), a read-only file (root bypasses the mode
    bits: 0444 still means "do not rewrite"), a file or directory the user
    cannot write, a read-only file system."""
    if st.st_nlink > 1:
        return (f"the file has {st.st_nlink} hard links and fixing would replace only this name "
                "(the other links would keep the old content); fix it by hand")
    parent = os.path.dirname(os.path.realpath(path)) or "."
    if _read_only_fs(parent):
        return "Read-only file system"
    if not stat.S_IMODE(st.st_mode) & 0o222 or not os.access(path, os.W_OK):
        return f"Permission denied (the file is read-only: mode {stat.S_IMODE(st.st_mode):04o})"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"Permission denied (cannot create a file in the directory {parent})"
    return None


def _read_only_fs(directory: str) -> bool:
    try:
        return bool(os.statvfs(directory).f_flag & getattr(os, "ST_RDONLY", 1))
    except (OSError, AttributeError):
        return False


def unified_diff(old: str, new: str, name: str) -> str:
    diff = difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                fromfile=f"a/{name}", tofile=f"b/{name}")
    out = []
    for line in diff:
        if not line.endswith(("\n", "\r")):
            line += "\n\\ No newline at end of file\n"
        out.append(line)
    return "".join(out)


@dataclasses.dataclass
class FileFix:
    name: str
    original: str
    result: FixResult
    encoding: str
    error: str | None = None

    @property
    def changed(self) -> bool:
        return self.result.text != self.original


def fix_file(path: Path, enabled: frozenset[str], *, display: str | None = None,
             unsafe: bool = False, write: bool = True, prefilter: bool = True,
             project=None) -> FileFix | None:
    """Fix one ``.py`` file; None when it cannot be read as source. When the
    fixed file cannot or must not be written, ``error`` says why, the file is
    untouched and ``result`` holds the original's findings (nothing fixed)."""
    name = display or str(path)
    try:
        text, encoding, (state, st) = _read(path)
    except (OSError, FixError):
        return None
    result = fix_text(text, name, enabled, unsafe=unsafe, prefilter=prefilter, project=project)
    ff = FileFix(name, text, result, encoding)
    if write and ff.changed:
        error = None
        try:
            data = result.text.encode(encoding)
        except (UnicodeEncodeError, LookupError) as exc:
            error = f"not written: the fix cannot be encoded as {encoding} ({exc})"
        else:
            error = not_writable(path, st)
            if error is not None:
                error = f"not fixed: {error}"
            else:
                try:
                    write_atomic(path, data, expect=state)
                except FileChangedError:
                    error = ("not fixed: the file changed while bflint was fixing it (saved by an "
                             "editor?); nothing was written, run `bflint --fix` again")
                except OSError as exc:
                    error = f"not fixed: cannot write the file: {_os_reason(exc)}"
        if error is not None:
            ff.error = error
            ff.result = FixResult(text, [], engine_check(text, name, enabled, prefilter, project))
    return ff


def _os_reason(exc: OSError) -> str:
    reason = exc.strerror or type(exc).__name__
    if exc.errno == errno.EFBIG:
        reason += " (the file-size limit, ulimit -f)"
    return f"{reason} (os error {exc.errno})" if exc.errno else reason


def engine_check(text: str, name: str, enabled: frozenset[str], prefilter: bool,
                 project=None) -> list[Finding]:
    if project is None:
        return engine.check_source(text, name, enabled, prefilter=prefilter)
    return engine.check_source(text, name, enabled, prefilter=prefilter, project=project)
