"""bflint's own .gitignore reader (issue 16 item 2) against the real thing:
each case builds a repository, asks `git check-ignore` (run by this test,
with hooks and the user's configuration switched off) about every path in
it, and compares with bflint.gitignore. And bflint never runs git itself."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from bflint import gitignore

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

# the tree every case is judged on (directories end in /)
TREE = """
a.py b.py ab.py ac.py bc.py 1num.py keep.py notes.txt data.csv x.log keep.log
#hash.py !bang.py trailing.py foo**bar fooXbar c.py
build/x.py build/sub/y.py src/build/z.py src/keep.py src/main.py src/a.py
doc/a.py doc/sub/a.py doc.py lib/foo.py lib/one/foo.py lib/one/two/foo.py
foo/bar.py foo/bar/baz.py x/bar/q.py deep/c.py deep/a/c.py deep/a/b/c.py
a/b a/x/b a/x/y/b logs/debug.log logs/keep.log
sub/only_here.py sub/inner/only_here.py sub/x.log sub/keep.log only_here.py
excluded_by_info.py glob_excluded.py sub/glob_excluded.py
""".split() + ["space .py", "tail .py "]

CASES = {
    "suffix": "*.txt\n",
    "anchored": "/a.py\n",
    "dir-only": "build/\n",
    "name-any-depth": "build\n",
    "dir-glob": "doc/*.py\n",
    "leading-double-star": "**/bar\n",
    "trailing-double-star": "foo/**\n",
    "middle-double-star": "deep/**/c.py\na/**/b\n",
    "negation": "*.py\n!keep.py\n",
    "no-reinclude-under-ignored-dir": "src/\n!src/keep.py\n",
    "reinclude-from-dir-glob": "src/*\n!src/keep.py\n",
    "question-mark": "a?.py\n",
    "brackets": "[ab].py\n[!a]c.py\n[a-b]c.py\n",
    "posix-class": "[[:digit:]]*\n",
    "escapes": "\\#hash.py\n\\!bang.py\nspace\\ .py\n",
    "trailing-spaces": "trailing.py   \ntail .py\\ \n",
    "comment-and-blank": "# a.py\n\n   \n",
    "middle-slash-anchors": "lib/*/foo.py\n*/bar.py\n",
    "regular-asterisks": "foo**bar\n",
    "unclosed-bracket": "[abc\n",
    "file-or-dir-name": "doc\n",
    "star-everything": "*\n!*/\n!*.py\n",
    "double-star-alone": "**\n!keep.py\n",
    "last-line-wins": "*.log\n!keep.log\n*.log\n",
}

NESTED = {
    ".gitignore": "*.log\nsub/inner/\n",
    "sub/.gitignore": "!keep.log\n/only_here.py\n",
}


def _make(root: Path, gitignores: dict[str, str]) -> list[str]:
    """The tree of TREE under root; every path, directories included."""
    paths: set[str] = set()
    for p in TREE:
        (root / p).parent.mkdir(parents=True, exist_ok=True)
        (root / p).write_text("")
        parts = p.split("/")
        for i in range(1, len(parts) + 1):
            paths.add("/".join(parts[:i]))
    for rel, text in gitignores.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return sorted(paths)


def _git_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), GIT_CONFIG_NOSYSTEM="1")
    return env


def _git(root: Path, env: dict[str, str], *args: str, input: bytes | None = None):
    # hooks off whatever the configuration says: this test runs git, bflint never does
    return subprocess.run(["git", "-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null",
                           "-C", str(root), *args], env=env, input=input,
                          capture_output=True, timeout=60)


def _real(root: Path, env: dict[str, str], paths: list[str]) -> set[str]:
    proc = _git(root, env, "check-ignore", "--stdin", "-z", input="\0".join(paths).encode() + b"\0")
    assert proc.returncode in (0, 1), proc.stderr
    return {p for p in proc.stdout.decode().split("\0") if p}


def _ours(root: Path, env: dict[str, str], paths: list[str]) -> set[str]:
    m = gitignore.Matcher(environ=env)
    return {p for p in paths if m.path_ignored(str(root / p), (root / p).is_dir())}


@pytest.fixture
def home(tmp_path: Path) -> Path:
    h = tmp_path / "home"
    h.mkdir()
    return h


def _repo(tmp_path: Path, home: Path, gitignores: dict[str, str]) -> tuple[Path, list[str]]:
    root = tmp_path / "repo"
    root.mkdir()
    paths = _make(root, gitignores)
    assert _git(root, _git_env(home), "init", "-q").returncode == 0
    return root, paths


@needs_git
@pytest.mark.parametrize("case", sorted(CASES))
def test_patterns_match_git_check_ignore(tmp_path, home, case) -> None:
    root, paths = _repo(tmp_path, home, {".gitignore": CASES[case]})
    env = _git_env(home)
    real = _real(root, env, paths)
    assert _ours(root, env, paths) == real
    if case not in ("comment-and-blank", "unclosed-bracket"):
        assert real  # the case tests something


@needs_git
def test_nested_gitignores_info_exclude_and_global_file(tmp_path, home) -> None:
    root, paths = _repo(tmp_path, home, NESTED)
    (root / ".git" / "info").mkdir(exist_ok=True)
    (root / ".git" / "info" / "exclude").write_text("excluded_by_info.py\n")
    (home / "my-excludes").write_text("glob_excluded.py\n")
    (home / ".gitconfig").write_text('[core]\n\texcludesFile = "~/my-excludes"  # mine\n')
    env = _git_env(home)
    real = _real(root, env, paths)
    assert {"excluded_by_info.py", "glob_excluded.py", "sub/glob_excluded.py", "x.log",
            "sub/only_here.py", "sub/inner"} <= real
    assert "sub/keep.log" not in real and "only_here.py" not in real
    assert _ours(root, env, paths) == real


@needs_git
def test_default_global_file_is_xdg_git_ignore(tmp_path, home) -> None:
    root, paths = _repo(tmp_path, home, {})
    (home / ".config" / "git").mkdir(parents=True)
    (home / ".config" / "git" / "ignore").write_text("*.csv\n")
    env = _git_env(home)
    real = _real(root, env, paths)
    assert real == {"data.csv"}
    assert _ours(root, env, paths) == real


@needs_git
def test_the_trees_own_git_config_is_not_read(tmp_path, home) -> None:
    """core.excludesFile in the tree's .git/config: git honours it, the
    user did not choose it; bflint (like ruff's ignore crate for the
    global file) reads only the user's configuration."""
    root, paths = _repo(tmp_path, home, {})
    (tmp_path / "planted").write_text("*.py\n")
    with open(root / ".git" / "config", "a") as fh:
        fh.write(f"[core]\n\texcludesFile = {tmp_path / 'planted'}\n")
    assert _ours(root, _git_env(home), paths) == set()


