"""Checking a file never executes or imports it. Every fixture here would
create a marker file and hard-exit the interpreter (``os._exit(7)``) if it
were run or imported: a script, a package (``__init__.py`` and a module
the script imports), a ``conftest.py``, a ``setup.py``, a local module named
``bayesflow.py``, a notebook, and a script read from stdin. The CLI runs in
a subprocess whose working directory is the project, also as ``python -m
bflint`` (which puts the working directory on ``sys.path``, so any import of
``bayesflow``, ``conftest`` or the user's package would find these files);
the exit status must be the normal one (1: the scripts have findings) and no
marker may exist. (A ``sitecustomize.py`` on ``PYTHONPATH`` is run by the
interpreter before bflint starts: not bflint's to prevent.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.robustness.conftest import POOL_PAD, SENTINEL, SENTINEL_ROW, assert_clean_exit, run_bflint


def _payload(marker: Path, what: str) -> str:
    return (f"import os as _os\n"
            f"open({str(marker)!r}, 'a').write({what!r} + '\\n')\n"
            f"_os._exit(7)\n")


def _project(root: Path, marker: Path) -> Path:
    proj = root / "proj"
    pkg = proj / "mypkg"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("import bayesflow as bf\n" + _payload(marker, "package"))
    (pkg / "model.py").write_text("import bayesflow as bf\n" + _payload(marker, "module")
                                  + "workflow = bf.BasicWorkflow(simulator=None)\n" + POOL_PAD)
    for name in ("a", "b", "c"):
        (proj / f"more_{name}.py").write_text(SENTINEL + POOL_PAD)
    (proj / "conftest.py").write_text("import bayesflow\n" + _payload(marker, "conftest"))
    (proj / "setup.py").write_text("import bayesflow\n" + _payload(marker, "setup"))
    (proj / "bayesflow.py").write_text(_payload(marker, "a local bayesflow module"))
    (proj / "train.py").write_text(
        "import mypkg\nfrom mypkg.model import workflow\nimport conftest\n"
        + SENTINEL + _payload(marker, "script")
        + "if __name__ == '__main__':\n    exec(open(__file__).read())\n" + POOL_PAD)
    cell = "import bayesflow as bf\n" + _payload(marker, "notebook")
    (proj / "analysis.ipynb").write_text(json.dumps({
        "cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                   "source": ["%run train.py\n", "!touch " + str(marker) + "\n", cell]},
                  {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                   "source": SENTINEL}],
        "metadata": {"kernelspec": {"name": "python3", "language": "python"}},
        "nbformat": 4, "nbformat_minor": 5}))
    return proj


@pytest.mark.parametrize("as_module", [False, True], ids=["console-script", "python-m"])
@pytest.mark.parametrize("jobs", [["--jobs", "1"], []], ids=["jobs1", "default-jobs"])
def test_checking_never_imports_or_runs_the_files(tmp_path: Path, jobs: list[str], as_module: bool) -> None:
    marker = tmp_path / "MARKER"
    proj = _project(tmp_path, marker)
    res = run_bflint(*jobs, ".", cwd=proj, timeout=30, as_module=as_module)
    assert not marker.exists(), marker.read_text()
    assert_clean_exit(res, 1)
    assert f"train.py:{SENTINEL_ROW + 3}:" in res.out
    assert "analysis.ipynb:cell 2:" in res.out
    assert "Found" in res.out


def test_explicit_files_and_stdin_are_not_run(tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    proj = _project(tmp_path, marker)
    res = run_bflint("--jobs", "1", "train.py", "mypkg/__init__.py", "conftest.py", "setup.py",
                     "analysis.ipynb", cwd=proj, timeout=30)
    assert not marker.exists(), marker.read_text()
    assert_clean_exit(res, 1)
    res = run_bflint("-", input=(SENTINEL + _payload(marker, "stdin")).encode(), cwd=proj, timeout=20)
    assert not marker.exists(), marker.read_text()
    assert_clean_exit(res, 1)
    assert f"-:{SENTINEL_ROW}:" in res.out
    res = run_bflint("--diff", "--jobs", "1", ".", cwd=proj, timeout=30, as_module=True)
    assert not marker.exists(), marker.read_text()
    assert "Traceback" not in res.out + res.err


def test_in_process_api_does_not_run_files(tmp_path: Path) -> None:
    from bflint import api

    marker = tmp_path / "MARKER"
    proj = _project(tmp_path, marker)
    findings = api.lint_paths([proj])
    assert not marker.exists()
    assert any(f.filename.endswith("train.py") for f in findings)
