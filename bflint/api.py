"""The public Python API: one text, one file, or files and directories to findings.

    from bflint import lint_source, lint_file, lint_paths
    findings = lint_source(code, filename="train.py")

Layering (imports one way down): cli -> api -> runner -> notebook -> engine -> source.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from bflint import engine
from bflint.finding import Finding
from bflint.runner import RunOptions, run


def lint_source(source: str | bytes, filename: str = "<stdin>", *,
                select: Iterable[str] | None = None, ignore: Iterable[str] = (),
                extend_select: Iterable[str] = (), prefilter: bool = True) -> list[Finding]:
    """Lint one source text (a script); returns the findings sorted by position."""
    return engine.lint_source(source, filename, select=select, ignore=ignore,
                              extend_select=extend_select, prefilter=prefilter)


def lint_file(path: str | os.PathLike, *, select: Iterable[str] | None = None,
              ignore: Iterable[str] = (), extend_select: Iterable[str] = (),
              prefilter: bool = True) -> list[Finding]:
    """Lint one file (a script or a notebook, by its suffix), with no configuration and no cache."""
    return lint_paths([path], select=select, ignore=ignore, extend_select=extend_select,
                      prefilter=prefilter)


def lint_paths(paths: Sequence[str | os.PathLike] = (".",), *,
               select: Iterable[str] | None = None, ignore: Iterable[str] = (),
               extend_select: Iterable[str] = (), exclude: Iterable[str] = (),
               prefilter: bool = True) -> list[Finding]:
    """Lint files and directories (recursing into directories)."""
    enabled = engine._enabled(select, ignore, extend_select)
    findings, _ = run([str(Path(p)) for p in paths],
                      RunOptions(enabled=enabled, exclude=list(exclude), prefilter=prefilter,
                                 cache=False))
    return findings
