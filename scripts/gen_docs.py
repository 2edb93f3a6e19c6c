"""Regenerate the rule table in README.md and docs/rules.md from the rule
classes. ``--check`` exits 1 when either file is out of date."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- rules:start -->", "<!-- rules:end -->"


def rule_table() -> str:
    from bflint.registry import all_rules

    rows = ["| code | name | severity | what it flags |", "|---|---|---|---|"]
    for r in all_rules():
        summary = r.summary().replace("|", "\\|")
        rows.append(f"| {r.CODE} | {r.NAME} | {r.SEVERITY} | {summary} |")
    return "\n".join(rows)


def rules_doc() -> str:
    from bflint.registry import all_rules

    parts = ["# bflint rules", "", "Generated from the rule classes by `python scripts/gen_docs.py`; "
             "`bflint rule CODE` prints the same text.", ""]
    for r in all_rules():
        body = r.doc().replace("\n## ", "\n### ")
        if body.startswith("## "):
            body = "#" + body
        parts += [f"## {r.CODE} {r.NAME}", "", f"Severity: {r.SEVERITY}", "", body, ""]
    return "\n".join(parts)


def updated_readme(text: str) -> str:
    if START not in text or END not in text:
        raise SystemExit("README.md lacks the rule table markers")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{rule_table()}\n{END}{tail}"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    readme = ROOT / "README.md"
    docs = ROOT / "docs" / "rules.md"
    new_readme = updated_readme(readme.read_text(encoding="utf-8"))
    new_docs = rules_doc()
    if args.check:
        stale = [p.name for p, new in ((readme, new_readme), (docs, new_docs))
                 if not p.exists() or p.read_text(encoding="utf-8") != new]
        if stale:
            print(f"out of date: {', '.join(stale)}; run python scripts/gen_docs.py")
            return 1
        return 0
    readme.write_text(new_readme, encoding="utf-8")
    docs.parent.mkdir(exist_ok=True)
    docs.write_text(new_docs, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
