"""scripts/new_rule.py scaffolds a rule that the registry's checks accept,
and refuses a code that exists or was used."""

from __future__ import annotations

import ast
import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

from bflint.rule import Rule

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "new_rule.py"


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(ROOT / "rules", root / "rules")
    (root / "bflint").mkdir()
    shutil.copy(ROOT / "bflint" / "groups.py", root / "bflint" / "groups.py")
    (root / "tests" / "fixtures").mkdir(parents=True)
    return root


def _run(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args, "--root", str(root)],
                          capture_output=True, text=True)


def test_scaffold_writes_rule_fixtures_and_group(tmp_path):
    root = _copy(tmp_path)
    res = _run(root, "BF699", "image-grid-without-titles", "--group", "workflow", "--severity", "W")
    assert res.returncode == 0, res.stderr
    rule_file = root / "rules" / "bf699_image_grid_without_titles.py"
    assert (root / "tests" / "fixtures" / "BF699" / "bad_example.py").is_file()
    assert (root / "tests" / "fixtures" / "BF699" / "ok_example.py").is_file()

    spec = importlib.util.spec_from_file_location("scaffolded_bf699", rule_file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # our own generated file, not user code
    rule = module.ImageGridWithoutTitles
    assert issubclass(rule, Rule)
    assert (rule.CODE, rule.NAME, rule.SEVERITY) == ("BF699", "image-grid-without-titles", "W")
    for section in ("## What it does", "## Why is this bad?", "## Example", "## Use instead"):
        assert section in rule.doc()

    groups: dict = {}
    exec(compile(ast.parse((root / "bflint" / "groups.py").read_text()), "groups.py", "exec"), groups)
    assert "BF699" in groups["GROUPS"]["workflow"]
    assert "BF699" not in groups["GROUPS"]["correctness"]
    # the other codes are all still there
    ours: dict = {}
    exec((ROOT / "bflint" / "groups.py").read_text(), ours)
    for name, codes in ours["GROUPS"].items():
        assert codes <= groups["GROUPS"][name]


def test_scaffold_refuses_a_used_code_and_writes_nothing(tmp_path):
    root = _copy(tmp_path)
    before = (root / "bflint" / "groups.py").read_text()
    res = _run(root, "BF302", "something-else", "--group", "correctness", "--severity", "E")
    assert res.returncode == 1
    assert "never reused" in res.stderr
    assert (root / "bflint" / "groups.py").read_text() == before
    assert not (root / "tests" / "fixtures" / "BF302").exists()
    assert not list((root / "rules").glob("bf302_something*"))


def test_scaffold_rejects_bad_names(tmp_path):
    root = _copy(tmp_path)
    assert _run(root, "BF7", "x", "--group", "workflow", "--severity", "W").returncode == 2
    assert _run(root, "BF698", "Not_Kebab", "--group", "workflow", "--severity", "W").returncode == 2
