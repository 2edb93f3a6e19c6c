"""Which files get checked (issue 13 §1, issue 16 item 12), through the
console script: named paths are checked even when git-ignored,
--force-exclude applies the excludes to them too, a run that checks no
file says so and never "All checks passed", and a path longer than
PATH_MAX is one finding, not the end of the walk."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bflint.discovery import discover

BAD = ("import bayesflow as bf\n"
       "workflow = bf.BasicWorkflow(inference_network=None)\n"
       "history = workflow.fit_offline(data=1, epochs=2)\n")
NO_FILES = "warning: No Python files found under the given path(s)"


def _exe() -> list[str]:
    exe = Path(sys.executable).with_name("bflint")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "bflint"]


def bflint(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, XDG_CACHE_HOME=str(cwd / ".test-cache-home"))
    return subprocess.run(_exe() + ["--no-cache", "--select", "BF302", *args], cwd=cwd,
                          capture_output=True, text=True, env=env, timeout=120)


def flagged(res: subprocess.CompletedProcess) -> list[str]:
    return sorted(line.split(":")[0] for line in res.stdout.splitlines() if ": BF302" in line)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    r = tmp_path / "repo"
    r.mkdir()
    if shutil.which("git"):  # a real work tree (what git itself ignores is the reference)
        subprocess.run(["git", "-c", "core.hooksPath=/dev/null", "init", "-q", str(r)], check=True,
                       capture_output=True, timeout=60)
    else:
        (r / ".git").mkdir()  # a work tree: .gitignore files apply
    for rel in ("src/train.py", "generated/gen.py", "generated/sub/deep.py", "scratch.py",
                "legacy/old.py"):
        (r / rel).parent.mkdir(parents=True, exist_ok=True)
        (r / rel).write_text(BAD)
    (r / ".gitignore").write_text("generated/\nscratch.py\n")
    return r


def test_a_walk_skips_what_is_ignored(repo) -> None:
    res = bflint(repo, ".")
    assert flagged(res) == ["legacy/old.py", "src/train.py"]


def test_an_ignored_directory_named_explicitly_is_checked(repo) -> None:
    res = bflint(repo, "generated")
    assert flagged(res) == ["generated/gen.py", "generated/sub/deep.py"]
    assert res.returncode == 1
    assert "All checks passed" not in res.stdout
    # also a directory below it, and with a trailing slash
    assert flagged(bflint(repo, "generated/sub/")) == ["generated/sub/deep.py"]


def test_an_ignored_file_named_explicitly_is_checked(repo) -> None:
    res = bflint(repo, "scratch.py")
    assert flagged(res) == ["scratch.py"] and res.returncode == 1


def test_patterns_still_apply_below_a_named_directory(repo) -> None:
    (repo / "generated" / ".gitignore").write_text("deep.py\n")
    assert flagged(bflint(repo, "generated")) == ["generated/gen.py"]


def test_force_exclude(repo) -> None:
    (repo / "bflint.toml").write_text('exclude = ["legacy", "generated/sub"]\n')
    # named explicitly: checked anyway
    assert flagged(bflint(repo, "legacy/old.py")) == ["legacy/old.py"]
    assert flagged(bflint(repo, "legacy")) == ["legacy/old.py"]
    # --force-exclude: excluded even when named (a file, a directory, a file inside one)
    for args in (["legacy/old.py"], ["legacy"], ["generated/sub/deep.py"]):
        res = bflint(repo, "--force-exclude", *args)
        assert flagged(res) == [], args
        assert res.returncode == 0 and NO_FILES in res.stderr
        assert "All checks passed" not in res.stdout
    # only the excluded ones go
    res = bflint(repo, "--force-exclude", "legacy/old.py", "src/train.py", "generated")
    assert flagged(res) == ["generated/gen.py", "src/train.py"]
    # and in the configuration
    (repo / "bflint.toml").write_text('exclude = ["legacy"]\nforce-exclude = true\n')
    assert flagged(bflint(repo, "legacy/old.py")) == []


@pytest.mark.parametrize("what", ["empty-dir", "typo", "all-excluded", "all-ignored", "no-py"])
def test_no_file_checked_says_so(repo, what) -> None:
    if what == "empty-dir":
        (repo / "empty").mkdir()
        args = ["empty"]
    elif what == "typo":
        args = ["--extend-exclude", "*.py", "."]  # a glob that leaves nothing
    elif what == "all-excluded":
        args = ["--exclude", "src,legacy,generated,scratch.py", "."]
    elif what == "all-ignored":
        (repo / ".gitignore").write_text("*.py\n")
        args = ["."]
    else:
        (repo / "docs").mkdir()
        (repo / "docs" / "readme.txt").write_text("hi")
        args = ["docs"]
    res = bflint(repo, *args)
    assert res.returncode == 0, res.stderr
    assert res.stderr.count(NO_FILES) == 1
    assert "All checks passed" not in res.stdout + res.stderr
    assert res.stdout == ""
    # machine formats still print their empty document
    res = bflint(repo, "--format", "json", *args)
    assert res.stdout.strip() == "[]" and NO_FILES in res.stderr


def test_a_missing_path_is_a_finding_and_the_warning(repo) -> None:
    res = bflint(repo, "--select", "BF001", "no_such_file.py")
    assert res.returncode == 1 and "BF001" in res.stdout
    assert NO_FILES in res.stderr and "All checks passed" not in res.stdout


def test_files_found_no_warning(repo) -> None:
    res = bflint(repo, "src")
    assert NO_FILES not in res.stderr


# -- issue 16 item 12: a path longer than PATH_MAX -------------------------------------

def _deep(base: Path, total: int) -> Path:
    """Directories nested until the path is longer than ``total`` (created
    relative to directory fds: the path itself is too long for the kernel)."""
    name = "d" * 200
    fd = os.open(base, os.O_RDONLY)
    length = len(str(base))
    try:
        while length <= total:
            os.mkdir(name, dir_fd=fd)
            nfd = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = nfd
            length += len(name) + 1
        f = os.open("deep.py", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(f, BAD.encode())
        os.close(f)
    finally:
        os.close(fd)
    return base


def test_a_path_longer_than_path_max_does_not_abort_the_walk(tmp_path) -> None:
    root = tmp_path / "tree"
    (root / "a").mkdir(parents=True)
    (root / "a" / "first.py").write_text(BAD)
    (root / "z").mkdir()
    (root / "z" / "last.py").write_text(BAD)
    (root / "m").mkdir()
    _deep(root / "m", os.pathconf("/", "PC_PATH_MAX") + 100)
    files, missing = discover([root])
    names = [f.name for f in files]
    assert "first.py" in names and "last.py" in names and not missing
    res = subprocess.run(_exe() + ["--no-cache", "--select", "BF302,BF001", str(root)],
                         capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "ch")))
    assert "Traceback" not in res.stderr, res.stderr
    assert res.returncode == 1
    lines = res.stdout.splitlines()
    assert sum("BF302" in line for line in lines) == 2  # first.py and last.py still checked
    too_long = [line for line in lines if "BF001" in line]
    assert len(too_long) == 1 and "too long" in too_long[0].lower()


def test_a_named_path_longer_than_path_max(tmp_path) -> None:
    long_name = str(tmp_path) + "/" + ("x" * 200 + "/") * 25 + "y.py"
    files, missing = discover([Path(long_name)])
    assert [str(f) for f in files] == [long_name] or [str(m) for m in missing] == [long_name]


def test_discovery_order_is_deterministic(tmp_path) -> None:
    for rel in ("b/x.py", "a/z.py", "a/c/y.py", "a/b.py", "top.py", "a/c.ipynb"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("")
    files, _ = discover([tmp_path])
    rel = [f.relative_to(tmp_path).as_posix() for f in files]
    # a directory's files first (sorted), then its subdirectories in order (os.walk's order)
    assert rel == ["top.py", "a/b.py", "a/c.ipynb", "a/z.py", "a/c/y.py", "b/x.py"]
