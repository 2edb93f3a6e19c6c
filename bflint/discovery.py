"""Which files to check.

Paths named on the command line are always looked at (ruff's rule): an
explicitly named file is checked, an explicitly named directory is walked,
even when excluded or git-ignored; ``exclude`` and ``respect-gitignore``
apply to what the walk finds *below* them. ``force_exclude`` applies the
excludes to the named paths too (pre-commit passes every file by name).

The walk never follows a symlinked directory, skips hidden directories,
virtual environments and build output, never runs git (``.gitignore`` files
are read by :mod:`bflint.gitignore`), and never aborts on a path it cannot
look at: a path longer than PATH_MAX or an unreadable directory is handed
on as a "file", whose read then fails with one BF001 finding (issue 16
item 12), and the walk goes on.
"""

from __future__ import annotations

import errno
import fnmatch
import os
import re
import stat
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path

from bflint.gitignore import Matcher

SKIP_DIRS = frozenset({"__pycache__", "build", "dist", "node_modules", "site-packages",
                       "venv", "env", ".venv", ".env", ".bflint_cache"})
SUFFIXES = (".py", ".ipynb")
# a directory that cannot be listed for these reasons is reported, not skipped
_REPORTED = frozenset({errno.ENAMETOOLONG, errno.EACCES, errno.EPERM, errno.ELOOP})


@lru_cache(maxsize=16)
def _compile_excludes(patterns: tuple[str, ...]) -> Callable[[str, tuple[str, ...]], bool]:
    """One matcher for all the patterns (compiled once per run; fnmatch's own
    cache overflows with many patterns). A pattern matches the whole path,
    its end (``*/pat``) or any one component."""
    whole: list[str] = []
    part: list[str] = []
    for pat in patterns:
        pat = pat.rstrip("/")
        whole.append(fnmatch.translate(os.path.normcase(pat)))
        whole.append(fnmatch.translate(os.path.normcase("*/" + pat)))
        part.append(fnmatch.translate(os.path.normcase(pat)))
    whole_re = re.compile("|".join(whole)) if whole else None
    part_re = re.compile("|".join(part)) if part else None

    def match(text: str, parts: tuple[str, ...]) -> bool:
        if whole_re is not None and whole_re.match(os.path.normcase(text)):
            return True
        if part_re is not None:
            return any(part_re.match(os.path.normcase(p)) for p in parts)
        return False

    return match


def _excluded(path: Path, patterns: list[str]) -> bool:
    """``path`` or one of its components matches (a named path: its parent
    directories count, as ruff's force-exclude checks them)."""
    if not patterns:
        return False
    match = _compile_excludes(tuple(patterns))
    for p in (path, *path.parents):
        if p.name in ("", ".", ".."):
            if p == path:
                continue
            break
        if match(p.as_posix(), (p.name,)):
            return True
    return False


def _entry_excluded(path: Path, patterns: list[str]) -> bool:
    """A path the walk found: the path or its own name matches (the walk
    does not enter excluded directories; the named root is not judged)."""
    return _compile_excludes(tuple(patterns))(path.as_posix(), (path.name,))


def _special(path: Path) -> bool:
    """A FIFO, socket or device found in a directory walk: reading it could
    block forever (a FIFO without a writer), so only explicit paths are read.
    Broken links stay in (they are reported as unreadable)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode)


def _is_venv(path: str) -> bool:
    return os.path.isfile(os.path.join(path, "pyvenv.cfg"))


def _kind(p: Path) -> str:
    """'dir', 'other' (exists, or cannot be told: the reader reports it) or
    'missing'."""
    try:
        st = os.stat(p)
    except (FileNotFoundError, NotADirectoryError):
        return "other" if os.path.lexists(p) else "missing"
    except (OSError, ValueError):  # e.g. ENAMETOOLONG, ELOOP, NUL byte
        return "other"
    return "dir" if stat.S_ISDIR(st.st_mode) else "other"


def discover(paths: Iterable[Path], exclude: list[str] | None = None,
             suffixes: tuple[str, ...] = SUFFIXES, *, respect_gitignore: bool = False,
             force_exclude: bool = False) -> tuple[list[Path], list[Path]]:
    """Files to check in a deterministic order, and the paths that do not
    exist. Explicit files are always checked (unless ``force_exclude`` and
    excluded); directories are searched for ``*.py`` (and notebooks),
    skipping hidden directories, virtual environments, build output,
    excluded and (``respect_gitignore``) git-ignored paths. Symlinked
    directories are not followed (no loops)."""
    exclude = list(exclude or [])
    files: list[Path] = []
    missing: list[Path] = []
    seen: set[str] = set()
    matcher = None
    if respect_gitignore:
        matcher = Matcher()

    def add(p: Path) -> None:
        key = os.path.normpath(str(p))
        if key not in seen:
            seen.add(key)
            files.append(p)

    for root in paths:
        kind = _kind(root)
        if kind == "missing":
            missing.append(root)
            continue
        if force_exclude and exclude and _excluded(root, exclude):
            continue
        if kind != "dir":
            add(root)
            continue
        _walk(root, exclude, suffixes, matcher, add)
    return files, missing


def _walk(root: Path, exclude: list[str], suffixes: tuple[str, ...], matcher, add) -> None:
    """Depth first, entries sorted by name, a directory's files before its
    subdirectories (the order of ``os.walk``)."""
    top = str(root)
    stack = [(top, os.path.abspath(top))]
    while stack:
        here, abs_here = stack.pop()
        try:
            with os.scandir(here) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            if exc.errno in _REPORTED:  # the read reports it (BF001); the walk goes on
                add(Path(here))
            continue
        subdirs = []
        for e in entries:
            name = e.name
            try:
                is_dir = e.is_dir()  # follows a link: a linked directory is skipped below
                is_link = e.is_symlink()
            except OSError:
                is_dir, is_link = False, False
            if is_dir:
                if is_link or name.startswith(".") or name in SKIP_DIRS or name.endswith(".egg-info"):
                    continue
                sub = os.path.join(here, name)
                abs_sub = os.path.join(abs_here, name)
                if _is_venv(sub) or (exclude and _entry_excluded(Path(sub), exclude)):
                    continue
                if matcher is not None and matcher.ignored(abs_sub, True):
                    continue
                subdirs.append((sub, abs_sub))
            elif name.endswith(suffixes):
                p = Path(here, name)
                if exclude and _entry_excluded(p, exclude):
                    continue
                if matcher is not None and matcher.ignored(os.path.join(abs_here, name), False):
                    continue
                if not _special(p):
                    add(p)
        stack.extend(reversed(subdirs))
