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


def _readme_rev() -> str:
    import re

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## pre-commit", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"^\s*rev:\s*(\S+)", section, flags=re.M)
    assert match, "the README's pre-commit snippet has no rev"
    return match.group(1)


def test_readme_rev_exists_and_installs(tmp_path):
    """The README's `rev:` names a tag (or commit) of this repository that is part of main's
    history, and pre-commit installs and runs the hook from exactly that rev (issue 13 §6)."""
    rev = _readme_rev()
    found = subprocess.run(["git", "rev-parse", "--verify", "-q", f"{rev}^{{commit}}"], cwd=ROOT,
                           capture_output=True, text=True)
    if found.returncode != 0:
        tags = subprocess.run(["git", "tag"], cwd=ROOT, capture_output=True, text=True).stdout.split()
        if not tags:  # a clone that carries no tags at all (CI's fresh clone may not)
            pytest.skip(f"this clone has no tags; cannot check rev {rev}")
        pytest.fail(f"README pre-commit rev {rev} is not a tag or commit of this repository (tags: {tags})")
    ancestor = subprocess.run(["git", "merge-base", "--is-ancestor", found.stdout.strip(), "HEAD"], cwd=ROOT)
    assert ancestor.returncode == 0, f"{rev} is not in the history of HEAD"
    work = tmp_path / "user-project"
    work.mkdir()
    _git(work, "init", "-q")
    (work / "train.py").write_text(BAD)
    _git(work, "add", ".")
    env = dict(os.environ, PRE_COMMIT_COLOR="never", NO_COLOR="1")
    env.pop("PRE_COMMIT_HOME", None)
    proc = subprocess.run([*PRE_COMMIT, "try-repo", str(ROOT), "bflint", "--ref", rev, "--color", "never",
                           "--files", "train.py"], cwd=work, capture_output=True, text=True, env=env,
                          timeout=900)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "train.py:3:11: BF302" in out
