"""Rule groups `correctness` / `workflow` (issue 13 §2, catalog v4)."""
from __future__ import annotations

import json

from click.testing import CliRunner

from bflint.cli import main
from bflint.groups import GROUPS
from bflint.registry import all_rules
from bflint.selection import resolve

CODES = [r.CODE for r in all_rules()]


def test_every_rule_in_exactly_one_group():
    for code in CODES:
        assert sum(code in g for g in GROUPS.values()) == 1, code
    assert set().union(*GROUPS.values()) == set(CODES)


def test_catalog_v4_severities():
    sev = {r.CODE: r.SEVERITY for r in all_rules()}
    assert sev["BF301"] == sev["BF303"] == sev["BF401"] == "W"


def test_select_group_any_case():
    assert resolve(CODES, ["correctness"]) == GROUPS["correctness"]
    assert resolve(CODES, ["WORKFLOW"]) == GROUPS["workflow"]
    assert resolve(CODES, None, ignore=["workflow"]) == GROUPS["correctness"]
    assert resolve(CODES, ["workflow"], ignore=["BF4"]) == GROUPS["workflow"] - {"BF401", "BF404"}


def test_cli_select_group_and_rules_listing(tmp_path):
    src = tmp_path / "t.py"
    src.write_text("import bayesflow as bf\nwf = bf.BasicWorkflow(inference_variables=['theta'])\n"
                   "h = wf.fit_online(epochs=1)\n")
    runner = CliRunner()
    out = runner.invoke(main, ["--select", "workflow", "--format", "json", str(src)])
    codes = {f["code"] for f in json.loads(out.output)}
    assert codes and codes <= GROUPS["workflow"]
    out = runner.invoke(main, ["--select", "correctness", "--format", "json", str(src)])
    codes = {f["code"] for f in json.loads(out.output)}
    assert codes and codes <= GROUPS["correctness"]
    listing = json.loads(runner.invoke(main, ["rules", "--format", "json"]).output)
    assert {r["code"]: r["groups"] for r in listing}["BF301"] == ["workflow"]


def test_pyproject_select_group(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.bflint]\nselect = ["workflow"]\n')
    (tmp_path / "t.py").write_text("import bayesflow as bf\nwf = bf.BasicWorkflow(inference_variables=['theta'])\n"
                                   "h = wf.fit_online(epochs=1)\n")
    out = CliRunner().invoke(main, ["--format", "json", str(tmp_path / "t.py")])
    codes = {f["code"] for f in json.loads(out.output)}
    assert codes and codes <= GROUPS["workflow"]
