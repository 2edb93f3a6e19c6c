"""The rule catalog's invariants."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from bflint.registry import all_rules, rule_modules
from tests.conftest import ROOT

RULES = all_rules()


def test_package_mapping_finds_every_rule_file() -> None:
    # rules/ is installed as bflint.rules: a broken mapping must fail loudly
    files = sorted(p.stem for p in (ROOT / "rules").glob("bf*.py"))
    assert files, "no rule files in rules/"
    assert rule_modules() == files
    assert len(RULES) == len(files)


def test_rules_come_from_the_rules_package() -> None:
    import bflint.rules

    assert Path(bflint.rules.__file__).resolve().parent == (ROOT / "rules").resolve()


def test_codes_unique() -> None:
    codes = [r.CODE for r in RULES]
    assert len(codes) == len(set(codes))


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.CODE)
def test_rule_shape(rule) -> None:
    assert re.fullmatch(r"BF\d{3}", rule.CODE)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.NAME), rule.NAME
    assert rule.SEVERITY in ("E", "W", "I")
    assert rule.MESSAGE
    module_file = Path(sys.modules[rule.__module__].__file__).stem
    assert module_file == f"{rule.CODE.lower()}_{rule.NAME.replace('-', '_')}"
    doc = rule.doc()
    sections = ["## What it does", "## Why is this bad?", "## Example", "## Use instead"]
    positions = [doc.find(s) for s in sections]
    assert all(p >= 0 for p in positions), f"{rule.CODE} docstring lacks a section"
    assert positions == sorted(positions)
    assert rule.summary()


def test_readme_and_rule_docs_are_generated() -> None:
    res = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_docs.py"), "--check"],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


def test_readme_rule_table_lists_every_rule() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text.split("<!-- rules:start -->")[1].split("<!-- rules:end -->")[0]
    listed = re.findall(r"^\| (BF\d{3}) \| ([a-z0-9-]+) \|", table, re.MULTILINE)
    assert listed == [(r.CODE, r.NAME) for r in RULES]
