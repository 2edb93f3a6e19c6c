"""Finding objects returned by the public API and printed by the CLI."""

from __future__ import annotations

import dataclasses
from typing import Any

SEVERITIES = {"E": "error", "W": "warning", "I": "info"}

DOCS_URL = "https://github.com/bflint/bflint/blob/main/docs/rules.md#{anchor}"


def rule_url(code: str, name: str) -> str:
    return DOCS_URL.format(anchor=f"{code.lower()}-{name}")


@dataclasses.dataclass(frozen=True)
class Finding:
    """One problem in one file. Rows and columns are 1-based; ``end_*`` is
    the end of the reported node (exclusive column). ``cell`` is the
    1-based notebook cell (rows are then relative to that cell)."""

    code: str
    name: str
    severity: str
    message: str
    filename: str
    row: int
    column: int
    end_row: int
    end_column: int
    fix: dict[str, Any] | None = None
    cell: int | None = None
    help: str | None = None  # what to do about it (ruff's fix title); None: the rule's help
    # issue 12: where the cause is when it is in another module of the project,
    # ``"row:column:path"`` (SARIF relatedLocations); None otherwise
    related: str | None = None

    @property
    def url(self) -> str:
        return rule_url(self.code, self.name)

    def sort_key(self) -> tuple:
        return (self.filename, self.cell or 0, self.row, self.column, self.code)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "code": self.code,
            "name": self.name,
            "severity": self.severity,
            "message": self.message,
            "filename": self.filename,
            "location": {"row": self.row, "column": self.column},
            "end_location": {"row": self.end_row, "column": self.end_column},
            "fix": self.fix,
            "help": self.help,
            "url": self.url,
        }
        if self.cell is not None:
            out["cell"] = self.cell
        if self.related is not None:
            out["related"] = self.related_location()
        return out

    def related_location(self) -> dict[str, Any] | None:
        """``{"filename", "row", "column"}`` of :attr:`related`, or None."""
        if not self.related:
            return None
        row, col, path = (self.related.split(":", 2) + ["", ""])[:3]
        try:
            return {"filename": path, "row": int(row), "column": int(col)}
        except ValueError:
            return None
