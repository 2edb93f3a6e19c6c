"""Set-up as the README writes it (issue 13 §6): scripts/find-python run for real on this machine
(a Python 3.12 reachable through pyenv though not active), and in a PATH / pyenv root where none
is reachable; the README commands and .ci/run; the runtime extra on an unsupported Python;
``bflint new`` without BayesFlow."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

FIND = ROOT / "scripts" / "find-python"
SH = shutil.which("sh") or "/bin/sh"


def _run(env, *args):
    return subprocess.run([SH, str(FIND), *args], env=env, capture_output=True, text=True, timeout=120)


def _version_of(python: str) -> tuple[int, int]:
    out = subprocess.run([python, "-c", "import sys; print(*sys.version_info[:2])"], capture_output=True,
                         text=True, timeout=60, check=True).stdout.split()
    return int(out[0]), int(out[1])


def _fake_bin(tmp_path: Path) -> Path:
    """A directory of shims that fail like pyenv's shims for an inactive version (exit 127)."""
    fake = tmp_path / "fake-bin"
    fake.mkdir()
    for name in ("python3.12", "python3.13", "python3", "python", "pyenv", "uv"):
        shim = fake / name
        shim.write_text(f'#!{SH}\necho "pyenv: {name}: command not found" >&2\nexit 127\n')
        shim.chmod(0o755)
    return fake


def _bare_env(tmp_path: Path, **extra) -> dict:
    env = {"PATH": str(_fake_bin(tmp_path)), "HOME": str(tmp_path / "home"), "LC_ALL": "C"}
    env.update(extra)
    return env


def test_find_python_here():
    """This machine's environment as the README's user has it: prints a usable 3.12 / 3.13."""
    proc = _run(dict(os.environ))
    assert proc.returncode == 0, proc.stderr
    path = proc.stdout.strip()
    assert len(proc.stdout.splitlines()) == 1 and Path(path).is_absolute(), proc.stdout
    assert (3, 12) <= _version_of(path) <= (3, 13)
    # the interpreter's own path, never a pyenv shim (which fails when the version is inactive)
    assert "/shims/" not in path


def _pyenv_root_with_312() -> Path | None:
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    hits = sorted(root.glob("versions/3.1[23]*/bin/python3.1[23]"))
    return root if hits else None


def test_find_python_through_inactive_pyenv(tmp_path):
    """python3.12 on PATH is a failing shim and pyenv itself is not on PATH: the pyenv versions
    directory is searched."""
    root = _pyenv_root_with_312()
    if root is None:
        pytest.skip("no pyenv 3.12 / 3.13 installed on this machine")
    proc = _run(_bare_env(tmp_path, PYENV_ROOT=str(root)))
    assert proc.returncode == 0, proc.stderr
    path = proc.stdout.strip()
    assert path.startswith(str(root / "versions")), path
    assert (3, 12) <= _version_of(path) <= (3, 13)


def test_find_python_none_reachable(tmp_path):
    """Failing shims only, an empty pyenv root: a clear message on stderr, nothing on stdout, exit 1."""
    empty = tmp_path / "empty-pyenv"
    empty.mkdir()
    proc = _run(_bare_env(tmp_path, PYENV_ROOT=str(empty)))
    assert proc.returncode == 1
    assert proc.stdout == ""
    err = proc.stderr
    assert "no Python 3.12 or 3.13 found" in err
    assert "python3.12: not runnable (exit 127)" in err
    assert "pyenv versions: (none)" in err
    assert "pyenv install 3.12" in err and "apt-get install python3.12" in err
    assert "BFLINT_PYTHON=" in err


def test_find_python_reports_too_old(tmp_path):
    """A python3 that is too old is named with its version."""
    old = None
    for cand in ("/usr/bin/python3", shutil.which("python3.11"), shutil.which("python3.10")):
        if cand and Path(cand).exists():
            try:
                if _version_of(cand) < (3, 12):
                    old = cand
                    break
            except (subprocess.SubprocessError, OSError):
                continue
    if old is None:
        pytest.skip("no Python < 3.12 on this machine")
    env = _bare_env(tmp_path, PYENV_ROOT=str(tmp_path))
    shim = Path(env["PATH"]) / "python3"
    shim.unlink()
    shim.symlink_to(old)
    proc = _run(env)
    assert proc.returncode == 1
    assert re.search(r"python3: Python 3\.1[01]\.\d+ \(BayesFlow 2\.1 needs 3\.12 or 3\.13\)", proc.stderr), proc.stderr