def test_outside_a_work_tree_nothing_is_ignored(tmp_path, home) -> None:
    root = tmp_path / "plain"
    root.mkdir()
    paths = _make(root, {".gitignore": "*.py\n"})
    assert _ours(root, _git_env(home), paths) == set()


def test_a_symlinked_or_special_gitignore_is_not_read(tmp_path, home) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / ".git").mkdir()
    (root / "a.py").write_text("")
    (tmp_path / "elsewhere").write_text("*.py\n")
    (root / ".gitignore").symlink_to(tmp_path / "elsewhere")
    m = gitignore.Matcher(environ=_git_env(home))
    assert not m.path_ignored(str(root / "a.py"), False)
    (root / ".gitignore").unlink()
    os.mkfifo(root / ".gitignore")  # never blocks
    assert not gitignore.Matcher(environ=_git_env(home)).path_ignored(str(root / "a.py"), False)


# -- bflint never runs git ------------------------------------------------------------

def _exe() -> list[str]:
    exe = Path(sys.executable).with_name("bflint")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "bflint"]


@needs_git
def test_a_planted_fsmonitor_hook_never_runs(tmp_path, home) -> None:
    root, _ = _repo(tmp_path, home, {".gitignore": "build/\n"})
    marker = tmp_path / "HOOK-RAN"
    hook = root / "hook.sh"
    hook.write_text(f"#!/bin/sh\ntouch {marker}\n")
    hook.chmod(hook.stat().st_mode | stat.S_IEXEC)
    env = _git_env(home)
    _git(root, env, "add", "a.py")  # an index, which git's fsmonitor refreshes
    with open(root / ".git" / "config", "a") as fh:
        fh.write(f"[core]\n\tfsmonitor = {hook}\n")
    run_env = dict(env, XDG_CACHE_HOME=str(home / ".cache"))
    for args in (["."], ["--no-cache", "src"], ["src/main.py"]):
        proc = subprocess.run(_exe() + args, cwd=root, env=run_env, capture_output=True,
                              text=True, timeout=120)
        assert "Traceback" not in proc.stderr
        assert not marker.exists(), f"bflint {' '.join(args)} ran the tree's hook"
    # the hook is real: git itself runs it
    subprocess.run(["git", "-C", str(root), "status"], env=env, capture_output=True, timeout=60)
    assert marker.exists()


@needs_git
def test_discovery_prunes_what_git_ignores(tmp_path, home) -> None:
    """The walk agrees with git on the .py files it yields."""
    from bflint.discovery import discover

    root, paths = _repo(tmp_path, home, NESTED)
    (root / ".gitignore").write_text(NESTED[".gitignore"] + "build/\ndoc/*.py\n!keep.py\n")
    env = _git_env(home)
    real = _real(root, env, paths)
    expected = sorted(p for p in paths if p.endswith(".py") and p not in real
                      and not p.startswith("build/"))  # build/: also a SKIP_DIR
    old = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update(env)
        files, _ = discover([root], respect_gitignore=True)
    finally:
        os.environ.clear()
        os.environ.update(old)
    got = sorted(f.relative_to(root).as_posix() for f in files)
    # discovery skips hidden names (.gitignore, #hash.py is not hidden) only for directories
    assert got == expected
