"""One parametrized harness over tests/fixtures/: every fixture produces
exactly the findings written inline in it, nothing missing, nothing extra."""

from __future__ import annotations

from pathlib import Path

import pytest

from bflint import engine, runner
from bflint.registry import all_rules
from tests.conftest import FIXTURES
from tests.expectations import expected, selection

RULE_DIRS = sorted(p for p in FIXTURES.iterdir() if p.is_dir() and p.name.startswith("BF"))
CASES = sorted(f for d in RULE_DIRS for f in d.iterdir() if f.suffix in (".py", ".ipynb"))
CLEAN = sorted(f for f in (FIXTURES / "clean").iterdir() if f.suffix in (".py", ".ipynb"))


def _found(path: Path, select: list[str], prefilter: bool = True) -> set[tuple]:
    enabled = engine._enabled(select)
    findings = runner.check_path(path, enabled, prefilter=prefilter)
    if path.suffix == ".ipynb":
        return {(f.cell, f.row, f.code) for f in findings}
    return {(f.row, f.code) for f in findings}


@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture(path: Path) -> None:
    select = selection(path, path.parent.name)
    want = expected(path)
    got = _found(path, select)
    assert got == want, f"missing: {sorted(want - got)}; unexpected: {sorted(got - want)}"


@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_prefilter_never_hides_a_finding(path: Path) -> None:
    select = selection(path, path.parent.name)
    assert _found(path, select, prefilter=True) == _found(path, select, prefilter=False)


@pytest.mark.parametrize("path", CLEAN, ids=lambda p: p.name)
def test_clean_workflows_have_no_findings(path: Path) -> None:
    enabled = engine._enabled(None)
    findings = runner.check_path(path, enabled)
    assert findings == [], "\n".join(f"{f.row}: {f.code} {f.message}" for f in findings)


def test_enough_clean_workflows() -> None:
    assert len(CLEAN) >= 3


def test_every_rule_has_fixtures() -> None:
    exempt = {"BF001", "BF999"}  # not expressible as a fixture file: see test_cli.py
    for rule in all_rules():
        if rule.CODE in exempt:
            continue
        folder = FIXTURES / rule.CODE
        assert folder.is_dir(), f"{rule.CODE} has no fixture folder"
        files = [f for f in folder.iterdir() if f.suffix in (".py", ".ipynb")]
        bad = [f for f in files if any(e[-1] == rule.CODE for e in expected(f))]
        ok = [f for f in files if not any(e[-1] == rule.CODE for e in expected(f))]
        assert len(bad) >= 3, f"{rule.CODE}: need >= 3 bad fixtures, have {len(bad)}"
        assert len(ok) >= 3, f"{rule.CODE}: need >= 3 ok fixtures, have {len(ok)}"
