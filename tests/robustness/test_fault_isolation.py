"""An exception inside a rule (or the engine) while checking one file is one
BF999 finding for that file; the run goes on and exits with status 2.
Tested with a deliberately broken rule registered for the test: in-process
(``lint_paths``, in-process and in the process pool) and through the CLI in
a subprocess (the rule is registered by a ``sitecustomize`` module)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bflint import api, engine, registry, runner
from tests.robustness.conftest import POOL_PAD, SENTINEL, SENTINEL_ROW, run_bflint

BROKEN_RULE = '''
from bflint.rule import Rule


class BrokenRule(Rule):
    """## What it does
    Raises on files that contain BOOM (a test double).

    ## Why is this bad?
    It is not.

    ## Example
    ```python
    BOOM
    ```

    ## Use instead
    ```python
    pass
    ```
    """

    CODE = "BF998"
    NAME = "broken-test-rule"
    SEVERITY = "E"
    MESSAGE = "never"

    def check(self, model):
        text = "\\n".join(model.lines) if isinstance(model.lines, list) else str(model.lines)
        if "BOOM_RECURSE" in text:
            def down(n):
                return down(n + 1)
            down(0)
        if "BOOM_SEGV" in text:  # a crash of the interpreter (as a native parser bug would)
            import ctypes
            ctypes.string_at(0)
        if "BOOM_REPORT" in text:
            yield self.report(object(), "a malformed report: not a node")
        if "BOOM" in text:
            raise ZeroDivisionError("deliberately broken rule")
        return
        yield
'''

SITECUSTOMIZE = '''
import bflint.registry as _registry

_ns = {}
exec(compile(%r, "broken_rule.py", "exec"), _ns)
_real = _registry.all_rules
_rules = _real() + (_ns["BrokenRule"],)
_registry.all_rules = lambda: _rules

import sys as _sys
import bflint.runner as _runner

_real_pool = _runner._run_pool


def _spy_pool(*args, **kwargs):
    _sys.stderr.write("[test] process pool used\\n")
    return _real_pool(*args, **kwargs)


_runner._run_pool = _spy_pool
''' % BROKEN_RULE


def _broken_rule_class():
    ns: dict = {}
    exec(compile(BROKEN_RULE, "broken_rule.py", "exec"), ns)
    return ns["BrokenRule"]


@pytest.fixture
def broken_registry(monkeypatch):
    rules = registry.all_rules() + (_broken_rule_class(),)
    monkeypatch.setattr(registry, "all_rules", lambda: rules)
    # the patched registry reaches the workers only through fork: allow it even
    # if an earlier test left native (JAX) threads in this process
    monkeypatch.setattr(runner, "_native_threads", lambda: 1)
    return rules


def _project(tmp_path: Path, n_good: int = 6) -> Path:
    for i in range(n_good):
        (tmp_path / f"good{i}.py").write_text(SENTINEL + POOL_PAD)
    (tmp_path / "boom.py").write_text(SENTINEL + "x = 'BOOM'\n" + POOL_PAD)
    return tmp_path


@pytest.mark.parametrize("jobs", [1, None], ids=["jobs1", "default-jobs"])
def test_broken_rule_is_one_bf999_and_the_run_goes_on(broken_registry, tmp_path, jobs, monkeypatch) -> None:
    _project(tmp_path)
    enabled = engine._enabled(None)
    assert "BF998" in enabled
    pools = []
    real_pool = runner._run_pool
    monkeypatch.setattr(runner, "_run_pool", lambda *a, **k: pools.append(1) or real_pool(*a, **k))
    monkeypatch.setattr(runner, "default_jobs", lambda: 2)  # "all cores" even on a 1-core machine
    findings, n = runner.run([str(tmp_path)], runner.RunOptions(enabled=enabled, jobs=jobs, cache=False))
    assert bool(pools) == (jobs is None)  # the default run really used the process pool
    assert n == 7
    boom = [f for f in findings if f.filename.endswith("boom.py")]
    assert [f.code for f in boom] == ["BF999"]
    assert "ZeroDivisionError" in boom[0].message and "report" in boom[0].message
    assert "Traceback" not in boom[0].message
    for i in range(6):
        assert any(f.filename.endswith(f"good{i}.py") and f.code == "BF302" and f.row == SENTINEL_ROW
                   for f in findings), i


def test_lint_paths_and_lint_source(broken_registry, tmp_path) -> None:
    _project(tmp_path)
    findings = api.lint_paths([tmp_path])
    assert [f.code for f in findings if f.filename.endswith("boom.py")] == ["BF999"]
    assert sum(f.code == "BF302" for f in findings) == 6
    assert [f.code for f in engine.lint_source(SENTINEL + "BOOM\n")] == ["BF999"]


def test_show_traceback_adds_the_traceback(broken_registry) -> None:
    enabled = engine._enabled(None)
    (f,) = engine.check_source(SENTINEL + "BOOM\n", "x.py", enabled, show_traceback=True)
    assert f.code == "BF999"
    assert "Traceback (most recent call last)" in f.message and "deliberately broken rule" in f.message
    assert "broken_rule.py" in f.message


def test_malformed_report_and_runaway_recursion_are_contained(broken_registry) -> None:
    enabled = engine._enabled(None)
    for marker in ("BOOM_REPORT", "BOOM_RECURSE"):
        found = engine.check_source(SENTINEL + f"# {marker}\n", "x.py", enabled)
        assert [f.code for f in found] == ["BF999"], (marker, found)
    assert "RecursionError" in found[0].message


def test_a_broken_rule_does_not_break_notebooks(broken_registry) -> None:
    from bflint import notebook

    nb = json.dumps({"cells": [{"cell_type": "code", "metadata": {}, "source": SENTINEL + "BOOM\n"}],
                     "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode()
    found = notebook.check_notebook(nb, "x.ipynb", engine._enabled(None))
    assert [f.code for f in found] == ["BF999"]


def _cli_env(tmp_path: Path) -> dict:
    site = tmp_path / "_site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
    return {"PYTHONPATH": str(site)}


@pytest.mark.parametrize("jobs", [["--jobs", "1"], []], ids=["jobs1", "default-jobs"])
def test_cli_exit_2_and_other_files_reported(tmp_path, jobs) -> None:
    proj = tmp_path / "proj"
    proj.mkdir()
    _project(proj)
    env = _cli_env(tmp_path)
    res = run_bflint(*jobs, "proj", cwd=tmp_path, env=env, timeout=30)
    assert res.rc == 2, (res.rc, res.out, res.err)
    assert ("process pool used" in res.err) == (not jobs) or os.cpu_count() == 1
    assert "Traceback" not in res.out + res.err
    assert "proj/boom.py:1:1: BF999 internal error while checking this file: ZeroDivisionError" in res.out
    for i in range(6):
        assert f"proj/good{i}.py:{SENTINEL_ROW}:" in res.out
    res = run_bflint(*jobs, "--show-traceback", "proj", cwd=tmp_path, env=env, timeout=30)
    assert res.rc == 2
    assert "Traceback (most recent call last)" in res.out and "deliberately broken rule" in res.out


def test_cli_stdin_with_a_broken_rule(tmp_path) -> None:
    env = _cli_env(tmp_path)
    res = run_bflint("-", input=(SENTINEL + "BOOM\n").encode(), cwd=tmp_path, env=env, timeout=20)
    assert res.rc == 2 and "-:1:1: BF999" in res.out and "Traceback" not in res.err


def test_exit_zero_does_not_hide_internal_errors(tmp_path) -> None:
    proj = tmp_path / "proj"
    proj.mkdir()
    _project(proj, n_good=1)
    res = run_bflint("--exit-zero", "--jobs", "1", "proj", cwd=tmp_path, env=_cli_env(tmp_path), timeout=20)
    assert res.rc == 2


def test_a_crashing_worker_is_one_bf999_in_the_pool(tmp_path) -> None:
    """A file that kills its worker process (SIGSEGV) in the default,
    parallel run: that file gets BF999, every other file is still reported."""
    proj = tmp_path / "proj"
    proj.mkdir()
    _project(proj, n_good=8)
    (proj / "boom.py").write_text(SENTINEL + "x = 'BOOM_SEGV'\n" + POOL_PAD)
    res = run_bflint("--jobs", "2", "proj", cwd=tmp_path, env=_cli_env(tmp_path), timeout=60)
    assert "process pool used" in res.err
    assert res.rc == 2, (res.rc, res.out, res.err)
    assert "Traceback" not in res.out
    assert "proj/boom.py:1:1: BF999" in res.out
    for i in range(8):
        assert f"proj/good{i}.py:{SENTINEL_ROW}:" in res.out
