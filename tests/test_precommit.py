"""The pre-commit hook, for real: ``pre-commit try-repo <this repository>
bflint --files ...`` in a temporary git repository. try-repo installs the
hook from (a clone of) the HEAD commit of the repository of this test run
into its own virtualenv, so this needs network access to the package index
(as CI has). Skipped only when pre-commit or git is missing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

BAD = ("import bayesflow as bf\n"
       "workflow = bf.BasicWorkflow(inference_network=None)\n"
       "history = workflow.fit_offline(data=1, epochs=2)\n")


def _pre_commit() -> list[str] | None:
    exe = Path(sys.executable).with_name("pre-commit")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("pre-commit")
    return [found] if found else None


PRE_COMMIT = _pre_commit()
pytestmark = [
    pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed"),
    pytest.mark.skipif(PRE_COMMIT is None, reason="pre-commit is not installed"),
]


def test_hook_definition():
    import yaml

    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    (hook,) = hooks
    assert hook["id"] == "bflint" and hook["entry"] == "bflint"
    assert hook["language"] == "python"
    assert hook["types_or"] == ["python", "jupyter"]


def _git(cwd, *args):
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com")
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=env)


def test_try_repo(tmp_path):
    repo_root = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=ROOT, capture_output=True,
                               text=True)
    assert repo_root.returncode == 0, "the tests must run inside the bflint git repository"
    # try-repo on a clean clone of HEAD: what users get from the repository URL (a shared
    # working tree may hold other people's half-done, uncommitted changes)
    clone = tmp_path / "bflint-clone"
    _git(tmp_path, "clone", "-q", repo_root.stdout.strip(), str(clone))
    work = tmp_path / "user-project"
    work.mkdir()
    _git(work, "init", "-q")
    (work / "train.py").write_text(BAD)
    (work / "ok.py").write_text(BAD.replace("epochs=2)", "epochs=2, validation_data=3)"))
    (work / "plain.py").write_text("print('hello')\n")
    (work / "pyproject.toml").write_text('[tool.bflint]\nselect = ["BF302"]\n')
    _git(work, "add", ".")
    env = dict(os.environ, PRE_COMMIT_COLOR="never", NO_COLOR="1")
    env.pop("PRE_COMMIT_HOME", None)
    cmd = [*PRE_COMMIT, "try-repo", str(clone), "bflint", "--color", "never", "--files"]
    proc = subprocess.run([*cmd, "train.py", "ok.py", "plain.py"], cwd=work, capture_output=True,
                          text=True, env=env, timeout=900)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "train.py:3:11: BF302" in out
    assert "ok.py" not in out.split("Failed", 1)[-1]
    proc = subprocess.run([*cmd, "ok.py", "plain.py"], cwd=work, capture_output=True, text=True,
                          env=env, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Passed" in proc.stdout
