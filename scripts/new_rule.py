"""Scaffold a new rule (ruff's ``scripts/add_rule.py``): the rule file, its
fixture folder with one positive and one negative fixture, and its entry in
the rule groups.

    python scripts/new_rule.py BF605 image-grid-without-titles --group workflow --severity W

Then: write ``check()`` and the docstring's Example / Use instead, make the
fixtures real, pin the wording in ``tests/test_messages.py`` and run
``python scripts/gen_docs.py``. See CONTRIBUTING.md.

``--root DIR`` works on another checkout (the tests use a copy). The script
refuses a code that exists or was ever used (codes are never reused: the
rule catalog is append-only) and writes nothing in that case.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

RULE_TEMPLATE = '''import libcst as cst

from bflint.rule import Rule


class {class_name}(Rule):
    """## What it does
    TODO: one sentence, what the rule flags.

    ## Why is this bad?
    TODO: what goes silently wrong, with the guide's rule it enforces.

    ## Example
    ```python
    import bayesflow as bf
    # TODO: a complete snippet that fires the rule (tests/test_docstring_examples.py lints it)
    ```

    ## Use instead
    ```python
    import bayesflow as bf
    # TODO: the same snippet, fixed (must not fire)
    ```
    """

    CODE = "{code}"
    NAME = "{name}"
    SEVERITY = "{severity}"
    MESSAGE = "TODO: what is wrong, one short sentence, quoting the script's own names"
    FIX_TITLE = "TODO: what to do instead"

    def check(self, model):
        # Query the semantic model (bflint/semantic) and the analyses
        # (bflint/analyze); never import another rule.
        return ()
'''

BAD_FIXTURE = '''import bayesflow as bf

# TODO: the mistake, in the idiom of public BayesFlow code, marked on the reported line:
# workflow = bf.BasicWorkflow(...)  # expect: {code}
'''

OK_FIXTURE = '''import bayesflow as bf

# TODO: a look-alike that must stay silent (no expect comment: any {code} fails the test)
'''


def class_name(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("-"))


def used_codes(root: Path) -> set[str]:
    """Every code that exists (a rule file) or is named in the group table."""
    codes = {m.group(1).upper() for p in (root / "rules").glob("bf*.py")
             if (m := re.match(r"(bf\d{3})_", p.name))}
    groups = (root / "bflint" / "groups.py").read_text(encoding="utf-8")
    return codes | set(re.findall(r'"(BF\d{3})"', groups))


def add_to_group(groups_py: str, group: str, code: str) -> str:
    """Insert ``code`` into the frozenset literal of ``group``, keeping it sorted."""
    pattern = re.compile('("' + re.escape(group) + r'": frozenset\(\{)(.*?)(\}\))', re.S)
    m = pattern.search(groups_py)
    if m is None:
        raise SystemExit(f"bflint/groups.py has no group {group!r}")
    codes = sorted(set(re.findall(r'"(BF\d{3})"', m.group(2))) | {code})
    lines, line = [], "       "
    for c in codes:
        item = f' "{c}",'
        if len(line) + len(item) > 99:
            lines.append(line)
            line = "       "
        line += item
    lines.append(line)
    body = "\n" + "\n".join(lines) + "\n    "
    return groups_py[:m.start(2)] + body + groups_py[m.end(2):]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("code", help="BFxxx, never used before")
    ap.add_argument("name", help="kebab-case name, e.g. image-grid-without-titles")
    ap.add_argument("--group", required=True, choices=["correctness", "workflow"])
    ap.add_argument("--severity", required=True, choices=["E", "W", "I"])
    ap.add_argument("--root", type=Path, default=ROOT)
    args = ap.parse_args(argv)

    code, name, root = args.code.upper(), args.name, args.root
    if not re.fullmatch(r"BF\d{3}", code):
        ap.error(f"{args.code!r} is not a code like BF605")
    if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name):
        ap.error(f"{name!r} is not a kebab-case name")
    if code in used_codes(root):
        print(f"error: {code} exists or was used before; codes are never reused", file=sys.stderr)
        return 1

    rule_file = root / "rules" / f"{code.lower()}_{name.replace('-', '_')}.py"
    fixtures = root / "tests" / "fixtures" / code
    if rule_file.exists() or fixtures.exists():
        print(f"error: {rule_file} or {fixtures} exists", file=sys.stderr)
        return 1
    groups = root / "bflint" / "groups.py"
    new_groups = add_to_group(groups.read_text(encoding="utf-8"), args.group, code)

    rule_file.write_text(RULE_TEMPLATE.format(class_name=class_name(name), code=code, name=name,
                                              severity=args.severity), encoding="utf-8")
    fixtures.mkdir(parents=True)
    (fixtures / "bad_example.py").write_text(BAD_FIXTURE.format(code=code), encoding="utf-8")
    (fixtures / "ok_example.py").write_text(OK_FIXTURE.format(code=code), encoding="utf-8")
    groups.write_text(new_groups, encoding="utf-8")
    for p in (rule_file, fixtures / "bad_example.py", fixtures / "ok_example.py", groups):
        print(f"wrote {p.relative_to(root)}")
    print("next: write check() and the docstring, make the fixtures real, pin the wording in "
          "tests/test_messages.py, run `python scripts/gen_docs.py` (see CONTRIBUTING.md)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
