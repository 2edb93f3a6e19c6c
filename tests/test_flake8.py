"""bflint as a flake8 plugin, run for real in a subprocess."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import FIXTURES

FIXTURE = FIXTURES / "flake8" / "train.py"


def _flake8() -> list[str] | None:
    try:
        import flake8  # noqa: F401
    except ImportError:
        return None
    return [sys.executable, "-m", "flake8"]


FLAKE8 = _flake8()
pytestmark = pytest.mark.skipif(FLAKE8 is None, reason="flake8 is not installed")


def run(*args, cwd=None, input=None):
    return subprocess.run([*FLAKE8, "--isolated", *args], capture_output=True, text=True, cwd=cwd,
                          input=input, timeout=300)


def test_plugin_is_registered():
    proc = run("--version")
    assert "bflint" in proc.stdout


def test_select_bf_reports_like_bflint(tmp_path):
    proc = run("--select", "BF302", str(FIXTURE))
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    # the message only, like bflint's concise format (the fix title is in `full` / JSON)
    assert lines == [f"{FIXTURE}:6:11: BF302 `fit_offline(...)` on `workflow` has no `validation_data=`"]


def test_same_findings_as_bflint(bflint_exe):
    proc = run("--select", "BF", "--format", "%(row)d:%(col)d:%(code)s", str(FIXTURE))
    via_flake8 = sorted(proc.stdout.split())
    out = subprocess.run([*bflint_exe, "--isolated", "--format", "json", "--no-cache", str(FIXTURE)],
                         capture_output=True, text=True)
    import json

    via_bflint = sorted(f"{d['location']['row']}:{d['location']['column']}:{d['code']}"
                        for d in json.loads(out.stdout))
    assert via_flake8 == via_bflint
    assert "6:11:BF302" in via_flake8


def test_flake8_ignore_and_stdin(tmp_path):
    assert run("--select", "BF", "--extend-ignore", "BF", str(FIXTURE)).returncode == 0
    src = FIXTURE.read_text()
    proc = run("--select", "BF302", "-", input=src)
    assert proc.returncode == 1 and "stdin:6:11: BF302" in proc.stdout


def test_unrelated_and_broken_files_are_quiet(tmp_path):
    (tmp_path / "plain.py").write_text("print('hello')\n")
    (tmp_path / "broken.py").write_text("import bayesflow\ndef f(:\n")
    proc = run("--select", "BF", str(tmp_path / "plain.py"))
    assert proc.returncode == 0 and proc.stdout == ""
    # flake8 reports the syntax error itself (E999); bflint adds its BF000
    proc = run("--select", "BF,E999", str(tmp_path / "broken.py"))
    assert "E999" in proc.stdout or "BF000" in proc.stdout
