"""Output formats."""

from __future__ import annotations

import json
from collections import Counter
from typing import Sequence

from bflint.finding import Finding


def location(f: Finding) -> str:
    if f.cell is not None:
        return f"{f.filename}:cell {f.cell}:{f.row}:{f.column}"
    return f"{f.filename}:{f.row}:{f.column}"


def format_concise(findings: Sequence[Finding], files_checked: int | None = None) -> str:
    lines = [f"{location(f)}: {f.code} {f.message}" for f in findings]
    lines.append(summary_line(findings, files_checked))
    return "\n".join(lines) + "\n"


def summary_line(findings: Sequence[Finding], files_checked: int | None = None) -> str:
    checked = f" ({files_checked} file{'s' if files_checked != 1 else ''} checked)" if files_checked is not None else ""
    if not findings:
        return f"All checks passed!{checked}"
    by_sev = Counter(f.severity for f in findings)
    files = len({f.filename for f in findings})
    parts = ", ".join(f"{by_sev[s]} {name}{'s' if by_sev[s] != 1 else ''}"
                      for s, name in (("E", "error"), ("W", "warning"), ("I", "info")) if by_sev[s])
    n = len(findings)
    return (f"Found {n} problem{'s' if n != 1 else ''} ({parts}) in {files} "
            f"file{'s' if files != 1 else ''}{checked}.")


def format_json(findings: Sequence[Finding]) -> str:
    return json.dumps([f.to_json() for f in findings], indent=2) + "\n"


def format_statistics(findings: Sequence[Finding]) -> str:
    counts = Counter((f.code, f.name) for f in findings)
    rows = [f"{n:>5}  {code}  {name}" for (code, name), n in sorted(counts.items(), key=lambda x: (-x[1], x[0]))]
    return "\n".join(rows) + ("\n" if rows else "")