def test_bflint_python_override(tmp_path):
    env = _bare_env(tmp_path, PYENV_ROOT=str(tmp_path), BFLINT_PYTHON=sys.executable)
    proc = _run(env)
    assert proc.returncode == 0, proc.stderr
    assert _version_of(proc.stdout.strip()) == sys.version_info[:2]
    env["BFLINT_PYTHON"] = str(tmp_path / "nope")
    proc = _run(env)
    assert proc.returncode == 1 and "BFLINT_PYTHON=" in proc.stderr and "not runnable" in proc.stderr


# --------------------------------------------------------------------------- README and CI


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Set up", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.*?)\n```", section, flags=re.S)


def test_readme_commands_call_find_python_and_ci_runs_the_test_command():
    lint_cmd, test_cmd = _readme_commands()
    for cmd in (lint_cmd, test_cmd):
        assert cmd.startswith('PY=$(scripts/find-python) && "$PY" -m venv .venv && '), cmd
        assert "python3.12" not in cmd
    assert lint_cmd.endswith(".venv/bin/bflint examples/")
    assert test_cmd.endswith("BFLINT_REQUIRE_RUNTIME=1 .venv/bin/python -m pytest")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    commands = [line for line in ci.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    # the last command of .ci/run is the README's test command, verbatim (its status is the run's)
    assert commands[-1] == test_cmd
    assert "set -e" not in ci.replace("set -uo", "")
    assert os.access(FIND, os.X_OK)


def test_readme_examples_exit_1(bflint_exe):
    """The README says `bflint examples/` ends with exit code 1 (the mistakes example)."""
    proc = subprocess.run([*bflint_exe, "--no-cache", "examples/"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "common_mistakes.py" in proc.stdout
    assert "linear_regression_set.py" not in proc.stdout and "sir_time_series.py" not in proc.stdout


# --------------------------------------------------------------------------- runtime extra


def test_runtime_extra_has_no_python_marker_on_bayesflow():
    """On Python 3.11 pip must fail ("Requires-Python >=3.12"), not install a runtime without
    BayesFlow: the extra names bayesflow unconditionally, and BayesFlow 2.1 excludes 3.11."""
    try:
        import tomllib
    except ModuleNotFoundError:  # 3.10
        import tomli as tomllib
    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    reqs = [Requirement(r) for r in project["optional-dependencies"]["runtime"]]
    env311 = {"python_version": "3.11", "python_full_version": "3.11.7", "extra": "runtime"}
    active = {r.name for r in reqs if r.marker is None or r.marker.evaluate(env311)}
    assert {"bayesflow", "jax"} <= active
    (bf,) = [r for r in reqs if r.name == "bayesflow"]
    assert str(bf.specifier) == "==2.1.*"
    from importlib import metadata

    try:
        requires_python = metadata.metadata("bayesflow")["Requires-Python"]
    except metadata.PackageNotFoundError:
        pytest.skip("bayesflow not installed: its Requires-Python cannot be read")
    from packaging.specifiers import SpecifierSet

    assert "3.11.7" not in SpecifierSet(requires_python)
    assert "3.12.1" in SpecifierSet(requires_python)


# --------------------------------------------------------------------------- bflint new


def _new(tmp_path, python_args):
    return subprocess.run([*python_args, "new", "demo", "--data", "vector", "--output-dir", str(tmp_path)],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)


def test_new_warns_when_bayesflow_is_not_importable(tmp_path):
    """`bflint new` run by a Python that cannot import bayesflow (site-packages off, only click
    and bflint on the path) writes the script and warns on stderr."""
    import click

    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "click").symlink_to(Path(click.__file__).parent)
    # the installed layout: bflint/ with the rules package inside (package-dir maps rules/ there)
    (lib / "bflint").mkdir()
    for child in (ROOT / "bflint").iterdir():
        (lib / "bflint" / child.name).symlink_to(child)
    (lib / "bflint" / "rules").symlink_to(ROOT / "rules")
    out = tmp_path / "out"
    out.mkdir()
    code = (f"import sys; sys.path[:0] = [{str(lib)!r}]; sys.argv[0] = 'bflint'; "
            "from bflint.cli import main; main()")
    proc = _new(out, [sys.executable, "-S", "-c", code])
    assert proc.returncode == 0, proc.stderr
    assert (out / "demo.py").exists()
    assert "warning: BayesFlow is not importable" in proc.stderr
    assert "Python 3.12 or 3.13" in proc.stderr


def test_new_does_not_warn_with_bayesflow(tmp_path, bflint_exe):
    import importlib.util

    if importlib.util.find_spec("bayesflow") is None:
        pytest.skip("bayesflow is not installed here")
    proc = _new(tmp_path, bflint_exe)
    assert proc.returncode == 0, proc.stderr
    assert "warning" not in proc.stderr
