"""Which files to check."""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path
from typing import Iterable

SKIP_DIRS = frozenset({"__pycache__", "build", "dist", "node_modules", "site-packages",
                       "venv", "env", ".venv", ".env", ".bflint_cache"})
SUFFIXES = (".py", ".ipynb")


def _excluded(path: Path, patterns: list[str]) -> bool:
    if not patterns:
        return False
    text = path.as_posix()
    parts = path.parts
    for pat in patterns:
        pat = pat.rstrip("/")
        if fnmatch.fnmatch(text, pat) or fnmatch.fnmatch(path.name, pat):
            return True
        if fnmatch.fnmatch(text, "*/" + pat) or any(fnmatch.fnmatch(p, pat) for p in parts):
            return True
    return False


def _special(path: Path) -> bool:
    """A FIFO, socket or device found in a directory walk: reading it could
    block forever (a FIFO without a writer), so only explicit paths are read.
    Broken links stay in (they are reported as unreadable)."""
    import stat

    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode)


def _is_venv(path: Path) -> bool:
    return (path / "pyvenv.cfg").is_file()


def discover(paths: Iterable[Path], exclude: list[str] | None = None,
             suffixes: tuple[str, ...] = SUFFIXES) -> tuple[list[Path], list[Path]]:
    """Files to check in a deterministic order, and the paths that do not
    exist. Explicit files are always checked; directories are searched for
    ``*.py`` (and notebooks), skipping hidden directories, virtual
    environments and build output. Symlinked directories are not followed
    (no loops)."""
    exclude = list(exclude or [])
    files: list[Path] = []
    missing: list[Path] = []
    seen: set[str] = set()

    def add(p: Path) -> None:
        key = os.path.normpath(str(p))
        if key not in seen:
            seen.add(key)
            files.append(p)

    for root in paths:
        if root.is_dir():
            for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
                here = Path(dirpath)
                keep = []
                for d in sorted(dirnames):
                    sub = here / d
                    if d.startswith(".") or d in SKIP_DIRS or d.endswith(".egg-info"):
                        continue
                    if sub.is_symlink() or _is_venv(sub) or _excluded(sub, exclude):
                        continue
                    keep.append(d)
                dirnames[:] = keep
                for name in sorted(filenames):
                    if name.endswith(suffixes):
                        p = here / name
                        if not _excluded(p, exclude) and not _special(p):
                            add(p)
        elif root.exists() or root.is_symlink():
            add(root)
        else:
            missing.append(root)
    return files, missing
